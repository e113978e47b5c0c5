/**
 * Writes what the Python package's parity tests compare against (`npm run test:python` runs it
 * first): the app's own outputs, computed here with its tfjs code on the CPU backend.
 *
 *   models/<case>.safetensors        for each shipped checkpoint, and a new run of each variant they
 *                                    do not cover (checkpoints/<case>.safetensors): the next training
 *                                    batch of its data stream, the forward outputs and losses on it,
 *                                    the losses of one training step and the whole state after it
 *   generator/<case>.safetensors     Moving MNIST bytes of several data specs, two batches each,
 *                                    and the generator state between them
 *   datasets/<case>.npy + .safetensors  a .npy dataset as the app exports it, and the first batches
 *                                    a run on it draws (resized, recoloured, in the model's range)
 *
 * Usage: node --import tsx tests/python/write-references.ts <output folder>
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpoint } from '../../src/core/checkpoint/run-checkpoint';
import type { CheckpointRun } from '../../src/core/checkpoint/run-checkpoint';
import { encodeSafetensors } from '../../src/core/checkpoint/safetensors';
import type { SafetensorsTensor } from '../../src/core/checkpoint/safetensors';
import { loadMnistFromDisk } from '../../src/core/data/mnist-node';
import type { MnistDigits } from '../../src/core/data/mnist';
import { MovingMnistGenerator, resolveMovingMnistOptions } from '../../src/core/data/moving-mnist';
import { frameSetFromNpy, frameSetToNpy } from '../../src/core/data/npy';
import type { NpyLayout } from '../../src/core/data/npy';
import { buildRunData } from '../../src/core/data/run-data';
import type {
  CropMode,
  DataSpec,
  DatasetPayload,
  FrameSet,
  MovingMnistOptions,
} from '../../src/core/data/types';
import { prepareVideoData } from '../../src/core/data/video-clips';
import { modelDefinition } from '../../src/core/models/registry';
import type { ConvLstmModel } from '../../src/core/models/convlstm/model';
import type { LstmEncoderDecoder } from '../../src/core/models/lstm/model';
import type { VideoLanguageModel } from '../../src/core/models/rcnn/model';
import type { DataRequirements, VideoModel } from '../../src/core/models/types';
import type { VideoGan } from '../../src/core/models/vgan/model';
import { captureCheckpoint } from '../../src/core/train/checkpointing';
import { prepareModel } from '../../src/core/train/prepare';
import { readScalars } from '../../src/core/train/trainer';
import type { RunSpec } from '../../src/protocol/messages';
import { parseRunSpec } from '../../src/protocol/run-spec';

const CHECKPOINTS = path.resolve(import.meta.dirname, '../../public/checkpoints');

type Tensors = Record<string, SafetensorsTensor>;

async function f32(tensor: tf.Tensor): Promise<SafetensorsTensor> {
  const data = Float32Array.from(await tensor.data());
  return { dtype: 'F32', shape: [...tensor.shape], data };
}

async function i32(tensor: tf.Tensor): Promise<SafetensorsTensor> {
  const data = Int32Array.from(await tensor.data());
  return { dtype: 'I32', shape: [...tensor.shape], data };
}

function write(file: string, tensors: Tensors, metadata: Record<string, string>): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, encodeSafetensors(tensors, metadata));
}

/** The forward outputs of each model on `batch`, named as the Python tests read them. */
async function forwardOutputs(
  model: VideoModel,
  batch: tf.Tensor5D,
  state: Record<string, { data: Float32Array | Int32Array; shape: number[] }>,
): Promise<{ tensors: Tensors; losses: Record<string, number> }> {
  const tensors: Tensors = {};
  const keep = async (name: string, tensor: tf.Tensor) => {
    tensors[name] = tensor.dtype === 'int32' ? await i32(tensor) : await f32(tensor);
    tensor.dispose();
  };
  switch (model.kind) {
    case 'lstm': {
      const lstm = model as LstmEncoderDecoder;
      const terms = lstm.lossTerms(batch);
      const losses = await readScalars(terms as unknown as Record<string, tf.Scalar>);
      tf.dispose(Object.values(terms));
      for (const [suffix, teacherForced] of [
        ['teacher_forced', true],
        ['free_running', false],
      ] as const) {
        const predictions = lstm.predict(batch, teacherForced);
        for (const [name, tensor] of Object.entries(predictions)) {
          await keep(`out.${name}.${suffix}`, tensor as tf.Tensor);
        }
      }
      return { tensors, losses };
    }
    case 'vgan': {
      const gan = model as VideoGan;
      const fixed = state['state.fixed_z'];
      const [b, t, h, w, c] = batch.shape;
      // The generator's input: the fixed codes, or for image-to-video the batch's first frames.
      const z =
        gan.config.variant === 'image-to-video'
          ? batch
              .reshape([b, t, h * w * c])
              .slice([0, 0, 0], [b, 1, h * w * c])
              .reshape([b, h, w, c])
          : tf.tensor2d(fixed.data as Float32Array, fixed.shape as [number, number]);
      const out = gan.generate(z);
      const generated = gan.discriminate(out.video);
      const real = gan.discriminate(batch);
      await keep('out.z', z);
      for (const [name, tensor] of Object.entries(out)) await keep(`out.${name}`, tensor);
      await keep('out.d_generated', generated);
      await keep('out.d_real', real);
      return { tensors, losses: {} };
    }
    case 'rcnn': {
      const rcnn = model as VideoLanguageModel;
      const { codes, std } = rcnn.encode(batch);
      const { states, targets } = rcnn.net.unroll(codes);
      const logits = rcnn.net.logits(states);
      const loss = rcnn.net.loss(codes);
      const losses = { loss: (await loss.data())[0] };
      loss.dispose();
      await keep('out.codes', codes);
      await keep('out.std', std);
      await keep('out.logits', logits);
      await keep('out.targets', targets);
      states.dispose();
      return { tensors, losses };
    }
    case 'convlstm': {
      const convLstm = model as ConvLstmModel;
      const loss = convLstm.loss(batch);
      const losses = { loss: (await loss.data())[0] };
      loss.dispose();
      await keep('out.prediction', convLstm.predict(batch));
      return { tensors, losses };
    }
    default:
      throw new Error(`no forward outputs for ${model.kind}`);
  }
}

