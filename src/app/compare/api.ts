/**
 * The comparison, sharing and export part of `window.playground` (merged into PlaygroundApi by
 * automation.ts). Each method does what the matching UI control does.
 */
import type { ModelKind } from '../../core/models/registry';
import type { MetricsFormat, SampleFormat } from '../../protocol/export-messages';
import type { ViewName } from '../../protocol/experiment';
import type { RunManager } from '../runs/run-manager';
import { usePlayground } from '../state/store';
import { comparedIds, useWorkspace } from '../state/workspace';
import type { Playback } from '../state/workspace';
import type { CompareRow } from './compare-data';
import { compareRow, unionOfNames } from './compare-data';
import {
  addRunToCompare,
  loadExperiment,
  shareUrl,
  startClassroomDemo,
} from './experiment-actions';
import type { NewComparedRun, ShareOptions } from './experiment-actions';
import { exportClient } from './instance';
import { playbackLength } from './playback';

export interface CompareSnapshot {
  view: ViewName;
  ids: string[];
  /** Training metric names with one overlaid chart each. */
  metrics: string[];
  playback: Playback & { length: number };
  rows: CompareRow[];
}

export interface ExperimentApi {
  shareUrl(options?: ShareOptions): string;
  /** Validates a link and recreates its runs; rejects (creating nothing) when it is invalid. */
  loadExperiment(urlOrHash: string): Promise<string[]>;
  /** Shows these runs (all runs when omitted) in the compare view. */
  compare(ids?: string[]): CompareSnapshot;
  getCompare(): CompareSnapshot;
  addRunToCompare(run: NewComparedRun): Promise<string>;
  setView(view: ViewName): void;
  setPlayback(patch: Partial<Playback>): Playback;
  startClassroomDemo(models?: ModelKind[]): Promise<string[]>;
  exportSamples(id: string, format: SampleFormat): Promise<Blob>;
  exportMetrics(id: string, format: MetricsFormat): Promise<Blob>;
}

export function experimentApi(manager: RunManager): ExperimentApi {
  const snapshot = (): CompareSnapshot => {
    const { runs, runOrder } = usePlayground.getState();
    const workspace = useWorkspace.getState();
    const ids = comparedIds(runOrder, workspace.compareSelection);
    return {
      view: workspace.view,
      ids,
      metrics: unionOfNames(ids.map((id) => manager.history(id)?.names() ?? [])),
      playback: { ...workspace.playback, length: playbackLength(ids.map((id) => runs[id])) },
      rows: ids.map((id) => compareRow(runs[id], manager.history(id))),
    };
  };
  return {
    shareUrl: (options) => shareUrl(options),
    loadExperiment: (urlOrHash) => loadExperiment(manager, urlOrHash),
    compare: (ids) => {
      const { runOrder } = usePlayground.getState();
      for (const id of ids ?? [])
        if (!runOrder.includes(id)) throw new Error(`Unknown run "${id}"`);
      const workspace = useWorkspace.getState();
      workspace.setCompareSelection(ids ? [...ids] : null);
      workspace.setView('compare');
      return snapshot();
    },
    getCompare: snapshot,
    addRunToCompare: (run) => addRunToCompare(manager, run),
    setView: (view) => useWorkspace.getState().setView(view),
    setPlayback: (patch) => {
      useWorkspace.getState().setPlayback(patch);
      return useWorkspace.getState().playback;
    },
    startClassroomDemo: (models) => startClassroomDemo(manager, models),
    exportSamples: (id, format) => exportClient.exportSamples(id, format),
    exportMetrics: (id, format) => exportClient.exportMetrics(id, format),
  };
}
