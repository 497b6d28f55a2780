import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrokenPack, buildTinyPack, PACK_FAMILIES, type BrokenPackKind, type TinyPackOptions } from '../fixtures/tiny-packs.js';
import { PackError } from '../../main/engine/packs/errors.js';
import { inspectLayout, inspectPack } from '../../main/engine/packs/layout.js';
import { guidanceScaleEmbedding, openPack } from '../../main/engine/packs/pack.js';
import { readOnnxHeader } from '../../main/engine/packs/onnx-header.js';
import type { PackFamily } from '../../main/engine/packs/types.js';

let root: string;
let n = 0;
const fresh = () => join(root, `p${n++}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'driftline-packs-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function packError(p: Promise<unknown>): Promise<PackError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PackError);
  return err as PackError;
}

describe('inspectPack: family detection and geometry', () => {
  const want: Record<PackFamily, { inCh: number; lat: number; scale: number; k: number; ctx: number; enc: boolean; dec: boolean }> = {
    sd1: { inCh: 4, lat: 4, scale: 8, k: 0.18215, ctx: 768, enc: true, dec: true },
    sd2: { inCh: 4, lat: 4, scale: 8, k: 0.18215, ctx: 1024, enc: true, dec: true },
    turbo: { inCh: 4, lat: 4, scale: 8, k: 0.18215, ctx: 1024, enc: true, dec: true },
    lcm: { inCh: 4, lat: 4, scale: 8, k: 0.18215, ctx: 768, enc: true, dec: true },
    inpaint: { inCh: 9, lat: 4, scale: 8, k: 0.18215, ctx: 768, enc: true, dec: true },
    upscaler: { inCh: 7, lat: 4, scale: 4, k: 0.08333, ctx: 1024, enc: false, dec: true },
    pixel: { inCh: 3, lat: 3, scale: 1, k: 1, ctx: 768, enc: false, dec: false },
    'pixel-sr': { inCh: 6, lat: 3, scale: 1, k: 1, ctx: 128, enc: false, dec: false },
  };
  for (const family of [...PACK_FAMILIES, 'pixel-sr'] as const) {
    it(family, async () => {
      const dir = await buildTinyPack(fresh(), family);
      const info = await inspectPack(dir);
      const w = want[family];
      expect(info).toMatchObject({
        dir,
        name: `driftline/tiny-${family}`,
        family,
        unetInChannels: w.inCh,
        latentChannels: w.lat,
        vaeScale: w.scale,
        scalingFactor: w.k,
        contextDim: w.ctx,
        textLength: family === 'pixel-sr' ? 1 : 77,
        hasVaeEncoder: w.enc,
        hasVaeDecoder: w.dec,
        hasTextEncoder: family !== 'pixel-sr',
        upscaleFactor: family === 'upscaler' ? 4 : family === 'pixel-sr' ? 2 : 1,
      });
      expect(info.defaultSize % w.scale).toBe(0);
      expect((info.schedulerConfig as { _class_name: string })._class_name).toMatch(/Scheduler$/);
    });
  }

  it('without component configs (the diffusers script writes none) it falls back to declared shapes and defaults', async () => {
    const dir = await buildTinyPack(fresh(), 'sd1');
    for (const c of ['unet', 'vae_encoder', 'vae_decoder', 'text_encoder']) await rm(join(dir, c, 'config.json'));
    const layout = await inspectLayout(dir);
    expect(layout.info).toMatchObject({ family: 'sd1', unetInChannels: 4, vaeScale: 8, scalingFactor: 0.18215, contextDim: 768, defaultSize: 512 });
    expect(layout.notes.join('\n')).toMatch(/scaling_factor not found; assumed 0.18215/);
  });

  it('Optimum-style exports: latent_parameters, scalar int64 timestep, int64 ids, model.onnx_data', async () => {
    const dir = await buildTinyPack(fresh(), 'sd1', { exporter: 'optimum', externalData: true });
    const layout = await inspectLayout(dir);
    expect(layout.vaeEncoderOutput).toBe('latent_parameters');
    expect(layout.headers.unet?.externalFiles).toEqual(['model.onnx_data']);
    expect(layout.headers.unet?.inputs.find((i) => i.name === 'timestep')).toEqual({ name: 'timestep', type: 'int64', shape: [] });
    expect(layout.headers.text_encoder?.inputs[0]).toMatchObject({ name: 'input_ids', type: 'int64' });
  });

  it('the ONNX header reader skips weights and reads IR, opset and declared I/O', async () => {
    const dir = await buildTinyPack(fresh(), 'lcm', { fp16: true });
    const h = await readOnnxHeader(join(dir, 'unet', 'model.onnx'));
    expect(h.irVersion).toBe(8);
    expect(h.opsets).toContainEqual({ domain: '', version: 17 });
    expect(h.inputs.map((i) => `${i.name}:${i.type}`)).toEqual(['sample:float16', 'timestep:int64', 'encoder_hidden_states:float16', 'timestep_cond:float16']);
    expect(h.outputs).toEqual([{ name: 'out_sample', type: 'float16', shape: ['batch', 4, 'height', 'width'] }]);
  });
});

describe('bad packs: each error says what is wrong and how to fix it', () => {
  const cases: [BrokenPackKind, string, RegExp][] = [
    ['missing-file', 'missing-file', /^unet\/model\.onnx is missing: this folder is not a complete diffusers ONNX export: copy the whole export .*optimum-cli export onnx/],
    ['missing-external-data', 'missing-external-data', /^unet\/weights\.pb is missing: unet\/model\.onnx keeps its weights in that file: copy weights\.pb from the export into unet\/, next to model\.onnx$/],
    ['wrong-input-names', 'wrong-inputs', /^unet\/model\.onnx has no input "sample" \(its inputs: x, timestep, encoder_hidden_states\), so it is not a diffusion UNet .*: re-export the pipeline with its standard input names/],
    ['truncated-onnx', 'truncated-model', /^unet\/model\.onnx is truncated \(.*\): the download or copy did not finish: download or copy this file again$/],
    ['unsupported-family', 'unsupported-family', /^unet\/model\.onnx takes 5-channel samples: Driftline runs UNets with 4 \(text-to-image\), 9 \(inpainting\), 7 \(x4 upscaler\) or 3 .*: use an SD 1\.x, SD 2\.x, SD-Turbo, LCM, inpainting or x4-upscaler ONNX export$/],
    ['missing-tokenizer', 'missing-tokenizer', /^tokenizer\/ is missing: the prompt cannot be turned into token ids: copy the tokenizer\/ folder from the model's repository/],
    ['missing-model-index', 'not-diffusers', /^model_index\.json is missing: .* is not a diffusers pipeline folder: pick the folder that contains model_index\.json, or export the model with/],
  ];
  for (const [kind, code, message] of cases) {
    it(kind, async () => {
      const dir = await buildBrokenPack(fresh(), kind);
      const err = await packError(inspectPack(dir));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      await packError(openPack(dir, { provider: 'cpu' })); // openPack validates the same way
    });
  }

  // A pipe where a pack file should be would block the read forever, and the engine's job queue
  // with it. POSIX only: Windows has no FIFOs in the file system.
  it.runIf(process.platform !== 'win32')('a pipe, socket or device in a pack file\'s place is refused at once, naming it', async () => {
    const { execFileSync } = await import('node:child_process');
    for (const rel of ['scheduler/scheduler_config.json', 'unet/model.onnx', 'model_index.json']) {
      const dir = await buildTinyPack(fresh(), 'sd1');
      await rm(join(dir, rel));
      execFileSync('mkfifo', [join(dir, rel)]);
      const err = await packError(Promise.race([
        inspectPack(dir),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${rel}: inspection blocked`)), 5000)),
      ]));
      expect(err.code, rel).toBe('not-a-file');
      expect(err.message).toContain(`${rel} is not a regular file (a pipe, socket or device)`);
    }
  });

  it('malformed JSON names the file', async () => {
    const dir = await buildTinyPack(fresh(), 'sd1');
    await writeFile(join(dir, 'scheduler', 'scheduler_config.json'), '{"_class_name": "PNDMScheduler",');
    const err = await packError(inspectPack(dir));
    expect(err.code).toBe('malformed-json');
    expect(err.file).toBe('scheduler/scheduler_config.json');
    expect(err.message).toMatch(/^scheduler\/scheduler_config\.json is not valid JSON \(.*\): the file is damaged or was cut short; download or copy it again/);
    await writeFile(join(dir, 'model_index.json'), '[1, 2]');
    expect((await packError(inspectPack(dir))).message).toMatch(/^model_index\.json does not hold a JSON object: replace it/);
  });

  it('missing scheduler config, missing merges.txt, a missing VAE decoder, a PyTorch folder, no folder at all', async () => {
    const a = await buildTinyPack(fresh(), 'sd1');
    await rm(join(a, 'scheduler'), { recursive: true });
    expect((await packError(inspectPack(a))).message).toMatch(/^scheduler\/scheduler_config\.json is missing: .*: copy scheduler\/scheduler_config\.json from the model's repository$/);

    const b = await buildTinyPack(fresh(), 'sd1');
    await rm(join(b, 'tokenizer', 'merges.txt'));
    const eb = await packError(inspectPack(b));
    expect(eb.code).toBe('missing-tokenizer');
    expect(eb.message).toMatch(/^tokenizer\/merges\.txt is missing/);

    const c = await buildTinyPack(fresh(), 'sd2');
    await rm(join(c, 'vae_decoder'), { recursive: true });
    const ec = await packError(inspectPack(c));
    expect(ec.code).toBe('missing-file');
    expect(ec.message).toMatch(/^vae_decoder\/model\.onnx is missing although model_index\.json lists vae_decoder: copy vae_decoder\//);

    const d = await buildTinyPack(fresh(), 'sd1');
    await rm(join(d, 'unet', 'model.onnx'));
    await writeFile(join(d, 'unet', 'diffusion_pytorch_model.safetensors'), 'x');
    expect((await packError(inspectPack(d))).code).toBe('pytorch-not-onnx');

    const e = await packError(inspectPack(join(root, 'nowhere')));
    expect(e.code).toBe('not-found');
    expect(e.message).toMatch(/nowhere does not exist: pick the folder that contains model_index\.json$/);
  });

  it('a scheduler config out of bounds or of an unknown class is refused on inspection, naming the field and the bound', async () => {
    const dir = await buildTinyPack(fresh(), 'sd1');
    const file = join(dir, 'scheduler', 'scheduler_config.json');
    const good = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...good, num_train_timesteps: 1e9 }));
    const t0 = performance.now();
    const err = await packError(inspectPack(dir));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(err.code).toBe('invalid-scheduler');
    expect(err.file).toBe('scheduler/scheduler_config.json');
    expect(err.message).toMatch(/^scheduler\/scheduler_config\.json cannot be used: scheduler config \(PNDMScheduler\): "num_train_timesteps" must be an integer in \[2, 100000\], got 1000000000: copy/);
    expect((await packError(openPack(dir, { provider: 'cpu' }))).code).toBe('invalid-scheduler');
    await writeFile(file, JSON.stringify({ ...good, _class_name: 'FlowMatchEulerDiscreteScheduler' }));
    expect((await packError(inspectPack(dir))).message).toMatch(/unsupported scheduler class "FlowMatchEulerDiscreteScheduler"/);
  });

  it('reads a scheduler config written by Python with a bare -Infinity (diffusers\' lambda_min_clipped default)', async () => {
    const dir = await buildTinyPack(fresh(), 'sd1');
    const file = join(dir, 'scheduler', 'scheduler_config.json');
    const good = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const text = JSON.stringify({ ...good, _class_name: 'DPMSolverMultistepScheduler', lambda_min_clipped: 'NEG_INF' }, null, 2).replace('"NEG_INF"', '-Infinity');
    expect(text).toMatch(/"lambda_min_clipped": -Infinity/);
    await writeFile(file, text);
    const info = await inspectPack(dir);
    expect((info.schedulerConfig as Record<string, unknown>).lambda_min_clipped).toBe(-Infinity);
  });

  it('an SDXL UNet is refused with the reason', async () => {
    const dir = await buildTinyPack(fresh(), 'sd1');
    const { OnnxModel } = await import('../../main/engine/onnx/builder.js');
    const m = await OnnxModel.load(join(dir, 'unet', 'model.onnx'));
    m.addInput('text_embeds', 'float32', ['batch', 1280]);
    m.addInput('time_ids', 'float32', ['batch', 6]);
    await m.save(join(dir, 'unet', 'model.onnx'));
    const err = await packError(inspectPack(dir));
    expect(err.code).toBe('unsupported-family');
    expect(err.message).toMatch(/takes text_embeds and time_ids: this is an SDXL export/);
  });
});