/**
 * Runs of every variant the shipped checkpoints do not cover, made here at step 0 (shrunk where the
 * tiny preset is slow on a CPU) and written as checkpoints, so that each path of each model is
 * compared: conditional decoders, SGD with an update clip and the summed loss, two layers, linear
 * outputs, one-stream and image-to-video generators (RGB), the rNN, overlapping patches, ReLU and an
 * active gradient clip, and the ConvLSTM (two layers, an active gradient clip).
 */
const VARIANT_CASES: { id: string; spec: RunSpec; onDataset?: boolean }[] = [
  {
    id: 'lstm-autoencoder-sgd',
    spec: {
      model: 'lstm',
      variant: 'autoencoder',
      preset: 'tiny',
      config: {
        frameSize: 16,
        hiddenUnits: 16,
        inputFrames: 4,
        batchSize: 4,
        conditionalReconstruction: true,
        optimizer: 'sgd-momentum',
        lossReduction: 'sum',
        learningRate: 1e-4,
        updateClip: 1e-4,
      },
    },
  },
  {
    id: 'lstm-future-linear-2layer',
    spec: {
      model: 'lstm',
      variant: 'future-predictor',
      preset: 'tiny',
      config: {
        frameSize: 16,
        hiddenUnits: 16,
        inputFrames: 4,
        futureFrames: 3,
        batchSize: 4,
        layers: 2,
        conditionalFuture: true,
        output: 'linear-mse',
      },
    },
  },
  {
    id: 'vgan-one-stream',
    spec: {
      model: 'vgan',
      variant: 'one-stream',
      preset: 'tiny',
      config: { frameSize: 16, frames: 4, batchSize: 2 },
    },
  },
  {
    id: 'vgan-image-to-video-rgb',
    spec: {
      model: 'vgan',
      variant: 'image-to-video',
      preset: 'tiny',
      config: { frameSize: 16, frames: 8, batchSize: 3, channels: 3 },
    },
  },
  {
    // On an imported .npy dataset: 40-px gray sequences resized to 16 px and repeated into RGB.
    id: 'vgan-on-dataset',
    spec: {
      model: 'vgan',
      variant: 'two-stream',
      preset: 'tiny',
      config: { frameSize: 16, frames: 4, batchSize: 2, channels: 3 },
    },
    onDataset: true,
  },
  { id: 'rcnn-rnn', spec: { model: 'rcnn', variant: 'rnn', preset: 'tiny' } },
  {
    id: 'rcnn-overlapping-relu',
    spec: {
      model: 'rcnn',
      variant: 'rcnn',
      preset: 'tiny',
      config: {
        patchStride: 4,
        convLayers: 2,
        activation: 'relu',
        gradientClipNorm: 0.5,
        batchSize: 2,
      },
    },
  },
  {
    id: 'convlstm-two-layers-clipped',
    spec: {
      model: 'convlstm',
      variant: 'encoder-forecaster',
      preset: 'tiny',
      config: {
        frameSize: 16,
        patchSize: 2,
        channels: '8-8',
        inputFrames: 3,
        futureFrames: 2,
        batchSize: 2,
        gradientClipNorm: 0.5,
      },
    },
  },
];

