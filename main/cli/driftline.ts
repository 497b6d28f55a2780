#!/usr/bin/env node
/**
 * `driftline`: the command-line front door to the engine host.
 *   driftline generate --model NAME|PATH [--prompt TEXT] [--negative TEXT] [--sampler NAME] [--steps N]
 *                      [--cfg X] [--seed N] [--size WxH] [--batch N] [--init IMG --strength S]
 *                      [--mask IMG] --out FILE.png
 *   driftline edit --model NAME|PATH --image IN --mask MASK --kind move|drag|paste|appearance … --out FILE.png
 *   driftline upscale --model NAME|PATH --image IN [--bc auto|random] … --out OUT
 *   driftline bc-search --model NAME|PATH [--calibration DIR] [--candidates K] [--steps N] [--metric M]
 *   driftline models [list] | import PATH [--name NAME] [--link] | download NAME | remove NAME
 *   driftline samplers
 *   driftline solvers --model NAME|PATH [--measure] [--nfe 5,10,20] …
 *   driftline serve [--host 127.0.0.1] [--port 7860] [--token TOKEN]
 */
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineClient } from '../host/client.js';
import { ApiError } from '../api/contract.js';
import { ProgressBar } from './progress.js';
import { num, providerLines, UsageError, withJob, writeAtomic } from './args.js';
import { edit, EDIT_USAGE } from './edit.js';
import { bcSearch, upscale, UPSCALE_USAGE } from './upscale.js';
import { solvers, SOLVERS_USAGE } from './solvers.js';
import { startWebServer } from '../web/server.js';
import { rendererDir } from '../web/static.js';

const USAGE = `usage:
  driftline generate --model NAME|PATH [--prompt TEXT] [--negative TEXT] [--sampler NAME|pack|auto]
                     [--steps N] [--cfg X] [--seed N] [--size WxH] [--batch N]
                     [--init IMG --strength S] [--mask IMG] [--verbose] --out FILE.png
                     (--steps / --cfg default to the pack's recommended values, else 20 / 7)
${EDIT_USAGE}
${UPSCALE_USAGE}
  driftline models [list] | import PATH [--name NAME] [--link] | download NAME | remove NAME
  driftline samplers
${SOLVERS_USAGE}
  driftline serve [--host 127.0.0.1] [--port 7860] [--token TOKEN]   (browser mode)`;

async function generate(client: EngineClient, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, prompt: { type: 'string' }, negative: { type: 'string' }, sampler: { type: 'string' },
      steps: { type: 'string' }, cfg: { type: 'string' }, seed: { type: 'string' }, size: { type: 'string' },
      batch: { type: 'string' }, init: { type: 'string' }, strength: { type: 'string' }, mask: { type: 'string' },
      out: { type: 'string' }, preview: { type: 'string' }, verbose: { type: 'boolean' },
    },
    strict: true,
  });
  if (!values.model) throw new UsageError('--model is required');
  if (!values.out) throw new UsageError('--out is required');
  if (!values.out.toLowerCase().endsWith('.png')) throw new UsageError('--out must name a .png file');
  if (values.strength && !values.init) throw new UsageError('--strength needs --init');
  if (values.mask && !values.init) throw new UsageError('--mask needs --init (the image to inpaint)');
  let width: number | undefined, height: number | undefined;
  if (values.size) {
    const m = /^(\d+)x(\d+)$/.exec(values.size);
    if (!m) throw new UsageError(`--size must look like 512x512, got "${values.size}"`);
    [width, height] = [Number(m[1]), Number(m[2])];
  }
  // Steps and CFG not given: the pack's recommended values, else SD's usual 20 and 7.
  const rec = values.steps === undefined || values.cfg === undefined
    ? (await client.call('listModels', {})).find((m) => m.name === values.model)?.recommended
    : undefined;
  const jobId = `cli-${process.pid}-${Date.now()}`;
  const seed = num(values.seed, 'seed') ?? randomInt(0, 2 ** 32);
  const res = await withJob(client, jobId, async () => client.call('generate', {
    jobId,
    model: values.model!,
    prompt: values.prompt ?? '',
    negativePrompt: values.negative,
    sampler: values.sampler ?? 'pack',
    steps: num(values.steps, 'steps', rec?.steps ?? 20)!,
    cfgScale: num(values.cfg, 'cfg', rec?.cfgScale ?? 7)!,
    seed,
    width,
    height,
    batch: num(values.batch, 'batch', 1),
    init: values.init ? { image: await readFile(values.init), strength: num(values.strength, 'strength', 0.75)! } : undefined,
    mask: values.mask ? await readFile(values.mask) : undefined,
    keep: false, // the CLI writes its own --out files; the studio's gallery is not its to fill
  }));
  const outs = res.images.map((_, i) => (res.images.length === 1 ? values.out! : values.out!.replace(/\.png$/i, `-${i + 1}.png`)));
  await Promise.all(res.images.map((img, i) => writeAtomic(outs[i], img.png)));
  if (res.sampler?.reason) console.error(`auto: ${res.sampler.label}${res.sampler.grid ? ` on the ${res.sampler.grid} grid` : ''} — ${res.sampler.reason}`);
  for (const line of providerLines(res.providers, values.verbose)) console.error(line);
  console.error(`${res.width}x${res.height}, ${res.timings.evaluations} model evaluations, ${res.timings.perStepMs.toFixed(0)} ms/step, ${(res.timings.totalMs / 1000).toFixed(1)} s`);
  for (const [i, img] of res.images.entries()) console.log(`${path.resolve(outs[i])}  seed ${img.seed}`);
}

