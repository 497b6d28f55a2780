/** Helpers for driving the studio page: open it, read its state, map canvas coordinates, screenshots. */
import { expect, type Browser, type Page, type TestInfo } from '@playwright/test';
import type { AppStateLike, DocLike, PageWindow } from './page-types.js';

/** Open the studio at `url` (default the configured server) and wait until the engine answered. */
export async function openStudio(page: Page, url = '/'): Promise<void> {
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => {
    const s = (globalThis as unknown as PageWindow).driftlineStudio?.app.getState();
    return s ? `${s.connection}/${s.models.length > 0}` : 'no studio';
  }), { message: 'the studio connects and lists the models', timeout: 30_000 }).toBe('open/true');
  // The gallery kept on disk has come back before a test counts its items.
  await page.evaluate(() => (globalThis as unknown as PageWindow).driftlineStudio!.gallery.load());
}

export interface Snapshot {
  doc: DocLike;
  app: Pick<AppStateLike, 'job' | 'gallery' | 'selectedGalleryId' | 'status' | 'connection'>;
  history: { canUndo: boolean; canRedo: boolean; undoName: string | null };
  tool: string;
  bitmaps: number;
}

/** A plain-data copy of the document, the session state and the history. */
export function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => {
    const st = (globalThis as unknown as PageWindow).driftlineStudio!;
    const a = st.app.getState();
    const doc = st.editor.doc;
    return JSON.parse(JSON.stringify({
      doc,
      app: { job: a.job, gallery: a.gallery.map((g) => ({ id: g.id, seed: g.seed, width: g.width, height: g.height, parameters: g.parameters, model: g.model })), selectedGalleryId: a.selectedGalleryId, status: a.status, connection: a.connection },
      history: st.editor.store.store.getState().history,
      tool: st.editor.currentTool,
      bitmaps: doc.layers.filter((l) => st.bank.image(l.pixelId)).length,
    })) as Snapshot;
  });
}

/** Page (viewport) coordinates of a document point on the stage. */
export async function docToPage(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(([x, y]) => {
    const w = globalThis as unknown as PageWindow;
    const r = w.document.querySelector('[data-testid=stage]')!.getBoundingClientRect();
    const p = w.driftlineStudio!.editor.documentToScreen({ x, y });
    return { x: r.x + p.x, y: r.y + p.y };
  }, [x, y] as const);
}

/** Press, move through the document points in `steps` moves each, release. */
export async function dragDoc(page: Page, points: [number, number][], steps = 4): Promise<void> {
  const [first, ...rest] = await Promise.all(points.map(([x, y]) => docToPage(page, x, y)));
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  for (const p of rest) await page.mouse.move(p.x, p.y, { steps });
  await page.mouse.up();
}

/** Take keyboard focus out of any text field, so shortcuts reach the editor. */
export async function blurFields(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as PageWindow).document.activeElement?.blur?.());
}

/** Wait until the editor has no gesture in flight (strokes are committed on release). */
export async function settled(page: Page): Promise<void> {
  await expect.poll(() => page.evaluate(() => {
    const e = (globalThis as unknown as PageWindow).driftlineStudio!.editor;
    return !e.store.history.inGesture;
  })).toBe(true);
}

/** Save a named screenshot of the page in this test's folder under test-results/e2e/ (kept, pass or fail). */
export async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: info.outputPath(`${name}.png`) });
}

/**
 * Record, inside the page, every progress step and preview of the next jobs, and whether the
 * Generate panel showed its progress bar and Cancel button (read with `recorded`). Recording in
 * the page catches short jobs that polling from the test could miss.
 */