/** The run's model with fresh weights (its config checked against the registry). */
async function buildModel(run: CheckpointRun): Promise<VideoModel> {
  const build = await modelDefinition(run.model)
    .restore(run.variant, run.preset, run.config)
    .builder();
  return build(run.seed);
}

/** A variant case's run at step 0 as a checkpoint file, the way the app would save it. */
async function freshCheckpoint(
  digits: MnistDigits,
  spec: RunSpec,
  dataset: DatasetPayload | undefined,
): Promise<Uint8Array> {
  const data = dataset
    ? { source: 'video', datasetId: dataset.id, seed: 5, clipStride: 2 }
    : { source: 'moving-mnist', seed: 5, digitSize: 12 };
  const parsed = parseRunSpec({ ...spec, data, seed: 3 });
  const run: CheckpointRun = {
    model: parsed.model,
    variant: parsed.variant as string,
    preset: parsed.preset as string,
    config: { ...parsed.resolved.config },
    data: parsed.data as DataSpec,
    seed: 3,
  };
  const model = await buildModel(run);
  const built = buildRunData(run.data, digits, dataset, model.data, 1);
  built.evalSet.dispose();
  await prepareModel(model, built.stream, () => {}, new AbortController().signal);
  built.stream.nextBatch().dispose(); // the warm-up batch a new run draws
  const fingerprint = dataset && {
    name: dataset.name,
    frames: dataset.frames.frames,
    width: dataset.frames.width,
    height: dataset.frames.height,
    channels: dataset.frames.channels,
  };
  const bytes = await captureCheckpoint(
    { run, model, stream: built.stream, step: 0, history: [], dataset: fingerprint },
    'python parity reference',
  );
  model.dispose();
  return bytes;
}