async function models(client: EngineClient, argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, options: { name: { type: 'string' }, link: { type: 'boolean' } }, allowPositionals: true, strict: true });
  switch (sub) {
    case undefined:
    case 'list': {
      const list = await client.call('listModels', {});
      if (list.length === 0) console.log('no models installed');
      for (const m of list) console.log(`${m.name.padEnd(24)} ${(m.family ?? '').padEnd(9)} ${m.source.padEnd(10)} ${m.path}`);
      return;
    }
    case 'import': {
      if (!positionals[0]) throw new UsageError('models import needs a folder');
      const m = await client.call('importModel', { path: path.resolve(positionals[0]), name: values.name, mode: values.link ? 'link' : 'copy' });
      console.log(`imported ${m.name} → ${m.path}`);
      return;
    }
    case 'download': {
      if (!positionals[0]) throw new UsageError('models download needs a catalog name');
      const bar = new ProgressBar();
      const off = client.on('onDownloadProgress', (p) => bar.update(Math.round(p.bytesDone / 1e6), Math.round((p.bytesTotal ?? p.bytesDone) / 1e6), `${p.file} MB `));
      try {
        const m = await client.call('downloadModel', { name: positionals[0] });
        bar.done();
        console.log(`downloaded ${m.name} → ${m.path}`);
      } finally {
        off();
      }
      return;
    }
    case 'remove': {
      if (!positionals[0]) throw new UsageError('models remove needs a name');
      console.log(`removed ${(await client.call('removeModel', { name: positionals[0] })).removed}`);
      return;
    }
    default:
      throw new UsageError(`unknown models command "${sub ?? ''}"`);
  }
}

/** Browser mode: serve the studio and the API until interrupted. */
async function serve(client: EngineClient, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { host: { type: 'string' }, port: { type: 'string' }, token: { type: 'string' } }, strict: true });
  const port = num(values.port, 'port', 7860)!;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, got ${values.port}`);
  const server = await startWebServer({ host: values.host, port, token: values.token, staticDir: rendererDir(), engine: client });
  console.log(`Driftline Studio is serving at ${server.url}`);
  if (server.token) console.log('Bound beyond loopback: the address above carries the access token; keep it private.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const client = new EngineClient();
  try {
    if (cmd === 'generate') await generate(client, rest);
    else if (cmd === 'edit') await edit(client, rest);
    else if (cmd === 'upscale') await upscale(client, rest);
    else if (cmd === 'bc-search') await bcSearch(client, rest);
    else if (cmd === 'models') await models(client, rest);
    else if (cmd === 'solvers') await solvers(client, rest);
    else if (cmd === 'serve') await serve(client, rest);
    else if (cmd === 'samplers') for (const s of await client.call('listSamplers', {})) console.log(`${s.name.padEnd(16)} ${s.label.padEnd(26)} ${s.stochastic ? 'SDE' : s.order === undefined ? 'chooses' : `order ${s.order}`}  ${s.paper}`);
    else throw new UsageError(`unknown command "${cmd}"`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`driftline: ${e.message}\n${USAGE}`);
      return 2;
    }
    // Ctrl-C cancelled the job (withJob): the shell's convention for an interrupted command.
    if (e instanceof ApiError && e.code === 'CANCELLED') {
      console.error('driftline: cancelled');
      return 130;
    }
    console.error(`driftline: ${e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await client.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
