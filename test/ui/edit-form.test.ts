import { describe, expect, it } from 'vitest';
import { DEFAULT_EDIT_FORM, EDIT_PRESETS, parseEditForm, type EditForm } from '../../renderer/src/ui/edit/form.js';

const parse = (patch: Partial<EditForm>) => parseEditForm({ ...DEFAULT_EDIT_FORM, ...patch });

describe('Edit panel fields', () => {
  it('empty fields leave every knob to the preset', () => {
    expect(parse({})).toEqual({ ok: true, value: { seed: 0, options: { memory: { enabled: true } } } });
    expect(EDIT_PRESETS).toEqual(['fast', 'diffeditor']);
  });

  it('every knob reaches the options', () => {
    const r = parse({
      steps: '30', cfg: '5.5', seed: '77', inversion: 'ddim', eta: '0.4', sdeFrom: '0.2', sdeTo: '0.38',
      travelAt: '0.44, 0.48 0.52;0.56', travelTries: '3', guidanceScale: '2', content: '6', edit: '1.5', contrast: '0.2', inpaint: '0.8',
      everyUntil: '0.4', alternateUntil: '0.8', composite: 'off', guidanceKind: 'features', featureStep: '900', memory: false, memoryLayers: 'all', memoryFrom: '0.1', memoryTo: '0.9',
    });
    expect(r).toEqual({
      ok: true,
      value: {
        steps: 30, cfgScale: 5.5, seed: 77,
        options: {
          inversion: 'ddim', eta: 0.4, sdeWindow: [0.2, 0.38], timeTravel: { at: [0.44, 0.48, 0.52, 0.56], tries: 3 },
          guidance: { kind: 'features', scale: 2, featureStep: 900, content: 6, edit: 1.5, contrast: 0.2, inpaint: 0.8, everyUntil: 0.4, alternateUntil: 0.8 },
          composite: false, memory: { enabled: false, layers: 'all', window: [0.1, 0.9] },
        },
      },
    });
    expect(parse({ composite: 'on', content: '3' })).toEqual({ ok: true, value: { seed: 0, options: { composite: true, guidance: { content: 3 }, memory: { enabled: true } } } });
  });

  it('bad values name their field', () => {
    const errors = (patch: Partial<EditForm>) => {
      const r = parse(patch);
      return r.ok ? [] : r.errors;
    };
    expect(errors({ steps: '1' })).toEqual(['Steps must be a whole number from 2 to 1000.']);
    expect(errors({ steps: '2.5' })[0]).toMatch(/^Steps/);
    expect(errors({ cfg: 'x' })[0]).toMatch(/^CFG/);
    expect(errors({ eta: '1.5' })[0]).toMatch(/^η/);
    expect(errors({ memoryFrom: '0.2' })).toEqual(['The attention-memory steps need both a start and an end (or neither).']);
    expect(errors({ memoryFrom: '0.8', memoryTo: '0.2' })).toEqual(['The attention-memory steps must start before they end.']);
    expect(errors({ memoryTo: '2', memoryFrom: '0' })[0]).toMatch(/^Memory to/);
    expect(errors({ sdeFrom: '0.2' })).toEqual(['The SDE window needs both its start and its end (or neither).']);
    expect(errors({ sdeFrom: '0.6', sdeTo: '0.2' })).toEqual(['The SDE window must start before it ends.']);
    expect(errors({ sdeFrom: '0.2', sdeTo: '2' })[0]).toMatch(/^SDE window end/);
    expect(errors({ travelAt: '0.5' })).toEqual(['Time travel needs both its steps and its tries (or neither).']);
    expect(errors({ travelAt: '0.5, 1.2', travelTries: '2' })[0]).toMatch(/fractions of the steps from 0 to 1/);
    expect(errors({ travelAt: '0.5', travelTries: '11' })[0]).toMatch(/^Time-travel tries/);
    expect(errors({ everyUntil: '0.6', alternateUntil: '0.3' })[0]).toMatch(/must not come before/);
    expect(errors({ seed: '-1', content: '101' })).toHaveLength(2);
  });
});
