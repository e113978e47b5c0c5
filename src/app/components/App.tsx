/** The playground: header, a sidebar (run list, new run) and the selected run. */
import { useState } from 'react';
import { useDatasets } from '../state/datasets';
import { usePlayground } from '../state/store';
import { DataPanel } from './DataPanel';
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
  // The main area shows runs, or the Data view (imported videos and arrays).
  const [view, setView] = useState<'runs' | 'data'>('runs');
  const datasetCount = useDatasets((state) => state.order.length);
  const dataBusy = useDatasets((state) => state.jobs.length > 0 || state.failures.length > 0);
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
        <nav className="view-switch" aria-label="View">
          <button
            type="button"
            className="header-button"
            aria-pressed={view === 'runs'}
            onClick={() => setView('runs')}
          >
            Runs
          </button>
          <button
            type="button"
            className="header-button"
            aria-pressed={view === 'data'}
            onClick={() => setView('data')}
          >
            Data{datasetCount > 0 ? ` (${datasetCount})` : ''}
            {dataBusy && view !== 'data' ? (
              <span className="view-dot" aria-label="activity" />
            ) : null}
          </button>
        </nav>
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
        </aside>
        <main id="main" className="main" tabIndex={-1}>
          {view === 'data' ? (
            <DataPanel />
          ) : selected ? (
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
