/**
 * Switches the main area between the selected run, the comparison, the presentation view and the
 * Data view (imported videos and arrays).
 */
import type { ViewName } from '../../../protocol/experiment';
import { useDatasets } from '../../state/datasets';
import { useWorkspace } from '../../state/workspace';

const VIEW_LABELS: Record<ViewName, string> = {
  run: 'Run',
  compare: 'Compare',
  present: 'Present',
  data: 'Data',
};

export function ViewTabs() {
  const view = useWorkspace((state) => state.view);
  const setView = useWorkspace((state) => state.setView);
  const datasetCount = useDatasets((state) => state.order.length);
  const dataBusy = useDatasets((state) => state.jobs.length > 0 || state.failures.length > 0);
  return (
    <nav className="view-tabs" aria-label="View">
      {(Object.keys(VIEW_LABELS) as ViewName[]).map((name) => (
        <button
          key={name}
          type="button"
          className="header-button"
          aria-pressed={view === name}
          onClick={() => setView(name)}
        >
          {VIEW_LABELS[name]}
          {name === 'data' && datasetCount > 0 ? ` (${datasetCount})` : ''}
          {name === 'data' && dataBusy && view !== 'data' ? (
            <span className="view-dot" aria-label="activity" />
          ) : null}
        </button>
      ))}
    </nav>
  );
}
