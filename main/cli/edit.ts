/**
 * `driftline edit`: DiffEditor-style edits from the command line, the same request the studio's
 * Edit panel sends.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EditOptions, EditRequest } from '../api/contract.js';
import { EDIT_KINDS, EDIT_PRESETS } from '../api/contract.js';
import type { EngineClient } from '../host/client.js';
import { num, point, UsageError, withJob, writeAtomic } from './args.js';

export const EDIT_USAGE = `  driftline edit --model NAME|PATH --image IN [--mask MASK] --kind move|drag|paste|appearance
                 [--offset DX,DY] [--scale S|SX,SY] [--drag HX,HY:TX,TY]…
                 [--reference REF --reference-mask RMASK [--reference-prompt TEXT]]
                 [--prompt TEXT] [--negative TEXT] [--preset fast|diffeditor] [--steps N] [--cfg X]
                 [--seed N] [--no-composite] [--raw-out FILE.png] --out FILE.png
     mask: white marks the object (move), the region that may change (drag) or the region whose
       appearance is replaced (appearance); any size is resampled to the image. Resize is move with
       --scale; for paste, --offset places the reference region's top-left and --scale sizes it.
     knobs (each defaults to the preset's value for the task):
       --inversion exact|ddim    exact records per-step residuals (a no-op edit returns the image)
       --eta X --sde-window A,B  local SDE strength inside the edit, over steps A…B (fractions 0–1)
       --time-travel F,F… --tries N   rewind and redo after these steps (fractions), N tries each
       --guidance x0|features|X  region guidance on the predicted image (x0, the default) or on the
                                 UNet's decoder features, differentiated through the model (features:
                                 exact, several times slower); a number sets x0's step size (0 = off)
       --feature-step C          feature guidance's step (ε̂ = ε + C·α·∇E)
       --w-content X --w-edit X --w-contrast X --w-inpaint X   energy weights
       --guide-every F --guide-alternate F   guide every step until F, every other step until F
       --memory on|off           attention memory: the source's self-attention keys and values
                                 attended to while sampling (default on where the model supports it)
       --memory-layers decoder|all --memory-window A,B   its layers and steps (fractions 0–1)`;

const fractions = (v: string, name: string): number[] => v.split(',').map((s) => num(s, name)!);

export async function edit(client: EngineClient, argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage:\n${EDIT_USAGE}`);
    return;
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, image: { type: 'string' }, mask: { type: 'string' }, kind: { type: 'string' },
      offset: { type: 'string' }, scale: { type: 'string' }, drag: { type: 'string', multiple: true },
      reference: { type: 'string' }, 'reference-mask': { type: 'string' }, 'reference-prompt': { type: 'string' },
      prompt: { type: 'string' }, negative: { type: 'string' }, preset: { type: 'string' }, steps: { type: 'string' }, cfg: { type: 'string' },
      seed: { type: 'string' }, 'no-composite': { type: 'boolean' }, out: { type: 'string' }, 'raw-out': { type: 'string' },
      inversion: { type: 'string' }, eta: { type: 'string' }, 'sde-window': { type: 'string' }, 'time-travel': { type: 'string' }, tries: { type: 'string' },
      guidance: { type: 'string' }, 'w-content': { type: 'string' }, 'w-edit': { type: 'string' }, 'w-contrast': { type: 'string' }, 'w-inpaint': { type: 'string' },
      'guide-every': { type: 'string' }, 'guide-alternate': { type: 'string' },
      memory: { type: 'string' }, 'memory-layers': { type: 'string' }, 'memory-window': { type: 'string' }, 'feature-step': { type: 'string' },
    },
    strict: true,
  });
  for (const flag of ['model', 'image', 'kind', 'out'] as const) if (!values[flag]) throw new UsageError(`--${flag} is required`);
  if (values.kind !== 'paste' && !values.mask) throw new UsageError('--mask is required (white marks the object or region)');
  const kind = values.kind as EditRequest['kind'];
  if (!EDIT_KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${EDIT_KINDS.join(', ')}, got "${values.kind}"`);
  if (values.preset && !(EDIT_PRESETS as readonly string[]).includes(values.preset)) throw new UsageError(`--preset must be one of ${EDIT_PRESETS.join(', ')}`);
  if (!values.out!.toLowerCase().endsWith('.png')) throw new UsageError('--out must name a .png file');
  if ((kind === 'paste' || kind === 'appearance') && (!values.reference || !values['reference-mask'])) throw new UsageError(`--kind ${kind} needs --reference and --reference-mask`);
  if (kind === 'drag' && !values.drag?.length) throw new UsageError('--kind drag needs at least one --drag HX,HY:TX,TY');
  if (kind === 'move' && !values.offset && !values.scale) throw new UsageError('--kind move needs --offset and/or --scale');
  if (values.memory && values.memory !== 'on' && values.memory !== 'off') throw new UsageError(`--memory must be on or off, got "${values.memory}"`);
  const memoryLayers = values['memory-layers'];
  if (memoryLayers && memoryLayers !== 'decoder' && memoryLayers !== 'all') throw new UsageError(`--memory-layers must be decoder or all, got "${memoryLayers}"`);
  const memoryWindow = values['memory-window'] ? fractions(values['memory-window'], 'memory-window') : undefined;
  if (memoryWindow && memoryWindow.length !== 2) throw new UsageError('--memory-window must be two fractions A,B');
  const guidanceKind = values.guidance === 'x0' || values.guidance === 'features' ? values.guidance : undefined;
  let scale: { x: number; y: number } | undefined;
  if (values.scale) scale = values.scale.includes(',') ? point(values.scale, 'scale') : { x: num(values.scale, 'scale')!, y: num(values.scale, 'scale')! };
  const drag = values.drag?.map((d) => {
    const [h, t] = d.split(':');
    if (!t) throw new UsageError(`--drag must look like HX,HY:TX,TY, got "${d}"`);
    return { handle: point(h, 'drag'), target: point(t, 'drag') };
  });
  const options: EditOptions = {
    inversion: values.inversion as 'exact' | 'ddim' | undefined,
    eta: num(values.eta, 'eta'),
    sdeWindow: values['sde-window'] ? (fractions(values['sde-window'], 'sde-window') as [number, number]) : undefined,
    timeTravel: values['time-travel'] || values.tries ? { at: values['time-travel'] ? fractions(values['time-travel'], 'time-travel') : [], tries: num(values.tries, 'tries', 1)! } : undefined,
    guidance: {
      kind: guidanceKind, scale: guidanceKind ? undefined : num(values.guidance, 'guidance'), featureStep: num(values['feature-step'], 'feature-step'), content: num(values['w-content'], 'w-content'), edit: num(values['w-edit'], 'w-edit'),
      contrast: num(values['w-contrast'], 'w-contrast'), inpaint: num(values['w-inpaint'], 'w-inpaint'),
      everyUntil: num(values['guide-every'], 'guide-every'), alternateUntil: num(values['guide-alternate'], 'guide-alternate'),
    },
    composite: values['no-composite'] ? false : undefined,
    memory: { enabled: values.memory ? values.memory === 'on' : undefined, layers: memoryLayers as 'decoder' | 'all' | undefined, window: memoryWindow as [number, number] | undefined },
  };
  const jobId = `cli-edit-${process.pid}-${Date.now()}`;
  const res = await withJob(client, jobId, async () => client.call('edit', {
    jobId, model: values.model!, kind,
    image: await readFile(values.image!), mask: values.mask ? await readFile(values.mask) : undefined,
    offset: values.offset ? point(values.offset, 'offset') : undefined, scale, drag,
    reference: values.reference ? { image: await readFile(values.reference), mask: await readFile(values['reference-mask']!), prompt: values['reference-prompt'] } : undefined,
    prompt: values.prompt ?? '', negativePrompt: values.negative,
    preset: values.preset as EditRequest['preset'],
    steps: num(values.steps, 'steps'), cfgScale: num(values.cfg, 'cfg'), seed: num(values.seed, 'seed', 0),
    options,
    keep: false, // the CLI writes its own --out file; the studio's gallery is not its to fill
  }));
  await writeAtomic(values.out!, res.image.png);
  if (values['raw-out'] && res.uncomposited) await writeAtomic(values['raw-out'], res.uncomposited);
  const t = res.timings;
  const m = res.memory;
  const memory = m.used ? `attention memory on ${m.layers.length} layers, ${(m.bytesPerStep / 1024).toFixed(0)} KiB per step` : m.reason === 'turned off' ? 'attention memory off' : m.reason;
  const guidance = res.guidance.kind === 'features' ? 'feature guidance' : res.guidance.reason ?? 'x̂₀ guidance';
  console.error(`${res.width}x${res.height}, ${t.evaluations} model evaluations, inversion ${(t.invertMs / 1000).toFixed(1)} s, sampling ${(t.sampleMs / 1000).toFixed(1)} s; ${memory}; ${guidance}`);
  console.log(path.resolve(values.out!));
}
