/** Switches the main area between the selected run, the comparison and the presentation view. */
import type { ViewName } from '../../../protocol/experiment';
import { useWorkspace } from '../../state/workspace';

const VIEW_LABELS: Record<ViewName, string> = {
  run: 'Run',
  compare: 'Compare',
  present: 'Present',
};

export function ViewTabs() {
  const view = useWorkspace((state) => state.view);
  const setView = useWorkspace((state) => state.setView);
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
        </button>
      ))}
    </nav>
  );
}
