import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/components/App';
import { installAutomationApi } from './app/automation';
import { openFromLocation } from './app/compare/experiment-actions';
import { datasetRegistry } from './app/data/instance';
import { runManager } from './app/runs/instance';
import './app/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
// `ready` settles once a link's experiment (if any) has been validated and its runs created.
installAutomationApi(runManager, openFromLocation(runManager), datasetRegistry);
