/**
 * The method names, at run time, for the renderer (the contract's METHODS object is not imported
 * here: it would pull the schemas into the page). test/renderer-api checks this list against
 * METHODS and the desktop extras.
 */
import type { MethodName } from '../../../main/api/contract.js';
import type { DesktopMethodName } from '../../../main/api/desktop.js';

export const STUDIO_METHODS = ['listSamplers', 'listModels', 'inspectModel', 'importModel', 'removeModel', 'downloadModel', 'generate', 'edit', 'upscale', 'bcSearch', 'getBoundary', 'solverLab', 'getSolverTable', 'galleryList', 'galleryGet', 'galleryThumbnails', 'galleryDelete', 'cancel'] as const satisfies readonly MethodName[];
export const DESKTOP_METHOD_NAMES = ['saveFile', 'openImage', 'startDrag', 'showInFolder'] as const satisfies readonly DesktopMethodName[];
export const METHOD_NAMES = [...STUDIO_METHODS, ...DESKTOP_METHOD_NAMES] as const;

// Fail to compile when the contract gains a method that is not listed.
const allListed: [Exclude<MethodName, (typeof STUDIO_METHODS)[number]> | Exclude<DesktopMethodName, (typeof DESKTOP_METHOD_NAMES)[number]>] extends [never] ? true : never = true;
void allListed;
