/**
 * The Data view's import options: drafts as typed, their checks (an error naming each bad field)
 * and the import of dropped or picked files through the dataset registry.
 */
import type { NpyLayout } from '../../core/data/npy';
import { pairLabelsFiles } from '../../core/data/sequence-labels';
import type { CropMode } from '../../core/data/types';
import type { ColorMode, VideoImportOptions } from '../../protocol/data-messages';
import { parseInteger } from '../components/DataOptions';
import { useDatasets } from '../state/datasets';
import { DEFAULT_CLIP_LENGTH } from './dataset-registry';
import { datasetRegistry } from './instance';

/** The import options as the user typed them. */
export interface ImportDrafts {
  width: string;
  height: string;
  crop: CropMode;
  color: ColorMode;
  fps: string; // '' = the video's own
  maxSeconds: string; // '' = all
  clipLength: string;
  combine: boolean;
  layout: NpyLayout;
  npyCount: string; // '' = all
}

export const DEFAULT_IMPORT_DRAFTS: ImportDrafts = {
  width: '64',
  height: '64',
  crop: 'center',
  color: 'rgb',
  fps: '',
  maxSeconds: '',
  clipLength: String(DEFAULT_CLIP_LENGTH),
  combine: true,
  layout: 'TNHW',
  npyCount: '',
};

export type ImportDraftErrors = Partial<Record<keyof ImportDrafts, string>>;

/** The drafts checked: an error per bad field, and the video import options they give. */
export function checkImportDrafts(drafts: ImportDrafts): {
  errors: ImportDraftErrors;
  video: VideoImportOptions;
} {
  const errors: ImportDraftErrors = {};
  const width = parseInteger(drafts.width, 'Width', 4, 1024);
  const height = parseInteger(drafts.height, 'Height', 4, 1024);
  const clipLength = parseInteger(drafts.clipLength, 'Clip length', 1, 1000);
  if (width.error) errors.width = width.error;
  if (height.error) errors.height = height.error;
  if (clipLength.error) errors.clipLength = clipLength.error;
  const fps = drafts.fps.trim() === '' ? undefined : Number(drafts.fps);
  if (fps !== undefined && !(fps > 0 && fps <= 240)) {
    errors.fps =
      'Frame rate must be between 0 and 240 frames per second, or empty for the video’s own';
  }
  const maxSeconds = drafts.maxSeconds.trim() === '' ? undefined : Number(drafts.maxSeconds);
  if (maxSeconds !== undefined && !(maxSeconds > 0)) {
    errors.maxSeconds = 'Seconds must be a positive number, or empty for the whole video';
  }
  if (drafts.npyCount.trim() !== '') {
    const count = parseInteger(drafts.npyCount, 'Sequences', 1, 1_000_000);
    if (count.error) errors.npyCount = count.error;
  }
  return {
    errors,
    video: {
      width: width.value,
      height: height.value,
      crop: drafts.crop,
      color: drafts.color,
      clipLength: clipLength.value,
      ...(fps !== undefined ? { fps } : {}),
      ...(maxSeconds !== undefined ? { maxSeconds } : {}),
    },
  };
}

/**
 * Imports files one after another, each .npy array with its labels file (`pairLabelsFiles`);
 * with `combine`, videos after the first join its dataset.
 */
export async function importFiles(files: File[], drafts: ImportDrafts): Promise<void> {
  const { video } = checkImportDrafts(drafts);
  const { imports, error } = pairLabelsFiles(files);
  if (error) useDatasets.getState().addFailure({ id: Date.now() + Math.random(), message: error });
  let target: string | undefined;
  for (const { file, labels } of imports) {
    try {
      if (file.name.toLowerCase().endsWith('.npy')) {
        await datasetRegistry.importNpy(file, {
          layout: drafts.layout,
          ...(drafts.npyCount.trim() ? { count: Number(drafts.npyCount) } : {}),
          ...(labels ? { labels } : {}),
        });
      } else {
        const summary = await datasetRegistry.importVideo(file, {
          ...video,
          ...(drafts.combine && target ? { appendTo: target } : {}),
        });
        target ??= summary.datasetId;
      }
    } catch {
      // Shown in the failure list by the registry; the other files go on.
    }
  }
}
