/** The playground: header, a sidebar (run list, new run) and the selected run. */
import { useState } from 'react';
import { usePlayground } from '../state/store';
import { useWorkspace } from '../state/workspace';
import { CompareView } from './compare/CompareView';
import { LinkNotice } from './compare/LinkNotice';
import { PresentView } from './compare/PresentView';
import { ShareButton } from './compare/ShareButton';
import { ViewTabs } from './compare/ViewTabs';
import { DataPanel } from './DataPanel';
import { CheckpointLibrary } from './CheckpointLibrary';
import { EmptyState } from './EmptyState';
import { useMediaQuery } from './hooks';
import { NewRunPanel } from './NewRunPanel';
import { RunList } from './RunList';
import { RunView } from './RunView';
import { SideScrollRow } from './SideScrollRow';

/** Where styles.css puts the layout in one column. */
const ONE_COLUMN = '(max-width: 900px)';

export function App() {
  const selected = usePlayground((state) =>
    state.selectedRunId ? state.runs[state.selectedRunId] : undefined,
  );
  const hasRuns = usePlayground((state) => state.runOrder.length > 0);
  // Hiding the sidebar gives a run the full width (presentations, small screens).
  const [sidebarOpen, setSidebarOpen] = useState(true);
  const view = useWorkspace((state) => state.view);
  const controlsHidden = useWorkspace((state) => state.controlsHidden);
  // One column on narrow windows and phones (styles.css), the view above the sidebar: the DOM
  // follows, so reading and focus order match what is seen (the introduction before the forms).
  const oneColumn = useMediaQuery(ONE_COLUMN);
  const setControlsHidden = useWorkspace((state) => state.setControlsHidden);
  const runView = selected ? (
    <RunView key={selected.id} run={selected} />
  ) : hasRuns ? (
    <p className="empty-state">Select a run in the list to see it here.</p>
  ) : (
    <EmptyState />
  );
  const content =
    view === 'compare' ? (
      <CompareView />
    ) : view === 'present' ? (
      <PresentView />
    ) : view === 'data' ? (
      <DataPanel />
    ) : (
      runView
    );
  if (controlsHidden) {
    // A lesson link (?controls=hidden): only the content, and one quiet way back to the controls,
    // in a row of its own so that it covers nothing while the lesson scrolls.
    return (
      <div className="app app-bare">
        <main id="main" className="main" tabIndex={-1}>
          <h1 className="visually-hidden">Video Model Playground</h1>
          <div className="show-controls-row">
            <button
              type="button"
              className="show-controls"
              onClick={() => setControlsHidden(false)}
            >
              Show controls
            </button>
          </div>
          <LinkNotice />
          {content}
        </main>
      </div>
    );
  }
  const sidebarShown = sidebarOpen && view !== 'present';
  const sidebar = (
    <aside key="sidebar" id="sidebar" className="sidebar" aria-label="Runs" hidden={!sidebarShown}>
      {hasRuns ? <RunList /> : null}
      <NewRunPanel />
      <CheckpointLibrary />
    </aside>
  );
  const main = (
    <main key="main" id="main" className="main" tabIndex={-1}>
      <LinkNotice />
      {content}
    </main>
  );
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to the run
      </a>
      <header className="app-header">
        <div className="app-title">
          <h1>Video Model Playground</h1>
          <p>Train and compare video models from their papers, right in your browser on WebGPU.</p>
        </div>
        <SideScrollRow className="header-actions">
          <ViewTabs />
          <ShareButton />
          {view !== 'present' ? (
            <button
              type="button"
              className="header-button"
              aria-expanded={sidebarOpen}
              aria-controls="sidebar"
              onClick={() => setSidebarOpen(!sidebarOpen)}
            >
              {sidebarOpen ? 'Hide sidebar' : 'Show sidebar'}
            </button>
          ) : null}
        </SideScrollRow>
      </header>
      <div className={`app-layout${sidebarShown ? '' : ' sidebar-hidden'}`}>
        {oneColumn ? [main, sidebar] : [sidebar, main]}
      </div>
    </div>
  );
}
