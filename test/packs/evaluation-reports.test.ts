/**
 * Every quality number the README gives for an embedded pack has a committed source: the pack's
 * evaluation.json, written by the evaluation script that measured it (models/train/eval_*.py
 * through eval_report.py). Each report names its command, date, data split and source, and the
 * README quotes its numbers as written there (rounded as the README rounds them).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PACKS = path.join(ROOT, 'models', 'packs');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');

interface Section {
  command: string;
  date: string;
  split: string;
  source: string;
  numbers: Record<string, unknown>;
}

interface SrNumbers {
  images: number;
  sampler: string;
  bicubic: { psnr: number; ssim: number };
  model: { psnr: number; ssim: number };
}

interface SplitNumbers {
  category_acc: number;
  chance_independent: number;
  chance_majority: number;
  ceiling_real_images: number;
  category_acc_in_vocab?: number;
}

function report(pack: string): { pack: string; evaluations: Record<string, Section> } {
  return JSON.parse(readFileSync(path.join(PACKS, pack, 'evaluation.json'), 'utf8')) as { pack: string; evaluations: Record<string, Section> };
}

/** `x` as the README writes it: `places` decimals. */
const fixed = (x: number, places: number) => x.toFixed(places);

describe('evaluation reports beside the embedded packs', () => {
  const packs = readdirSync(PACKS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

  it('every embedded pack has one, each section with its command, date, split, source and numbers', () => {
    expect(packs.sort()).toEqual(['emoji-32', 'emoji-sr-64', 'emoji-sr-x4']);
    for (const pack of packs) {
      expect(existsSync(path.join(PACKS, pack, 'evaluation.json')), pack).toBe(true);
      const r = report(pack);
      expect(r.pack).toBe(pack);
      expect(Object.keys(r.evaluations).length, pack).toBeGreaterThan(0);
      for (const [key, s] of Object.entries(r.evaluations)) {
        const where = `${pack} ${key}`;
        expect(s.command, where).toMatch(/^(nice -n \d+ )?\/usr\/bin\/python3 models\/train\/eval_\w+\.py/);
        expect(Number.isNaN(Date.parse(s.date)), where).toBe(false);
        expect(s.split, where).toMatch(/held-out split of models\/train\/split\.json/);
        expect(s.source.length, where).toBeGreaterThan(5);
        expect(Object.keys(s.numbers).length, where).toBeGreaterThan(0);
      }
    }
  });

  it('the README quotes the super-resolution packs\' PSNR and SSIM as their reports give them', () => {
    for (const [pack, factor] of [['emoji-sr-64', '2×'], ['emoji-sr-x4', '4×']] as const) {
      const n = report(pack).evaluations.sr.numbers as unknown as SrNumbers;
      const steps = /(\d+) steps/.exec(n.sampler)![1];
      expect(README, pack).toContain(
        `On the ${n.images} held-out emoji with ${steps} DDIM steps: PSNR ${fixed(n.model.psnr, 2)} dB vs ${fixed(n.bicubic.psnr, 2)} for bicubic, SSIM ${fixed(n.model.ssim, 3)} vs ${fixed(n.bicubic.ssim, 3)}`,
      );
      expect(README, pack).toContain(`+${fixed(n.model.psnr - n.bicubic.psnr, 1)} dB (${factor})`);
      expect(README, pack).toContain(`models/packs/${pack}/evaluation.json`);
    }
  });

  it('the README quotes emoji-32\'s category accuracies, chance levels and ceilings as its report gives them', () => {
    const n = report('emoji-32').evaluations.t2i.numbers as unknown as { steps: number; cfg: number; samples_per_prompt: number; train: SplitNumbers; held_out: SplitNumbers };
    const t = n.train, h = n.held_out;
    expect(README).toContain(`puts ${fixed(t.category_acc, 2)} of samples for training-set prompts in the prompt's category (prompt-independent chance ${fixed(t.chance_independent, 2)}; the classifier's own ceiling on real images of those emoji ${fixed(t.ceiling_real_images, 2)})`);
    expect(README).toContain(`and ${fixed(h.category_acc, 2)} for emoji held out from training (chance ${fixed(h.chance_independent, 2)}, most common category ${fixed(h.chance_majority, 2)}, ceiling ${fixed(h.ceiling_real_images, 2)}; ${fixed(h.category_acc_in_vocab!, 2)} when every word of the name is in the vocabulary)`);
    expect(README).toContain(`(${n.steps} DDIM steps, CFG ${n.cfg}, `);
    expect(README).toContain('models/packs/emoji-32/evaluation.json');
  });
});
