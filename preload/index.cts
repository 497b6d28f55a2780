/**
 * Preload: exposes a small fixed object to the sandboxed renderer and nothing else. Sandboxed
 * preloads must be CommonJS, hence `.cts` and `require`.
 */
import electron = require('electron');

electron.contextBridge.exposeInMainWorld('driftline', Object.freeze({ shell: 'electron' as const }));
