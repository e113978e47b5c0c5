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

export type DataSpec = MovingMnistDataSpec;

/** Uint8 videos laid out [N, T, H, W] (gray-scale), the generator's output format. */
export interface VideoBytes {
  data: Uint8Array;
  n: number;
  t: number;
  height: number;
  width: number;
}
