// One generation on a pack in a fresh process, reporting its peak resident memory and the engine's
// estimate for the same job: the cost tests run it once per size so earlier jobs' arenas do not count.
// The peak is the job's: on Linux the kernel's high-water mark (VmHWM) is reset once the pack is open,
// so a transient while ONNX Runtime loads and optimises the graphs (it varies with the machine's load)
// is reported apart, as `openPeak`; elsewhere the process's whole peak stands in.
// It runs the compiled engine (`npm run build:node` first; `npm test` does).
// usage: node peak-rss-child.mjs <pack dir> <side> <batch> <cfgScale> <steps>
import { readFileSync, writeFileSync } from 'node:fs';
import { openPack } from '../../out/main/engine/packs/pack.js';
import { generate, generateShape } from '../../out/main/engine/pipelines/generate.js';
import { planFor } from '../../out/main/engine/pipelines/plan.js';
import { jobCost } from '../../out/main/engine/pipelines/cost.js';

const [dir, ...nums] = process.argv.slice(2);
const [side, batch, cfgScale, steps] = nums.map(Number);
/** The kernel's high-water mark of this process's resident memory, where it keeps one. */
const highWater = () => {
  try {
    return Number(/VmHWM:\s*(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  } catch {
    return undefined;
  }
};
const pack = await openPack(dir, { provider: 'cpu' });
const resident = process.memoryUsage().rss;
const openPeak = process.resourceUsage().maxRSS * 1024;
let reset = false;
try {
  writeFileSync('/proc/self/clear_refs', '5'); // VmHWM := the current resident size
  reset = highWater() !== undefined;
} catch {
  // not Linux, or not permitted: the whole process's peak below
}
const t0 = performance.now();
await generate(pack, { prompt: 'grinning face', width: side, height: side, steps, cfgScale, seed: 1, batch }, planFor(pack.info));
const ms = performance.now() - t0;
// The kernel folds threads' counters into VmHWM lazily: the resident size now may be above it.
const peak = Math.max((reset ? highWater() : undefined) ?? process.resourceUsage().maxRSS * 1024, process.memoryUsage().rss);
// The job as it ran: `steps` UNet calls (the pack's DDIM plan makes one per step).
const shape = { ...generateShape(pack.info, { width: side, height: side, steps, cfgScale, batch }), evaluations: steps };
const cost = jobCost(pack.info, shape);
// As the engine host estimates it: the resident memory measured with the pack just opened as the base.
const hosted = jobCost(pack.info, shape, resident);
const { rss, heapTotal, external } = process.memoryUsage();
process.stdout.write(JSON.stringify({ peak, openPeak, resident, now: { rss, heapTotal, external }, estimate: cost.bytes, hosted: hosted.bytes, parts: cost.parts, ms, seconds: cost.seconds }) + '\n');
await pack.release();