async function modelReferences(
  digits: MnistDigits,
  out: string,
  dataset: { payload: DatasetPayload; npy: string; layout: NpyLayout },
): Promise<void> {
  const manifest = JSON.parse(readFileSync(path.join(CHECKPOINTS, 'manifest.json'), 'utf8')) as {
    examples: { id: string; file: string }[];
  };
  const cases = manifest.examples.map((example) => ({
    id: example.id,
    file: path.join(CHECKPOINTS, example.file),
    onDataset: false,
  }));
  for (const { id, spec, onDataset = false } of VARIANT_CASES) {
    const file = path.join(out, 'checkpoints', `${id}.safetensors`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      await freshCheckpoint(digits, spec, onDataset ? dataset.payload : undefined),
    );
    cases.push({ id, file, onDataset });
  }
  for (const { id, file, onDataset } of cases) {
    const checkpoint = decodeCheckpoint(readFileSync(file));
    const { run } = checkpoint;
    const model = await buildModel(run);
    model.importState(checkpoint.model);
    const payload = onDataset ? dataset.payload : undefined;
    const data = buildRunData(run.data, digits, payload, model.data, 1);
    data.evalSet.dispose();
    data.stream.setState(checkpoint.data);
    const batch = data.stream.nextBatch();
    const dataStateAfter = data.stream.getState();
    const forward = await forwardOutputs(model, batch, checkpoint.model.tensors);
    const stepLosses = await readScalars(model.trainStep(batch));
    const after = await model.exportState();
    const tensors: Tensors = { batch: await f32(batch), ...forward.tensors };
    for (const [name, tensor] of Object.entries(after.tensors)) {
      tensors[`after.${name}`] = {
        dtype: tensor.dtype === 'int32' ? 'I32' : 'F32',
        shape: tensor.shape,
        data: tensor.data,
      };
    }
    for (const [name, values] of Object.entries(dataStateAfter.arrays)) {
      tensors[`data_after.${name}`] = { dtype: 'I32', shape: [values.length], data: values };
    }
    write(path.join(out, 'models', `${id}.safetensors`), tensors, {
      checkpoint: file,
      ...(onDataset ? { dataset_npy: dataset.npy, dataset_layout: dataset.layout } : {}),
      forward_losses: JSON.stringify(forward.losses),
      step_losses: JSON.stringify(stepLosses),
      model_state_after: JSON.stringify(after.meta),
      data_state_after: JSON.stringify(dataStateAfter.meta),
    });
    batch.dispose();
    model.dispose();
    console.log(`models/${id}: step losses ${JSON.stringify(stepLosses)}`);
  }
}

/** Data specs whose bytes the Python generator must reproduce: every option, resized digits. */
const GENERATOR_CASES: {
  name: string;
  digits: 'train' | 'test';
  seed: number;
  spec: Partial<MovingMnistOptions>;
}[] = [
  { name: 'srivastava', digits: 'train', seed: 42, spec: {} },
  {
    name: 'tiny-canvas',
    digits: 'train',
    seed: 7,
    spec: { canvasSize: 32, digitSize: 14, frames: 10 },
  },
  {
    name: 'additive-stochastic',
    digits: 'train',
    seed: 3,
    spec: { digits: 3, speed: 5.5, compositing: 'additive', bounce: 'stochastic', digitSize: 24 },
  },
  {
    name: 'texture',
    digits: 'train',
    seed: 11,
    spec: { background: 'texture', canvasSize: 48, digitSize: 20, frames: 6 },
  },
  { name: 'held-out', digits: 'test', seed: 20150101, spec: { frames: 8 } },
];

function generatorReferences(digits: MnistDigits, out: string): void {
  for (const { name, digits: which, seed, spec } of GENERATOR_CASES) {
    const options = resolveMovingMnistOptions(spec);
    const generator = new MovingMnistGenerator(digits[which], options, seed);
    const first = generator.nextBatch(5);
    const state = generator.getState();
    const second = generator.nextBatch(4);
    const u8 = (bytes: {
      data: Uint8Array;
      n: number;
      t: number;
      height: number;
      width: number;
    }) => ({
      dtype: 'U8' as const,
      shape: [bytes.n, bytes.t, bytes.height, bytes.width],
      data: bytes.data,
    });
    write(
      path.join(out, 'generator', `${name}.safetensors`),
      {
        first: u8(first),
        second: u8(second),
        order_after_first: {
          dtype: 'I32',
          shape: [state.order.length],
          data: new Int32Array(state.order),
        },
      },
      {
        options: JSON.stringify(options),
        seed: String(seed),
        digits: which,
        state_after_first: JSON.stringify({
          cursor: state.cursor,
          orderRng: state.orderRng,
          motionRng: state.motionRng,
          textureRng: state.textureRng,
        }),
      },
    );
  }
}

