/**
 * Video files through mediabunny (demuxing MP4, MOV, WebM, MKV, …) and WebCodecs (decoding), for
 * the data worker. Every failure becomes a DataError that names the file and says why: not a
 * video, no video track, a codec this browser cannot decode (named), a damaged file, no WebCodecs.
 */
import {
  ALL_FORMATS,
  BlobSource,
  Input,
  UnsupportedInputFormatError,
  VideoSampleSink,
} from 'mediabunny';
import type { InputVideoTrack, VideoSample } from 'mediabunny';
import { DataError } from '../core/data/data-error';
import type { CropMode } from '../core/data/types';
import { matrixFor, yuvLayout, yuvToRgba } from '../core/data/yuv';
import type { YuvFrame } from '../core/data/yuv';
import type { DecodedFrame, OpenVideo, VideoSource } from './video-source';
import { canvasOfSize } from './canvas-frames';

const CODEC_NAMES: Record<string, string> = {
  avc: 'H.264',
  hevc: 'HEVC (H.265)',
  vp8: 'VP8',
  vp9: 'VP9',
  av1: 'AV1',
  prores: 'Apple ProRes',
};

/** Sample-entry and codec-ID names of codecs mediabunny does not know, for a readable message. */
const UNKNOWN_CODEC_NAMES: [RegExp, string][] = [
  [/mp4v|mpeg-?4.?part.?2|V_MPEG4\/ISO\/(ASP|SP)|xvid|divx/i, 'MPEG-4 Part 2 (Xvid/DivX)'],
  [/mp2v|mpeg-?2|V_MPEG2/i, 'MPEG-2'],
  [/mjpg|mjpeg|jpeg|V_MJPEG/i, 'Motion JPEG'],
  [/theora/i, 'Theora'],
];

export const NO_WEBCODECS_MESSAGE =
  'this browser has no WebCodecs video decoder (VideoDecoder) in workers, so it cannot decode videos. Use a recent Chrome, Edge, Safari or Firefox, or import the frames as a .npy array instead.';