describe('openPack round trip', () => {
  const variants: [PackFamily, TinyPackOptions][] = [
    ['sd1', {}],
    ['sd1', { fp16: true }],
    ['sd1', { externalData: true }],
    ['sd1', { exporter: 'optimum' }],
    ['sd1', { vaeEncoderOutput: 'latent_parameters' }],
    ['sd1', { timestepType: 'float32', timestepShape: 'scalar' }],
    ['sd1', { timestepType: 'float16', fp16: true, inputIdsType: 'int64' }],
    ['sd1', { tokenizer: 'tokenizer.json' }],
    ['sd2', {}],
    ['turbo', { timestepType: 'float32' }],
    ['lcm', {}],
    ['inpaint', {}],
    ['upscaler', {}],
    ['pixel', {}],
  ];
  for (const [family, opts] of variants) {
    it(`${family} ${JSON.stringify(opts)}`, async () => {
      const dir = await buildTinyPack(fresh(), family, opts);
      const pack = await openPack(dir, { provider: 'cpu', threads: 1 });
      const { info } = pack;
      expect(info.family).toBe(family);
      expect(pack.providers.map((p) => p.component)).toEqual(
        ['text_encoder', 'unet', info.hasVaeEncoder ? 'vae_encoder' : '', info.hasVaeDecoder ? 'vae_decoder' : ''].filter(Boolean),
      );
      for (const p of pack.providers) expect(p).toMatchObject({ provider: 'cpu', skipped: [] });

      const ctx = await pack.encodePrompt(['a photo of a cat', '']);
      expect(ctx.shape).toEqual([2, 77, info.contextDim]);
      expect(ctx.data).toBeInstanceOf(Float32Array);
      // The empty prompt differs from the real one; the same prompt gives the same context.
      expect(ctx.data.subarray(0, 77 * info.contextDim)).not.toEqual(ctx.data.subarray(77 * info.contextDim));
      const again = await pack.encodePrompt(['a photo of a cat']);
      expect(again.data).toEqual(ctx.data.subarray(0, 77 * info.contextDim));

      const h = 4;
      const sample = { data: new Float32Array(2 * info.unetInChannels * h * h).map((_, i) => Math.sin(i)), shape: [2, info.unetInChannels, h, h] };
      const extras = { guidanceScale: 8, noiseLevel: 20 };
      const eps = await pack.unet(sample, 981, ctx, extras);
      expect(eps.length).toBe(2 * info.latentChannels * h * h);
      expect(eps.every(Number.isFinite)).toBe(true);
      expect(await pack.unet(sample, 981, ctx, extras)).toEqual(eps); // deterministic
      expect(await pack.unet(sample, 500, ctx, extras)).not.toEqual(eps); // the timestep reaches the model
      if (family === 'lcm') expect(await pack.unet(sample, 981, ctx, { guidanceScale: 2 })).not.toEqual(eps);
      if (family === 'upscaler') expect(await pack.unet(sample, 981, ctx, { noiseLevel: 100 })).not.toEqual(eps);

      if (pack.vaeDecode) {
        const img = await pack.vaeDecode({ data: eps, shape: [2, info.latentChannels, h, h] });
        expect(img.shape).toEqual([2, 3, h * info.vaeScale, h * info.vaeScale]);
        expect(img.data.every(Number.isFinite)).toBe(true);
      } else expect(info.hasVaeDecoder).toBe(false);
      if (pack.vaeEncode) {
        const S = h * info.vaeScale;
        const image = { data: new Float32Array(3 * S * S).map((_, i) => Math.cos(i) * 0.9), shape: [1, 3, S, S] };
        const z = await pack.vaeEncode(image);
        expect(z.shape).toEqual([1, info.latentChannels, h, h]);
        expect((await pack.vaeEncode(image)).data).toEqual(z.data);
      }
      await pack.release();
      await expect(pack.encodePrompt(['x'])).rejects.toThrow(/was released/);
    });
  }

  it('vaeEncode takes the mean of latent_parameters and applies the scaling factor; vaeDecode divides by it', async () => {
    const dir = await buildTinyPack(fresh(), 'sd1', { vaeEncoderOutput: 'latent_parameters' });
    const layout = await inspectLayout(dir);
    const pack = await openPack(dir, { provider: 'cpu' });
    const { ModelSession } = await import('../../main/engine/runtime/session.js');
    const raw = await ModelSession.create(layout.models.vae_encoder!, { provider: 'cpu' });
    const image = { data: new Float32Array(3 * 16 * 16).map((_, i) => Math.sin(i / 3)), shape: [1, 3, 16, 16] };
    const params = (await raw.run({ sample: image })).latent_parameters;
    expect(params.shape).toEqual([1, 8, 2, 2]);
    const z = await pack.vaeEncode!(image);
    expect(z.shape).toEqual([1, 4, 2, 2]);
    for (let i = 0; i < 16; i++) expect(z.data[i]).toBeCloseTo(params.data[i] * 0.18215, 6);
    const dec = await ModelSession.create(layout.models.vae_decoder!, { provider: 'cpu' });
    const direct = (await dec.run({ latent_sample: { data: z.data.map((v) => v / 0.18215), shape: z.shape } })).sample;
    expect((await pack.vaeDecode!(z)).data).toEqual(direct.data);
    await Promise.all([raw.release(), dec.release(), pack.release()]);
  });

  it('pads with the tokenizer config’s pad token: SD 1.x <|endoftext|>, SD 2.x "!"', async () => {
    for (const [family, padIsEos] of [['sd1', true], ['sd2', false]] as const) {
      const dir = await buildTinyPack(fresh(), family);
      const { loadTokenizer } = await import('../../main/engine/packs/tokenizer.js');
      const tok = await loadTokenizer(join(dir, 'tokenizer'));
      const ids = tok.encode('a cat', 77);
      expect(ids[ids.length - 1] === tok.eosId).toBe(padIsEos);
      if (!padIsEos) expect(tok.padId).toBe(tok.tokenToId('!'));
      const map = JSON.parse(await readFile(join(dir, 'tokenizer', 'special_tokens_map.json'), 'utf8')) as { pad_token: string };
      expect(tok.tokenToId(map.pad_token)).toBe(tok.padId);
    }
  });

  it('the provider report on this machine lists every faster provider with its reason', async () => {
    const dir = await buildTinyPack(fresh(), 'pixel');
    const pack = await openPack(dir, { env: {} });
    for (const p of pack.providers) {
      if (process.env.DRIFTLINE_EXPECT_GPU === undefined) expect(p.provider).toBe('cpu');
      for (const s of p.skipped) expect(s.reason).toMatch(/^(not in this build of onnxruntime-node|failed to create: |its binaries are not installed)/);
      if (process.platform === 'linux' && p.provider === 'cpu') expect(p.skipped.map((s) => s.provider)).toEqual(['tensorrt', 'cuda', 'webgpu']);
    }
    await pack.release();
  });
});

describe('LCM guidance embedding', () => {
  it('matches diffusers get_guidance_scale_embedding at w = 7 (guidance scale 8), d = 4', () => {
    // half = 2, scale = ln(10000)/1, freqs = [1, 1e-4]; w' = 7000 → [sin 7000, sin 0.7, cos 7000, cos 0.7]
    const e = guidanceScaleEmbedding([7], 4);
    expect(e[0]).toBeCloseTo(Math.sin(7000), 4);
    expect(e[1]).toBeCloseTo(Math.sin(0.7), 6);
    expect(e[2]).toBeCloseTo(Math.cos(7000), 4);
    expect(e[3]).toBeCloseTo(Math.cos(0.7), 6);
    expect(guidanceScaleEmbedding([1, 2], 256)).toHaveLength(512);
  });
});
