/** The studio page's entry: one Studio (editor, client, autosave) and the React layout around it. */
import './ui/zod-config.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.js';
import { Studio } from './ui/studio.js';
import './ui/styles.css';

const studio = new Studio();
const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
createRoot(root).render(
  <StrictMode>
    <App studio={studio} />
  </StrictMode>,
);
void studio.start();
// For Playwright and the console: the headless editor behind the page.
(window as unknown as { driftlineStudio?: Studio }).driftlineStudio = studio;
