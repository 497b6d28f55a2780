import { describe, expect, it } from 'vitest';
import { createDocument, createImageLayer, deserialize, DocumentLoadError, serialize, type CanvasDocument } from '../../renderer/src/document/index.js';

function sample(): CanvasDocument {
  const doc = createDocument(256, 192);
  doc.layers.push(createImageLayer({ id: 'base', pixelId: 'px-1', width: 256, height: 192, name: 'Generated' }));
  doc.layers.push({ ...createImageLayer({ id: 'pasted', pixelId: 'px-2', width: 40, height: 30, at: { x: 10, y: 12 } }), scaleX: 1.5, opacity: 0.7, visible: false });
  doc.mask.strokes.push({ id: 's1', mode: 'brush', size: 12, hardness: 0.4, points: [1, 2, 3.5, 4.25] });
  doc.mask.strokes.push({ id: 's2', mode: 'eraser', size: 6, hardness: 1, points: [7, 8] });
  doc.selection = { shape: { kind: 'lasso', points: [0, 0, 10, 0, 5, 8], closed: true }, dx: 3, dy: -2, scaleX: 1.25, scaleY: 1.25 };
  doc.dragPairs.push({ id: 'd1', handle: { x: 1, y: 1 }, target: { x: 9, y: 9 } });
  doc.reference = { kind: 'rect', x: 100, y: 20, width: 30, height: 40 };
  doc.frame = { x: -16, y: 8, width: 64, height: 48 };
  return doc;
}

function loadError(text: string): DocumentLoadError {
  try {
    deserialize(text);
  } catch (e) {
    expect(e).toBeInstanceOf(DocumentLoadError);
    return e as DocumentLoadError;
  }
  throw new Error('expected a DocumentLoadError');
}

describe('document serialisation', () => {
  it('round-trips a full document exactly', () => {
    const doc = sample();
    const text = serialize(doc);
    expect(JSON.parse(text)).toMatchObject({ format: 'driftline-canvas', version: 3 });
    expect(deserialize(text)).toEqual(doc);
    expect(serialize(deserialize(text))).toBe(text);
  });

  it('a version-1 canvas (before reference regions) loads with no reference region', () => {
    const doc = sample();
    const { reference, frame, ...v1 } = doc;
    expect(reference).not.toBeNull();
    expect(frame).not.toBeNull();
    const loaded = deserialize(JSON.stringify({ format: 'driftline-canvas', version: 1, document: { ...v1, version: 1 } }));
    expect(loaded).toEqual({ ...doc, reference: null, frame: null });
    // A version-2 file must carry the field.
    expect(loadError(JSON.stringify({ format: 'driftline-canvas', version: 2, document: { ...v1, version: 2 } })).issues.join('\n')).toMatch(/reference/);
  });

  it('a version-2 canvas (before the generation frame) loads with the default frame', () => {
    const doc = sample();
    const { frame, ...v2 } = doc;
    expect(frame).not.toBeNull();
    expect(deserialize(JSON.stringify({ format: 'driftline-canvas', version: 2, document: { ...v2, version: 2 } }))).toEqual({ ...doc, frame: null });
    // A version-3 file must carry it, with whole-pixel sides of at least one pixel.
    expect(loadError(JSON.stringify({ format: 'driftline-canvas', version: 3, document: { ...v2, version: 3 } })).issues.join('\n')).toMatch(/frame/);
    expect(loadError(serialize({ ...doc, frame: { x: 0, y: 0, width: 0, height: 8 } })).issues.join('\n')).toMatch(/frame\.width/);
    expect(loadError(serialize({ ...doc, frame: { x: 0.5, y: 0, width: 8, height: 8 } })).issues.join('\n')).toMatch(/frame\.x/);
  });

  it('corrupt JSON gives a clear error', () => {
    const text = serialize(sample());
    expect(loadError(text.slice(0, text.length / 2)).message).toMatch(/not valid JSON/);
    expect(loadError('').message).toMatch(/not valid JSON/);
  });

  it('wrong shapes give errors that name the field', () => {
    const raw = JSON.parse(serialize(sample()));
    raw.document.layers[1].opacity = 3;
    raw.document.mask.strokes[0].points = [1, 2, 3];
    const err = loadError(JSON.stringify(raw));
    expect(err.message).toMatch(/canvas file is invalid/);
    expect(err.issues.join('\n')).toMatch(/layers\.1\.opacity/);
    expect(err.issues.join('\n')).toMatch(/mask\.strokes\.0\.points: points must be x, y pairs/);
  });

  it('rejects other files, newer versions, duplicate ids and non-zero rotation', () => {
    expect(loadError('{"hello":1}').message).toMatch(/not a Driftline canvas/);
    expect(loadError('{"format":"driftline-canvas","version":99,"document":{}}').message).toMatch(/newer than this app/);
    expect(loadError('{"format":"driftline-canvas","version":1}').message).toMatch(/no document/);
    const raw = JSON.parse(serialize(sample()));
    raw.document.layers[1].id = 'base';
    expect(loadError(JSON.stringify(raw)).message).toMatch(/duplicate layer id "base"/);
    raw.document.layers[1].id = 'x';
    raw.document.layers[1].rotation = 45;
    expect(loadError(JSON.stringify(raw)).issues.join()).toMatch(/layers\.1\.rotation/);
  });

  it('never crashes on garbage', () => {
    for (const text of ['null', '[]', '42', '"doc"', '{"format":"driftline-canvas","version":"1"}', '{"format":"driftline-canvas","version":1,"document":{"layers":null}}', '\u0000']) {
      expect(() => deserialize(text)).toThrow(DocumentLoadError);
    }
  });
});
