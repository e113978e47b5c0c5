/**
 * WebM from RGBA frames: WebCodecs' VideoEncoder (VP9, else VP8) muxed by mediabunny. Needs a
 * browser (or worker) with WebCodecs; elsewhere it says so.
 */
import {
  BufferTarget,
  Output,
  QUALITY_HIGH,
  VideoSample,
  VideoSampleSource,
  WebMOutputFormat,
  canEncodeVideo,
} from 'mediabunny';
import type { VideoCodec } from 'mediabunny';

async function pickCodec(width: number, height: number): Promise<VideoCodec> {
  if (typeof VideoEncoder === 'undefined') {
    throw new Error('WebM export needs WebCodecs (VideoEncoder), which this browser lacks');
  }
  for (const codec of ['vp9', 'vp8'] as const) {
    if (await canEncodeVideo(codec, { width, height, quality: QUALITY_HIGH })) return codec;
  }
  throw new Error(`This browser cannot encode VP9 or VP8 video at ${width}×${height}`);
}

export async function encodeWebm(
  frames: readonly Uint8ClampedArray[],
  width: number,
  height: number,
  fps: number,
): Promise<Uint8Array> {
  if (frames.length === 0) throw new Error('A video needs at least one frame');
  const codec = await pickCodec(width, height);
  const target = new BufferTarget();
  const output = new Output({ format: new WebMOutputFormat(), target });
  const source = new VideoSampleSource({ codec, quality: QUALITY_HIGH, keyFrameInterval: 1 });
  output.addVideoTrack(source, { frameRate: fps });
  await output.start();
  for (let i = 0; i < frames.length; i++) {
    const sample = new VideoSample(frames[i], {
      format: 'RGBA',
      codedWidth: width,
      codedHeight: height,
      timestamp: i / fps,
      duration: 1 / fps,
    });
    try {
      await source.add(sample);
    } finally {
      sample.close();
    }
  }
  await output.finalize();
  if (!target.buffer) throw new Error('The WebM muxer produced no data');
  return new Uint8Array(target.buffer);
}
