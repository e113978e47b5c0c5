/** The held-out sequences as sample views (group HELD_OUT_GROUP), for the compare view. */
import { toFloatFrames } from '../core/data/moving-mnist';
import type { VideoBytes } from '../core/data/types';
import type { SampleView } from '../core/models/types';
import { HELD_OUT_GROUP } from '../protocol/sample-groups';

/** One view per sequence (the first `count`), frames in [0, 1] in buffers of their own. */
export function heldOutViews(bytes: VideoBytes, count: number): SampleView[] {
  const n = Math.min(count, bytes.n);
  const size = bytes.t * bytes.height * bytes.width;
  return Array.from({ length: n }, (_, i) => {
    const sequence: VideoBytes = {
      data: bytes.data.subarray(i * size, (i + 1) * size),
      n: 1,
      t: bytes.t,
      height: bytes.height,
      width: bytes.width,
    };
    return {
      group: HELD_OUT_GROUP,
      panels: [
        {
          label: 'Held-out clip',
          frames: toFloatFrames(sequence, 'unit'),
          t: bytes.t,
          height: bytes.height,
          width: bytes.width,
          channels: 1,
          timeOffset: 0,
        },
      ],
    };
  });
}
