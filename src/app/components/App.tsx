/** The playground: header, a sidebar (run list, new run) and the selected run. */
import { useState } from 'react';
import { usePlayground } from '../state/store';
import { CheckpointLibrary } from './CheckpointLibrary';
import { EmptyState } from './EmptyState';
import { NewRunPanel } from './NewRunPanel';
import { RunList } from './RunList';
import { RunView } from './RunView';

export function App() {
  const selected = usePlayground((state) =>
    state.selectedRunId ? state.runs[state.selectedRunId] : undefined,
  );
  const hasRuns = usePlayground((state) => state.runOrder.length > 0);
  // Hiding the sidebar gives a run the full width (presentations, small screens).
  const [sidebarOpen, setSidebarOpen] = useState(true);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to the run
      </a>
      <header className="app-header">
        <div className="app-title">
          <h1>Video Model Playground</h1>
          <p>Train and compare video models from three papers, right in your browser on WebGPU.</p>
        </div>
        <button
          type="button"
          className="header-button"
          aria-expanded={sidebarOpen}
          aria-controls="sidebar"
          onClick={() => setSidebarOpen(!sidebarOpen)}
        >
          {sidebarOpen ? 'Hide sidebar' : 'Show sidebar'}
        </button>
      </header>
      <div className={`app-layout${sidebarOpen ? '' : ' sidebar-hidden'}`}>
        <aside id="sidebar" className="sidebar" aria-label="Runs" hidden={!sidebarOpen}>
          {hasRuns ? <RunList /> : null}
          <NewRunPanel />
          <CheckpointLibrary />
        </aside>
        <main id="main" className="main" tabIndex={-1}>
          {selected ? (
            <RunView key={selected.id} run={selected} />
          ) : hasRuns ? (
            <p className="empty-state">Select a run in the list to see it here.</p>
          ) : (
            <EmptyState />
          )}
        </main>
      </div>
    </div>
  );
}
