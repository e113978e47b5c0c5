/**
 * Short, static descriptions of the three paper models for the empty state. Whether a model can
 * be trained is decided by MODEL_CATALOG alone; these texts only explain what each one is.
 */
import type { ModelKind } from '../../core/models/types';

export interface ModelInfo {
  kind: ModelKind;
  name: string;
  paper: string;
  idea: string;
}

export const MODEL_INFO: readonly ModelInfo[] = [
  {
    kind: 'lstm',
    name: 'LSTM encoder–decoder',
    paper: 'Srivastava, Mansimov & Salakhutdinov, ICML 2015',
    idea: 'An LSTM reads 10 frames into a fixed-size state; one decoder reconstructs them (in reverse order), another predicts the next 10.',
  },
  {
    kind: 'vgan',
    name: 'Video GAN (VGAN)',
    paper: 'Vondrick, Pirsiavash & Torralba, NeurIPS 2016',
    idea: 'A generator of spatio-temporal convolutions separates a moving foreground from a static background; a discriminator judges whole clips.',
  },
  {
    kind: 'rcnn',
    name: 'Video language model (rCNN)',
    paper: 'Ranzato et al., arXiv 2014',
    idea: 'Frames become sequences of quantised patches (k-means "words"); a recurrent convolutional network predicts the next frame’s words like a language model.',
  },
];