export async function recordJobs(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    const st = w.driftlineStudio!;
    const rec = { steps: [] as number[], totals: [] as number[], previews: [] as { width: number; height: number; bytes: number }[], jobs: [] as string[], progressBar: false, cancelButton: false };
    w.__e2eRec = rec;
    new w.MutationObserver(() => {
      if (w.document.querySelector('.generate-panel .progress progress')) rec.progressBar = true;
      if (w.document.querySelector('.generate-actions button')?.textContent === 'Cancel') rec.cancelButton = true;
    }).observe(w.document.body, { childList: true, subtree: true, characterData: true });
    st.app.subscribe((s) => {
      if (!s.job) return;
      if (!rec.jobs.includes(s.job.id)) rec.jobs.push(s.job.id);
      if (rec.steps.at(-1) !== s.job.progress.step) {
        rec.steps.push(s.job.progress.step);
        rec.totals.push(s.job.progress.total);
      }
    });
    st.onPreview((p) => {
      if (p) rec.previews.push({ width: p.width, height: p.height, bytes: p.rgb.length });
    });
  });
}

export interface Recording {
  steps: number[];
  totals: number[];
  previews: { width: number; height: number; bytes: number }[];
  jobs: string[];
  progressBar: boolean;
  cancelButton: boolean;
}

export function recorded(page: Page): Promise<Recording> {
  return page.evaluate(() => (globalThis as unknown as PageWindow).__e2eRec as Recording);
}

/** Fill the Generate panel through its fields. */
export async function setGenerateFields(page: Page, f: { prompt?: string; steps?: number; seed?: number }): Promise<void> {
  if (f.prompt !== undefined) await page.locator('#gen-prompt').fill(f.prompt);
  if (f.steps !== undefined) await page.locator('#gen-steps').fill(String(f.steps));
  if (f.seed !== undefined) await page.locator('#gen-seed').fill(String(f.seed));
}

/**
 * Draw a small scene in the page (a light background, a yellow square with two dark eyes) and add
 * it as a new layer named `name`, as a dropped image would be; resolves with the layer's id.
 */
export async function addScene(page: Page, o: { width: number; height: number; name: string }): Promise<string> {
  const id = await page.evaluate(async ({ width, height, name }) => {
    const w = globalThis as unknown as PageWindow;
    const c = new w.OffscreenCanvas(width, height);
    const g = c.getContext('2d')!;
    g.fillStyle = '#e9e4da';
    g.fillRect(0, 0, width, height);
    const s = Math.round(Math.min(width, height) / 3);
    g.fillStyle = '#ffc61a';
    g.fillRect(s / 2, s / 2, s, s);
    g.fillStyle = '#3a2a10';
    g.fillRect(s * 0.75, s * 0.75, 2, 2);
    g.fillRect(s * 1.1, s * 0.75, 2, 2);
    return w.driftlineStudio!.addImage(await c.convertToBlob({ type: 'image/png' }), { name });
  }, o);
  if (!id) throw new Error(`the studio did not add "${o.name}"`);
  await expect.poll(() => page.evaluate((id) => {
    const st = (globalThis as unknown as PageWindow).driftlineStudio!;
    const layer = st.editor.doc.layers.find((l) => l.id === id);
    return !!layer && !!st.bank.image(layer.pixelId);
  }, id), { message: `"${o.name}" is on the canvas and decoded` }).toBe(true);
  return id;
}

/**
 * Record, in the page, whether an element matching `selector` ever appeared (a progress bar of a
 * job too short for polling from the test to see); read with `appeared`.
 */
export async function watchFor(page: Page, key: string, selector: string): Promise<void> {
  await page.evaluate(([key, selector]) => {
    const w = globalThis as unknown as PageWindow;
    w[`__e2e${key}`] = false;
    new w.MutationObserver(() => {
      if (w.document.querySelector(selector)) w[`__e2e${key}`] = true;
    }).observe(w.document.body, { childList: true, subtree: true, characterData: true, attributes: true });
  }, [key, selector] as const);
}

export function appeared(page: Page, key: string): Promise<boolean> {
  return page.evaluate((key) => (globalThis as unknown as PageWindow)[`__e2e${key}`] === true, key);
}

/** A page for a serial block of tests, its script errors printed to the test's output. */
export async function newStudioPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  return page;
}
