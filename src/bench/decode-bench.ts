/**
 * Video decode throughput for the benchmark: a clip decoded and resized by the data worker's own
 * code (DataHandler + mediabunny + WebCodecs), in frames per second of output.
 */
import type { DataEvent } from '../protocol/data-messages';
import { DataHandler } from '../runtime/data-handler';
import { openWithMediabunny } from '../runtime/mediabunny-source';

export interface DecodeBenchPlan {
  url: string; // the clip, served from the app's origin
  label: string; // e.g. "720p H.264"
  width: number;
  height: number;
  color: 'gray' | 'rgb';
  runs: number;
}

export interface DecodeBenchRow {
  clip: string;
  codec: string;
  target: string;
  frames: number;
  runs: number;
  msMedian: number;
  framesPerSecond: number;
}

export async function benchmarkDecode(plan: DecodeBenchPlan): Promise<DecodeBenchRow> {
  const response = await fetch(plan.url);
  if (!response.ok) throw new Error(`Could not load ${plan.url} (HTTP ${response.status})`);
  const file = await response.blob();
  let last: DataEvent | undefined;
  const handler = new DataHandler((event) => (last = event), {
    openVideo: openWithMediabunny,
    loadMnist: () => Promise.reject(new Error('not needed')),
    now: () => performance.now(),
  });
  const times: number[] = [];
  let frames = 0;
  let codec = '';
  // One warm-up run (decoder start-up, JIT), then the timed runs.
  for (let run = 0; run <= plan.runs; run++) {
    const start = performance.now();
    await handler.handle({
      type: 'decode-video',
      requestId: run + 1,
      file,
      options: {
        name: plan.label,
        width: plan.width,
        height: plan.height,
        crop: 'center',
        color: plan.color,
        clipLength: 1,
      },
      existingBytes: 0,
      existingSegments: [],
    });
    const elapsed = performance.now() - start;
    const event = last as DataEvent | undefined;
    if (event?.type === 'failed') throw new Error(event.message);
    if (event?.type !== 'result' || event.result.kind !== 'video') throw new Error('no frames');
    frames = event.result.frames.frames;
    codec = event.result.info.codec;
    if (run > 0) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  const msMedian = times[Math.floor(times.length / 2)];
  return {
    clip: plan.label,
    codec,
    target: `${plan.width}×${plan.height} ${plan.color}`,
    frames,
    runs: plan.runs,
    msMedian,
    framesPerSecond: frames / (msMedian / 1000),
  };
}
