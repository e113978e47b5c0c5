import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/components/App';
import { installAutomationApi } from './app/automation';
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
installAutomationApi(runManager, Promise.resolve(), datasetRegistry);
