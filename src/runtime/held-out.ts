/**
 * The held-out sequences the samples show, as sample views (group HELD_OUT_GROUP), so the compare
 * view can put every run's copy of the same clip side by side.
 */
import type * as tf from '@tensorflow/tfjs';
import { framesForDisplay } from '../core/data/video-stream';
import type { SampleView, ValueRange } from '../core/models/types';
import { HELD_OUT_GROUP } from '../protocol/sample-groups';

/** One view per sequence of videos [N, T, H, W, C] (the model's range), frames in [0, 1]. */
export async function heldOutViews(videos: tf.Tensor5D, range: ValueRange): Promise<SampleView[]> {
  const [n, t, height, width, c] = videos.shape;
  const channels = c === 3 ? 3 : 1;
  const all = await framesForDisplay(videos, range);
  // Snapped to 8-bit levels (what a screen shows): runs whose models use different value ranges
  // then send bit-identical copies of the same clip.
  for (let i = 0; i < all.length; i++) all[i] = Math.round(all[i] * 255) / 255;
  const size = t * height * width * c;
  return Array.from({ length: n }, (_, i) => ({
    group: HELD_OUT_GROUP,
    panels: [
      {
        label: 'Held-out clip',
        frames: all.slice(i * size, (i + 1) * size), // a buffer of its own: transferable
        t,
        height,
        width,
        channels,
        timeOffset: 0,
      },
    ],
  }));
}
