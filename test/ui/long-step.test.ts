import { describe, expect, it } from 'vitest';
import { JobClock } from '../../renderer/src/ui/generate/progress.js';
import { LONG_STEP_MS, longStepMsFrom, longStepNote, longStepThreshold } from '../../renderer/src/ui/progress/long-step.js';
import { promptPlaceholder, takesPrompt } from '../../renderer/src/ui/generate/placeholder.js';

describe('a long step is said so, with when a cancel takes effect', () => {
  it('the clock records when the running step began', () => {
    const clock = new JobClock(0);
    expect(clock.snapshot.stepStartedAt).toBeUndefined();
    expect(clock.tick(3, 20, 1234).stepStartedAt).toBe(1234);
  });

  it('a step is long after a few seconds, or sooner when it is much slower than the steps before it', () => {
    expect(longStepThreshold(null)).toBe(LONG_STEP_MS);
    expect(longStepThreshold(100)).toBe(1000); // 3 × 100 ms, never under 1 s
    expect(longStepThreshold(500)).toBe(1500);
    expect(longStepThreshold(5000)).toBe(LONG_STEP_MS); // slow steps: still said after 3 s
    expect(longStepThreshold(null, 300)).toBe(300);
    expect(longStepThreshold(5000, 300)).toBe(300);
    expect(longStepMsFrom('?longStepMs=300')).toBe(300);
    for (const q of ['', '?longStepMs=5', '?longStepMs=abc', '?longStepMs=1e9']) expect(longStepMsFrom(q)).toBe(LONG_STEP_MS);
  });

  it('names the running step and how long it has run; nothing before the first step, after the last, or within the threshold', () => {
    const clock = new JobClock(0);
    clock.tick(1, 20, 1000);
    const p = clock.tick(5, 20, 1400); // 100 ms a step
    expect(longStepNote(p, 1400 + 999)).toBeNull();
    expect(longStepNote(p, 1400 + 1000)).toBe('Step 6 is taking long (1 s) — a cancel takes effect when it ends');
    expect(longStepNote(p, 1400 + 7600, true)).toBe('Cancelling — step 6 is still running (7 s); the engine stops when it ends');
    expect(longStepNote(new JobClock(0).snapshot, 60_000)).toBeNull(); // loading the model: total unknown
    expect(longStepNote(clock.tick(20, 20, 2000), 60_000)).toBeNull(); // decoding after the last step
    const first = new JobClock(0).tick(1, 20, 500); // one event: pace unknown, 3 s rule
    expect(longStepNote(first, 500 + 2999)).toBeNull();
    expect(longStepNote(first, 500 + 3000)).toMatch(/^Step 2 is taking long \(3 s\)/);
  });
});

describe('the prompt placeholder fits the selected model', () => {
  it('says a prompt-less model takes none, suggests emoji names for the emoji pack, and a scene for SD-class packs', () => {
    expect(promptPlaceholder({ name: 'emoji-sr-64', family: 'pixel-sr', upscaleFactor: 2 })).toMatch(/takes no prompt/);
    expect(takesPrompt({ family: 'pixel-sr' })).toBe(false);
    expect(promptPlaceholder({ name: 'emoji-32', family: 'pixel' })).toMatch(/emoji’s name/);
    expect(promptPlaceholder({ name: 'x4', family: 'upscaler', upscaleFactor: 4 })).toMatch(/^Optional/);
    expect(promptPlaceholder({ name: 'sd15', family: 'sd1' })).toMatch(/fox/);
    expect(promptPlaceholder(undefined)).toBe('Pick a model first');
    expect(takesPrompt({ family: 'sd1' })).toBe(true);
  });
});