/** RGB frames from gray ones: each channel a different fixed function of the gray level. */
function tinted(set: FrameSet): FrameSet {
  const data = new Uint8Array(set.data.length * 3);
  for (let i = 0; i < set.data.length; i++) {
    data[3 * i] = set.data[i];
    data[3 * i + 1] = 255 - set.data[i];
    data[3 * i + 2] = (set.data[i] * 7) % 256;
  }
  return { ...set, data, channels: 3 };
}

/** Writes the dataset cases; returns the first as a run's dataset (as the app sends it to a run). */
async function datasetReferences(
  digits: MnistDigits,
  out: string,
): Promise<{ payload: DatasetPayload; npy: string; layout: NpyLayout }> {
  const options = resolveMovingMnistOptions({ frames: 12, canvasSize: 40, digitSize: 18 });
  const videos = new MovingMnistGenerator(digits.train, options, 5).nextBatch(12);
  const gray: FrameSet = {
    data: videos.data,
    frames: videos.n * videos.t,
    height: videos.height,
    width: videos.width,
    channels: 1,
    segments: Array.from({ length: videos.n }, (_, i) => ({
      name: `sequence ${i}`,
      start: i * videos.t,
      length: videos.t,
    })),
  };
  const cases: {
    name: string;
    set: FrameSet;
    layout: NpyLayout;
    crop: CropMode;
    needs: DataRequirements;
    spec: { seed: number; clipStride?: number; heldOutFraction?: number };
  }[] = [
    {
      name: 'gray-to-rgb-enlarged',
      set: gray,
      layout: 'TNHW',
      crop: 'center',
      needs: { frames: 6, height: 48, width: 48, channels: 3, range: 'symmetric', batchSize: 4 },
      spec: { seed: 9, clipStride: 3 },
    },
    {
      name: 'rgb-to-gray-shrunk',
      set: tinted(gray),
      layout: 'NTHW',
      crop: 'fit',
      needs: { frames: 5, height: 24, width: 24, channels: 1, range: 'unit', batchSize: 3 },
      spec: { seed: 1, heldOutFraction: 0.25 },
    },
  ];
  let first: { payload: DatasetPayload; npy: string; layout: NpyLayout } | undefined;
  for (const { name, set, layout, crop, needs, spec } of cases) {
    const npy = frameSetToNpy(set, layout);
    const npyPath = path.join(out, 'datasets', `${name}.npy`);
    mkdirSync(path.dirname(npyPath), { recursive: true });
    writeFileSync(npyPath, npy);
    const imported = await frameSetFromNpy(npy, layout, `${name}.npy`);
    first ??= {
      payload: { id: name, name: `${name}.npy`, frames: imported, crop, fps: null },
      npy: npyPath,
      layout,
    };
    const videoSpec = { source: 'video' as const, datasetId: name, ...spec };
    const data = prepareVideoData(imported, crop, videoSpec, needs, 1, spec.seed, name);
    data.evalSet.dispose();
    const tensors: Tensors = {};
    for (let i = 0; i < 3; i++) {
      const batch = data.stream.nextBatch();
      tensors[`batch${i}`] = await f32(batch);
      batch.dispose();
    }
    write(path.join(out, 'datasets', `${name}.safetensors`), tensors, {
      layout,
      crop,
      needs: JSON.stringify(needs),
      spec: JSON.stringify(videoSpec),
      state_after: JSON.stringify(data.stream.getState().meta),
    });
  }
  if (!first) throw new Error('no dataset case');
  return first;
}

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: write-references.ts <output folder>');
  await tf.setBackend('cpu');
  const digits = await loadMnistFromDisk();
  generatorReferences(digits, out);
  const dataset = await datasetReferences(digits, out);
  await modelReferences(digits, out, dataset);
}

await main();
