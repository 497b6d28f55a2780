import { describe, expect, it } from 'vitest';
import { JobClock, formatDuration, progressCaption } from '../../renderer/src/ui/generate/progress.js';
import { createAppState } from '../../renderer/src/ui/app-state.js';
import { Jobs } from '../../renderer/src/ui/jobs.js';

describe('generation progress and ETA', () => {
  it('measures the rate from the first event, so model loading does not count', () => {
    const clock = new JobClock(0);
    expect(clock.tick(1, 20, 5000)).toMatchObject({ step: 1, fraction: 0.05, etaMs: null }); // 5 s of loading
    const p = clock.tick(5, 20, 5400); // 4 steps in 400 ms
    expect(p.perStepMs).toBeCloseTo(100);
    expect(p.etaMs).toBeCloseTo(1500);
    expect(p.elapsedMs).toBe(5400);
  });

  it('a restarted count (a second pass) re-anchors the rate', () => {
    const clock = new JobClock(0);
    clock.tick(10, 10, 1000);
    const p = clock.tick(1, 10, 2000);
    expect(p.etaMs).toBeNull();
  });

  it('captions and durations read naturally', () => {
    expect(formatDuration(4_400)).toBe('4 s');
    expect(formatDuration(65_000)).toBe('1 min 05 s');
    expect(formatDuration(2 * 3600_000 + 3 * 60_000)).toBe('2 h 03 min');
    expect(formatDuration(NaN)).toBe('—');
    expect(progressCaption(new JobClock(0).snapshot)).toBe('Loading the model…');
    expect(progressCaption({ step: 7, total: 20, fraction: 0.35, perStepMs: 100, etaMs: 1300, elapsedMs: 0 })).toBe('Step 7 / 20 · 1 s left');
    expect(progressCaption({ step: 2, total: 20, fraction: 0.1, perStepMs: null, etaMs: null, elapsedMs: 0 })).toBe('Step 2 / 20 · estimating…');
    expect(progressCaption({ step: 20, total: 20, fraction: 1, perStepMs: 1, etaMs: 0, elapsedMs: 0 })).toBe('Step 20 / 20 · encoding');
  });
});

describe('a job\'s time left', () => {
  it('the engine\'s estimate fills in until the page has measured a pace of its own, which then wins', () => {
    const app = createAppState();
    let now = 0;
    const jobs = new Jobs(app, () => now);
    jobs.begin('search', 's1', 0);
    now = 5000; // loading the model and the calibration set
    jobs.progress({ jobId: 's1', phase: 'search', step: 16, total: 8192, etaMs: 870_000 });
    expect(app.getState().job?.progress.etaMs).toBe(870_000);
    now = 5100; // 16 more image evaluations in 100 ms
    jobs.progress({ jobId: 's1', phase: 'search', step: 32, total: 8192, etaMs: 850_000 });
    expect(app.getState().job?.progress.etaMs).toBeCloseTo((8192 - 32) * (100 / 16));
    expect(jobs.progress({ jobId: 'other', step: 1, total: 2 }), 'another job\'s events are ignored').toBe(false);
    jobs.progress({ jobId: 's1', step: 40, total: 8192, etaMs: Number.NaN });
    expect(app.getState().job?.phase, 'an event without a phase keeps the last one').toBe('search');
  });
});
