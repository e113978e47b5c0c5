/**
 * The recurrent convolutional network (rCNN) of Ranzato et al. 2014 over frames of patch codes,
 * and the rNN as its 1×1 special case.
 *
 * At time t every patch location's code is embedded (a lookup table, as words in a language
 * model); `convLayers` spatial convolutions over the grid of embeddings give the input drive
 * a_t (the neighbourhood of codes the rCNN sees); the recurrent state is
 *
 *   h_t = f(a_t + U·h_{t−1})        with U a 1×1 convolution (paper: no border effects through time)
 *
 * and a 1×1 convolution of h_t gives, at each location, logits over the K dictionary entries for
 * that location's code at t + 1. Cross-entropy in nats per predicted code is the loss.
 *
 * 1×1 convolutions are matrix products over the flattened locations. The cross-entropy has its
 * own gradient, (softmax − one-hot)·dy, so a training step runs two row reductions over the K
 * logits (max and sum of the log-sum-exp) instead of the five of tfjs's composed gradient — row
 * reductions are what a software GPU is slowest at.
 *
 * Shapes: B sequences, T frames, G grid side, L = B·G·G locations, E embedding, C channels,
 * K dictionary entries, k kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { biasActivation, biasActivationKernelReady } from '../../gpu/kernels/bias-activation';
// The gradients of the embedding and output gathers are segment sums, and the convolutions' filter
// gradients: on the CPU backend, the fast ones of these kernel modules.
import '../../gpu/kernels/cpu-direct';
import '../../gpu/kernels/cpu-segment-sum';
import {
  recurrentSequence,
  recurrentSequenceKernelReady,
} from '../../gpu/kernels/recurrent-sequence';
import {
  softmaxCrossEntropyKernelReady,
  softmaxCrossEntropyMean,
} from '../../gpu/kernels/softmax-cross-entropy';
import type { ParameterStore } from '../kit/params';
import type { RcnnConfig, RecurrentActivation } from './config';

/** Glorot-uniform bound √(6 / (fanIn + fanOut)). */
const glorot = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));

function activate(kind: RecurrentActivation, x: tf.Tensor): tf.Tensor {
  switch (kind) {
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'relu':
      return tf.relu(x);
    default: {
      const unreachable: never = kind;
      throw new Error(`Unknown activation ${String(unreachable)}`);
    }
  }
}

/**
 * A k×k 'same' convolution x [F, G, G, I] → [F·G·G, C] with filter [k, k, I, C] and bias [C]
 * (null: none, for a caller that adds it later); 1×1 as a matrix product over the locations.
 */
export function neighbourhoodConv(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D | null,
): tf.Tensor2D {
  const [f, g, , inputs] = x.shape;
  const [k, , , channels] = w.shape;
  const z =
    k === 1
      ? tf.matMul(x.reshape([f * g * g, inputs]), w.reshape([inputs, channels]))
      : tf.conv2d(x, w, 1, 'same').reshape([f * g * g, channels]);
  return (b === null ? z : z.add(b)) as tf.Tensor2D;
}