function quoted(name: string): string {
  return `"${name}"`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A readable name for the track's codec, including unknown ones when the file names them. */
async function codecName(track: InputVideoTrack): Promise<{ known: boolean; name: string }> {
  const codec = await track.getCodec();
  const parameters = await track.getCodecParameterString().catch(() => null);
  if (codec) {
    const base = CODEC_NAMES[codec] ?? codec;
    return { known: true, name: parameters ? `${base} (${parameters})` : base };
  }
  const internal = await track.getInternalCodecId().catch(() => null);
  const hints = [
    parameters ?? '',
    typeof internal === 'string' || typeof internal === 'number' ? String(internal) : '',
    await track.input.getMimeType().catch(() => ''),
  ].join(' ');
  const match = UNKNOWN_CODEC_NAMES.find(([pattern]) => pattern.test(hints));
  return { known: false, name: match ? match[1] : 'an unknown codec' };
}

class MediabunnyFrame implements DecodedFrame {
  private yuv: Promise<YuvFrame | null> | null = null;

  constructor(private readonly sample: VideoSample) {}

  async draw(width: number, height: number, crop: CropMode): Promise<Uint8ClampedArray> {
    this.yuv ??= this.copyPlanes();
    const yuv = await this.yuv;
    return yuv ? yuvToRgba(yuv, width, height, crop) : this.drawOnCanvas(width, height, crop);
  }

  /** The frame's 8-bit Y'CbCr planes, or null for other formats and non-square pixels. */
  private async copyPlanes(): Promise<YuvFrame | null> {
    const sample = this.sample;
    const format = sample.format;
    const { width, height } = sample.visibleRect;
    const square = sample.squarePixelWidth === width && sample.squarePixelHeight === height;
    if ((format !== 'I420' && format !== 'NV12') || !square) return null;
    const layout = yuvLayout(format, width, height);
    const data = new Uint8Array(layout.bytes);
    await sample.copyTo(data, { layout: layout.planes });
    return {
      format,
      width,
      height,
      data,
      matrix: matrixFor(sample.colorSpace.matrix, height),
      fullRange: sample.colorSpace.fullRange === true,
      rotation: sample.rotation,
      flip: sample.flip,
    };
  }

  /** Any other frame: the browser draws it (rotation included) into a canvas. */
  private drawOnCanvas(width: number, height: number, crop: CropMode): Uint8ClampedArray {
    const context = canvasOfSize(width, height);
    this.sample.drawWithFit(context, { fit: crop === 'center' ? 'cover' : 'contain' });
    return context.getImageData(0, 0, width, height).data;
  }

  close(): void {
    this.sample.close();
  }
}

export const openWithMediabunny: OpenVideo = async (file, name) => {
  const what = quoted(name);
  const input = new Input({ formats: ALL_FORMATS, source: new BlobSource(file) });
  try {
    let track: InputVideoTrack | null;
    try {
      track = await input.getPrimaryVideoTrack();
    } catch (error) {
      if (error instanceof UnsupportedInputFormatError) {
        throw new DataError(
          `${what} is not a video file this app can read: its contents are not MP4, MOV, WebM, Matroska (MKV), MPEG-TS or Ogg.`,
        );
      }
      throw new DataError(`${what} is corrupt or truncated: ${describeError(error)}.`);
    }
    if (!track) {
      const others = await input.getTracks().catch(() => []);
      if (others.length === 0) {
        const format = await input
          .getFormat()
          .then((f) => f.name)
          .catch(() => 'video');
        throw new DataError(
          `${what} is corrupt or truncated: it starts like an ${format} file, but no track could be read from it.`,
        );
      }
      const kinds = [...new Set(others.map((t) => t.type))].join(' and ');
      throw new DataError(
        `${what} has no video track (only ${kinds}), so there are no frames to import.`,
      );
    }
    const codec = await codecName(track);
    const unsupported = () =>
      new DataError(
        `${what} uses ${codec.name}, which this browser cannot decode. Convert it to H.264, VP9 or AV1 first (for example: ffmpeg -i "${name}" -c:v libx264 -pix_fmt yuv420p out.mp4).`,
      );
    if (!codec.known) throw unsupported();
    if (typeof VideoDecoder === 'undefined') {
      throw new DataError(`${what} cannot be decoded: ${NO_WEBCODECS_MESSAGE}`);
    }
    if (!(await track.canDecode())) throw unsupported();
    const [startSeconds, endSeconds, rotation, displayWidth, displayHeight, rates] =
      await Promise.all([
        track.getFirstTimestamp(),
        track.computeDuration(),
        track.getRotation(),
        track.getDisplayWidth(),
        track.getDisplayHeight(),
        track.computeFrameRateMetrics(),
      ]);
    if (!(endSeconds > startSeconds)) {
      throw new DataError(`${what} is corrupt or truncated: its video track has no frames.`);
    }
    const sink = new VideoSampleSink(track);
    const source: VideoSource = {
      codec: codec.name,
      displayWidth,
      displayHeight,
      rotation,
      startSeconds,
      endSeconds,
      frameRate: rates.bestGuessFrameRate,
      variableFrameRate: rates.underlyingFrameRate === null,
      async *framesAt(timestamps) {
        try {
          for await (const sample of sink.samplesAtTimestamps(timestamps)) {
            yield sample ? new MediabunnyFrame(sample) : null;
          }
        } catch (error) {
          if (error instanceof DataError) throw error;
          throw new DataError(
            `${what} is corrupt or truncated: decoding stopped with “${describeError(error)}”.`,
          );
        }
      },
      dispose: () => input.dispose(),
    };
    return source;
  } catch (error) {
    input.dispose();
    if (error instanceof DataError) throw error;
    throw new DataError(`${what} is corrupt or truncated: ${describeError(error)}.`);
  }
};
