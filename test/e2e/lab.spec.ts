/**
 * The solver lab and the Automatic sampler in the studio, against the real engine (browser mode,
 * the embedded emoji-32), on a server of its own whose data folder holds a small lab table measured
 * by the CLI first (one prompt and seed, budget 10, DDIM and DPM++ 2M on three grid families — the
 * full lab takes minutes): the panel shows it as a plot with the pack's default marked and the best
 * per budget; Generate with Automatic runs the measured best and says so; a measurement started from
 * the panel shows progress and can be cancelled, leaving the stored table as it was.
 */
import { execFile } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import { CLI, serve, type Served } from './helpers/server.js';
import { openStudio, setGenerateFields, shot, snapshot, watchFor, appeared, newStudioPage } from './helpers/studio.js';

const measure = (home: string) => new Promise<void>((resolve, reject) => {
  execFile(process.execPath, [CLI, 'solvers', '--model', 'emoji-32', '--measure', '--nfe', '10', '--prompts', 'red heart', '--seeds', '2',
    '--samplers', 'ddim,dpmpp_2m', '--grids', 'pack,logsnr,tuned'], { env: { ...process.env, DRIFTLINE_HOME: home, DRIFTLINE_EP: 'cpu' }, timeout: 300_000 },
  (err, _out, stderr) => (err ? reject(new Error(`solvers --measure failed: ${stderr}`)) : resolve()));
});

test.describe.serial('solver lab', () => {
  let page: Page;
  let server: Served;

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(360_000);
    server = await serve(['--port', '0'], 30_000, { before: measure });
    page = await newStudioPage(browser);
  });
  test.afterAll(async () => {
    await page?.close();
    await server?.stop();
  });

  const chart = () => page.locator('svg.lab-chart');
  let bestGrid = '';

  test('the panel plots the stored table: one line per sampler, the pack default marked, the best per budget', async ({}, info) => {
    await openStudio(page, server.url);
    await page.locator('#lab-details summary').click();
    await page.locator('#lab-model').selectOption('emoji-32');
    await expect(page.locator('[data-testid="lab-stored"]')).toHaveAttribute('data-status', 'found', { timeout: 30_000 });
    await expect(chart()).toBeVisible();
    // The plot opens on the grid family of the best row at the largest budget, ringed there.
    bestGrid = (await chart().getAttribute('data-family'))!;
    expect(['logsnr', 'tuned']).toContain(bestGrid);
    await expect(chart().locator(`circle.lab-best[data-nfe="10"][data-grid="${bestGrid}"]`)).toHaveCount(1);
    await expect(chart().locator('path.lab-line.pack'), 'the pack plan is drawn on every family').toHaveCount(1);
    await expect(chart().locator('path.lab-line:not(.pack)'), 'DDIM and DPM++ 2M').toHaveCount(2);
    await expect(page.locator('[data-testid="lab-legend"] li.pack')).toContainText('pack default');
    await expect(page.locator('[data-testid="lab-best-table"] tr[data-nfe="10"]')).toContainText(/vs pack plan/);
    const other = bestGrid === 'tuned' ? 'logsnr' : 'tuned';
    await page.locator('#lab-family').selectOption(other);
    await expect(chart()).toHaveAttribute('data-family', other);
    await expect(chart().locator('path.lab-line.pack')).toHaveCount(1);
    await expect(chart().locator('path.lab-line:not(.pack)')).toHaveCount(2);
    await page.locator('#lab-family').selectOption(bestGrid);
    await page.locator('[data-testid="solver-lab"]').scrollIntoViewIfNeeded();
    await shot(page, info, '1-lab-table');
    await page.locator('[data-testid="solver-lab"]').screenshot({ path: info.outputPath('1-lab-panel.png') });
  });

  test('Generate with Automatic runs the measured best and says what ran', async ({}, info) => {
    const options = await page.locator('#gen-sampler option').evaluateAll((els) => els.map((e) => e.getAttribute("value") ?? ""));
    expect(options[0], 'Automatic comes first').toBe('auto');
    await page.locator('#gen-sampler').selectOption('auto');
    await setGenerateFields(page, { prompt: 'red heart', steps: 10, seed: 2 });
    await page.locator('.generate-actions button').click();
    await expect.poll(async () => (await snapshot(page)).app.gallery.length, { message: 'the image arrives', timeout: 60_000 }).toBe(1);
    const s = await snapshot(page);
    const gridText = bestGrid === 'tuned' ? 'tuned grid' : 'log-SNR grid';
    expect(s.app.status?.text).toContain(`with auto → `);
    expect(s.app.status?.text).toContain(gridText);
    expect(s.app.gallery[0].parameters).toMatch(/Sampler: (DPM\+\+ 2M|DDIM) \(auto\)/);
    expect(s.app.gallery[0].parameters).toMatch(bestGrid === 'tuned' ? /Schedule type: "?tuned σ_hi/ : /Schedule type: logsnr/);
    await shot(page, info, '2-auto');
  });

  test('a measurement from the panel shows progress and can be cancelled; the stored table stays', async ({}, info) => {
    const before = await page.locator('[data-testid="lab-best-table"]').textContent();
    await page.locator('#lab-budgets').fill('2');
    await page.locator('#lab-quick').check();
    await watchFor(page, 'LabProgress', '[data-testid="lab-progress"]');
    await page.locator('#lab-measure').click();
    await expect(page.locator('#lab-cancel')).toBeVisible({ timeout: 30_000 });
    await expect(page.locator('.lab-caption')).toContainText(/model evaluations/, { timeout: 30_000 });
    await shot(page, info, '3-measuring');
    await page.locator('#lab-cancel').click();
    await expect(page.locator('#lab-measure')).toBeVisible({ timeout: 60_000 });
    const s = await snapshot(page);
    expect(s.app.status?.text).toMatch(/^Cancelled\. The stored solver table is unchanged\./);
    expect(await appeared(page, 'LabProgress')).toBe(true);
    await page.locator('#lab-model').selectOption('emoji-32');
    await expect(page.locator('[data-testid="lab-best-table"]')).toHaveText(before ?? '');
  });
});
