/** Data specs shared by the UI, the protocol and the data sources (pure data, no tfjs). */

export type Compositing = 'max' | 'additive';
export type BounceRule = 'reflect' | 'stochastic';
/** What lies under the digits: black (Srivastava), or a static random texture per sequence. */
export type Background = 'none' | 'texture';

export interface MovingMnistOptions {
  digits: number; // digits per sequence (Srivastava: 2)
  canvasSize: number; // square canvas side in px (64)
  digitSize: number; // digit side in px (28; MNIST digits are resized when different)
  frames: number; // frames per sequence (20)
  speed: number; // px per frame (3.6 = 0.1 of the 36-px range)
  compositing: Compositing; // max (Srivastava) or additive clipped to 255 (Lee)
  bounce: BounceRule; // reflect = clamp-and-negate; stochastic = new random direction at the wall
  background: Background; // none (black) or a smooth seeded texture, static over a sequence
}

export interface MovingMnistDataSpec extends Partial<MovingMnistOptions> {
  source: 'moving-mnist';
  seed?: number;
}

/**
 * A user's imported data set (videos or a .npy array) from the app's dataset registry. Training
 * clips have the model's frame count; the held-out clips never share a frame with them.
 */
export interface VideoDataSpec {
  source: 'video';
  datasetId: string;
  seed?: number; // order in which training clips are drawn (default 42)
  clipStride?: number; // frames between the starts of consecutive training clips (default: clip length)
  heldOutFraction?: number; // share of the data held out for evaluation (default 0.1)
}

export type DataSpec = MovingMnistDataSpec | VideoDataSpec;

/** How frames of another aspect ratio become the target size. */
export type CropMode = 'center' | 'fit'; // center = crop the middle; fit = whole frame, black bars

/** One file (a video) or one sequence (of a .npy array) inside a frame set. */
export interface FrameSegment {
  name: string;
  start: number; // index of its first frame in the frame set
  length: number; // frames
}

/**
 * Uint8 frames of one size laid out [frames, H, W, C], cut into segments. Clips never cross a
 * segment boundary. The storage format of imported datasets, in the app and in run workers.
 */
export interface FrameSet {
  data: Uint8Array;
  frames: number;
  height: number;
  width: number;
  channels: 1 | 3;
  segments: FrameSegment[];
}

/** Uint8 videos laid out [N, T, H, W] (gray-scale), the generator's output format. */
export interface VideoBytes {
  data: Uint8Array;
  n: number;
  t: number;
  height: number;
  width: number;
}

/** An imported dataset as it travels to a run worker (copied, so several runs can share it). */
export interface DatasetPayload {
  id: string;
  name: string;
  frames: FrameSet;
  crop: CropMode; // how runs fit the frames to a model of another aspect ratio
  fps: number | null; // frames per second of the decoded frames (null for .npy arrays)
}
