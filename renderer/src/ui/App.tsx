/** The studio's layout: Generate on the left, the canvas in the centre, Layers / Edit / Upscale / Solver lab / Gallery on the right. */
import { useEffect } from 'react';
import { CanvasPane } from './CanvasPane.js';
import { CanvasPanel } from './CanvasPanel.js';
import { EditPanel } from './EditPanel.js';
import { Gallery } from './Gallery.js';
import { GeneratePanel } from './GeneratePanel.js';
import { KeyboardHelp } from './KeyboardHelp.js';
import { attachKeyboard } from './keyboard.js';
import { LayersPanel } from './LayersPanel.js';
import { SolverLabPanel } from './SolverLabPanel.js';
import { StatusBar } from './StatusBar.js';
import { UpscalePanel } from './UpscalePanel.js';
import { Toolbar } from './Toolbar.js';
import type { Studio } from './studio.js';

export function App({ studio }: { studio: Studio }) {
  useEffect(() => attachKeyboard(studio), [studio]);
  return (
    <div className="studio">
      <Toolbar studio={studio} />
      <GeneratePanel studio={studio} />
      <CanvasPane studio={studio} />
      <div className="right-column">
        <CanvasPanel studio={studio} />
        <LayersPanel studio={studio} />
        <EditPanel studio={studio} />
        <UpscalePanel studio={studio} />
        <SolverLabPanel studio={studio} />
        <Gallery studio={studio} />
      </div>
      <StatusBar studio={studio} />
      <KeyboardHelp studio={studio} />
    </div>
  );
}