/**
 * −log softmax(logits)[target] per row: logits [L, K], targets [L] int32 → [L] nats, with the
 * gradient (softmax − one-hot(target)) · dy written out (no reduction in the backward pass).
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const [l, k] = logits.shape;
  const rowStarts = tf.tidy(() => tf.range(0, l * k, k, 'int32'));
  // customGrad passes the tensors, then the save function.
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const max = z.max(1, true); // [L, 1]
    const logZ = tf.exp(z.sub(max)).sum(1, true).log().add(max); // [L, 1] log-sum-exp
    const picked = tf.gather(z.reshape([-1]), rowStarts.add(targets)); // [L] the target's logit
    save([z, logZ]);
    return {
      value: logZ.reshape([l]).sub(picked),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [zs, lz] = saved;
        const softmax = tf.exp(zs.sub(lz)); // [L, K]
        return softmax.sub(tf.oneHot(targets, k)).mul(dy.reshape([l, 1]));
      },
    };
  });
  const value = loss(logits) as tf.Tensor1D;
  rowStarts.dispose();
  return value;
}

export class RecurrentConvNet {
  private readonly embedding: tf.Variable; // [K, E]
  private readonly convs: { w: tf.Variable; b: tf.Variable }[] = []; // w [k, k, in, C], b [C]
  private readonly recurrent: tf.Variable; // [C, C]: the 1×1 recurrent convolution
  private readonly outputW: tf.Variable; // [K, C]: one row per dictionary entry
  private readonly outputB: tf.Variable; // [K]
  readonly channels: number;

  constructor(
    readonly config: Pick<
      RcnnConfig,
      | 'dictionarySize'
      | 'embeddingDim'
      | 'hiddenChannels'
      | 'kernelSize'
      | 'convLayers'
      | 'activation'
    >,
    store: ParameterStore,
  ) {
    const { dictionarySize: k, embeddingDim: e, hiddenChannels: c, kernelSize: s } = config;
    this.channels = c;
    // Embedding: U(±0.05) (the Keras default); other weights Glorot-uniform; biases 0 — created
    // in this order from the store (checkpoint names and initial values depend on it).
    this.embedding = store.uniform('embedding', [k, e], 0.05);
    for (let layer = 0; layer < config.convLayers; layer++) {
      const inputs = layer === 0 ? e : c;
      const bound = glorot(s * s * inputs, s * s * c);
      this.convs.push({
        w: store.uniform(`conv${layer}.w`, [s, s, inputs, c], bound),
        b: store.zeros(`conv${layer}.b`, [c]),
      });
    }
    this.recurrent = store.uniform('recurrent.w', [c, c], glorot(c, c));
    this.outputW = store.uniform('output.w', [k, c], glorot(c, k));
    this.outputB = store.zeros('output.b', [k]);
  }

  /**
   * Input drive of frames of codes [F, G, G] int32 → [F·G·G, C]: embedding, then the spatial
   * convolutions ('same' padding: locations past the border read zeros), the last one linear.
   */
  inputDrive(codes: tf.Tensor3D): tf.Tensor2D {
    return this.convolve(codes, true);
  }

  /**
   * The embedding and convolutions of `inputDrive`, with the last layer's bias added when
   * `lastBias` (the whole-sequence recurrence adds it itself). A hidden layer's bias and
   * activation are one kernel where bias-activation.ts is installed.
   */
  private convolve(codes: tf.Tensor3D, lastBias: boolean): tf.Tensor2D {
    const [f, g] = codes.shape;
    let x = tf.gather(this.embedding, codes.reshape([-1])).reshape([f, g, g, -1]) as tf.Tensor4D;
    const last = this.convs.length - 1;
    const fused = biasActivationKernelReady();
    let drive: tf.Tensor2D | null = null;
    this.convs.forEach(({ w, b }, layer) => {
      const bias = b as tf.Tensor1D;
      const ownBias = layer === last ? lastBias : !fused;
      const z = neighbourhoodConv(x, w as tf.Tensor4D, ownBias ? bias : null); // [F·G·G, C]
      if (layer === last) {
        drive = z;
        return;
      }
      const y = fused
        ? biasActivation(z, bias, { activation: this.config.activation })
        : activate(this.config.activation, z);
      x = y.reshape([f, g, g, this.channels]) as tf.Tensor4D;
    });
    return drive as unknown as tf.Tensor2D;
  }

  /** h_t = f(a_t + U·h_{t−1}): drive and state [L, C] → [L, C]. */
  step(drive: tf.Tensor2D, state: tf.Tensor2D | null): tf.Tensor2D {
    const z = state === null ? drive : drive.add(tf.matMul(state, this.recurrent as tf.Tensor2D));
    return activate(this.config.activation, z) as tf.Tensor2D;
  }

  /** Logits over the dictionary for each location's next code: [L, C] → [L, K]. */
  logits(state: tf.Tensor2D): tf.Tensor2D {
    return tf.fused.matMul({
      a: state,
      b: this.outputW as tf.Tensor2D,
      transposeB: true,
      bias: this.outputB,
    }) as tf.Tensor2D;
  }

  /** −log softmax(logits(h))[code] per row: states [L, C], true codes [L] int32 → [L] nats. */
  crossEntropy(states: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
    return softmaxCrossEntropy(this.logits(states), targets);
  }

  /**
   * Teacher-forced pass over time-major codes [T, B, G, G]: the states after frames 1 … T−1
   * ([(T−1)·L, C], time-major) and the codes they predict (frames 2 … T, [(T−1)·L] int32).
   */
  unroll(codes: tf.Tensor4D): { states: tf.Tensor2D; targets: tf.Tensor1D } {
    const [t, b, g] = codes.shape;
    const targets = codes.slice([1, 0, 0, 0], [t - 1, b, g, g]).reshape([-1]) as tf.Tensor1D;
    return { states: this.states(codes), targets };
  }

  /**
   * The states of `unroll`. Where recurrent-sequence.ts is installed, the whole recurrence is one
   * kernel each way (with the last convolution's bias); otherwise one step at a time.
   */
  private states(codes: tf.Tensor4D): tf.Tensor2D {
    const [t, b, g] = codes.shape;
    const locations = b * g * g;
    const inputs = codes.slice([0, 0, 0, 0], [t - 1, b, g, g]).reshape([(t - 1) * b, g, g]);
    if (recurrentSequenceKernelReady(this.channels)) {
      const drive = this.convolve(inputs as tf.Tensor3D, false); // [(T−1)·L, C], no last bias
      const bias = this.convs[this.convs.length - 1].b as tf.Tensor1D;
      const u = this.recurrent as tf.Tensor2D;
      return recurrentSequence(drive, bias, u, this.config.activation, t - 1);
    }
    const drives = tf.unstack(
      this.inputDrive(inputs as tf.Tensor3D).reshape([t - 1, locations, this.channels]),
    ) as tf.Tensor2D[]; // T − 1 × [L, C]
    const states: tf.Tensor2D[] = [];
    let h: tf.Tensor2D | null = null;
    for (const drive of drives) {
      h = this.step(drive, h);
      states.push(h);
    }
    return tf.concat(states) as tf.Tensor2D;
  }

  /**
   * Mean cross-entropy (nats per predicted code) of time-major codes [T, B, G, G]. Where
   * softmax-cross-entropy.ts is installed, one kernel each way that reads the targets (frames
   * 2 … T) in place from `codes`.
   */
  loss(codes: tf.Tensor4D): tf.Scalar {
    if (softmaxCrossEntropyKernelReady()) {
      const [, b, g] = codes.shape;
      return softmaxCrossEntropyMean(this.logits(this.states(codes)), codes, b * g * g);
    }
    const { states, targets } = this.unroll(codes);
    return this.crossEntropy(states, targets).mean() as tf.Scalar;
  }
}
