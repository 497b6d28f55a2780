/**
 * Versioned JSON for autosave and restore. `deserialize` never throws anything but a
 * DocumentLoadError whose message says what was wrong and where.
 */
import { DocumentSchema } from './schema.js';
import { DOCUMENT_VERSION, type CanvasDocument } from './types.js';

export const DOCUMENT_FORMAT = 'driftline-canvas';

export class DocumentLoadError extends Error {
  constructor(message: string, readonly issues: string[] = []) {
    super(message);
    this.name = 'DocumentLoadError';
  }
}

/** Upgrades from older versions: migrations[n] turns a version-n document into version n+1. */
const migrations: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {
  // Version 2 added the reference region for appearance edits.
  1: (doc) => ({ ...doc, reference: null }),
  // Version 3 added the generation frame; an older canvas starts with the default one.
  2: (doc) => ({ ...doc, frame: null }),
};

export function serialize(doc: CanvasDocument): string {
  return JSON.stringify({ format: DOCUMENT_FORMAT, version: DOCUMENT_VERSION, document: doc });
}

export function deserialize(text: string): CanvasDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DocumentLoadError(`canvas file is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw) || raw.format !== DOCUMENT_FORMAT) throw new DocumentLoadError(`not a Driftline canvas file (expected "format": "${DOCUMENT_FORMAT}")`);
  let version = raw.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new DocumentLoadError('canvas file has no valid version number');
  if (version > DOCUMENT_VERSION) throw new DocumentLoadError(`canvas file version ${version} is newer than this app supports (${DOCUMENT_VERSION}); update Driftline Studio`);
  if (!isObject(raw.document)) throw new DocumentLoadError('canvas file has no document');
  let doc: Record<string, unknown> = raw.document;
  for (; version < DOCUMENT_VERSION; version++) {
    const migrate = migrations[version];
    if (!migrate) throw new DocumentLoadError(`no upgrade from canvas version ${version}`);
    doc = { ...migrate(doc), version: version + 1 };
  }
  const parsed = DocumentSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(document)'}: ${i.message}`);
    const shown = issues.slice(0, 5).join('; ') + (issues.length > 5 ? `; … ${issues.length - 5} more` : '');
    throw new DocumentLoadError(`canvas file is invalid: ${shown}`, issues);
  }
  return parsed.data;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
