/**
 * Reading and validating a model pack: the diffusers ONNX layout as diffusers' export script and
 * Optimum write it —
 *
 *   model_index.json                     pipeline class, components, `_name_or_path`
 *   text_encoder/model.onnx              input_ids [B, L] int32|int64 → last_hidden_state [B, L, D], pooler_output
 *   unet/model.onnx (+ weights.pb | model.onnx_data)
 *                                        sample, timestep, encoder_hidden_states (+ timestep_cond, class_labels) → out_sample
 *   vae_encoder/model.onnx               sample [B, 3, H, W] → latent_sample [B, 4, h, w] | latent_parameters [B, 8, h, w]
 *   vae_decoder/model.onnx (vae/ in the x4 upscaler's pipeline)
 *                                        latent_sample → sample
 *   tokenizer/                           vocab.json + merges.txt, or tokenizer.json; special_tokens_map.json, tokenizer_config.json
 *   scheduler/scheduler_config.json
 *   <component>/config.json              where the exporter writes them (Optimum does; the diffusers script does not)
 *
 * — and the pack's family, detected from the UNet's declared inputs first, then the configs.
 * A pack may ship without text_encoder/ and tokenizer/ only when model_index.json says so
 * (`"text_encoder": [null, null]`) and its UNet ignores the context: the pixel super-resolution
 * layout (6-channel UNet, no VAE; emoji-sr-64), whose `upscale_factor` comes from unet/config.json
 * or model_index.json (default 2).
 * Models are read from their protobuf headers only (onnx-header.ts): inspecting a pack is fast and
 * loads nothing into ONNX Runtime.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parsePythonJson, SchedulerConfigError, validateSchedulerConfig } from '../scheduler-config/validate.js';
import { EXPORT_HINT, PackError } from './errors.js';
import { OnnxFormatError, readOnnxHeader, type OnnxHeader, type TensorDecl } from './onnx-header.js';
import { DeclaredLimits, MAX_DECLARED_SIDE, unetGeometry, vaeGeometry, type PackGeometry } from './geometry.js';
import type { ComponentName, PackFamily, PackInfo } from './types.js';

/** What openPack needs beyond PackInfo: where each component is and what it declares. */
export interface PackLayout {
  info: PackInfo;
  /** Model file per component present (absolute paths). */
  models: Partial<Record<ComponentName, string>>;
  headers: Partial<Record<ComponentName, OnnxHeader>>;
  tokenizerDir: string;
  /** Name of the VAE encoder's output: 'latent_sample' (a sample, used as is) or 'latent_parameters' (mean ‖ log-variance). */
  vaeEncoderOutput?: 'latent_sample' | 'latent_parameters';
  /** Width of LCM's `timestep_cond` (guidance embedding), when the UNet takes it. */
  timestepCondDim?: number;
  /** The UNet takes `class_labels` (x4 upscaler noise level). */
  hasClassLabels: boolean;
  /** Notes on what was inferred rather than read (for logs and the UI). */
  notes: string[];
}

const SAFETENSORS_HINT = 'export it to ONNX first: ' + EXPORT_HINT;

/**
 * Whether a pack's path is there. A FIFO, socket or device in a pack's place would block the read
 * that follows forever (and with it the engine's job queue): it is refused here, naming the file.
 */
async function exists(path: string): Promise<boolean> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch {
    return false;
  }
  if (!st.isFile() && !st.isDirectory()) throw notAFile(path);
  return true;
}

function notAFile(path: string): PackError {
  return new PackError('not-a-file', `${path} is not a regular file (a pipe, socket or device)`, 'replace it with the file the pack needs, or remove it');
}

/** Parse a JSON file of the pack; undefined when absent (unless required), PackError when malformed. */
async function readJson(dir: string, rel: string, required: false): Promise<Record<string, unknown> | undefined>;
async function readJson(dir: string, rel: string, required: true, missing: () => PackError): Promise<Record<string, unknown>>;
async function readJson(dir: string, rel: string, required: boolean, missing?: () => PackError): Promise<Record<string, unknown> | undefined> {
  let text: string;
  if (!(await exists(join(dir, rel)))) {
    if (required && missing) throw missing();
    return undefined;
  }
  try {
    text = await readFile(join(dir, rel), 'utf8');
  } catch {
    if (required && missing) throw missing();
    return undefined;
  }
  let value: unknown;
  try {
    // Python's json writes bare -Infinity (diffusers' lambda_min_clipped default); read it as the number.
    value = parsePythonJson(text);
  } catch (err) {
    throw new PackError(
      'malformed-json',
      `${rel} is not valid JSON (${(err as Error).message})`,
      `the file is damaged or was cut short; download or copy it again from the model's repository`,
      rel,
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new PackError('malformed-json', `${rel} does not hold a JSON object`, `replace it with the file from the model's repository`, rel);
  }
  return value as Record<string, unknown>;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function dimOf(decl: TensorDecl | undefined, i: number): number | undefined {
  const d = decl?.shape?.[i];
  return typeof d === 'number' && d > 0 ? d : undefined;
}

function describeIO(list: readonly TensorDecl[]): string {
  return list.map((d) => d.name).join(', ') || 'none';
}

async function readHeader(dir: string, rel: string): Promise<OnnxHeader> {
  let header: OnnxHeader;
  try {
    header = await readOnnxHeader(join(dir, rel));
  } catch (err) {
    if (err instanceof OnnxFormatError) {
      if (err.kind === 'truncated' || err.kind === 'empty') {
        throw new PackError(
          'truncated-model',
          `${rel} is truncated (${err.message})`,
          'the download or copy did not finish: download or copy this file again',
          rel,
        );
      }
      throw new PackError('invalid-model', `${rel} is not a valid ONNX model (${err.message})`, `replace it with the exported file; ${EXPORT_HINT}`, rel);
    }
    throw new PackError('invalid-model', `${rel} cannot be read (${(err as Error).message})`, 'check the file is readable', rel);
  }
  const folder = rel.slice(0, rel.lastIndexOf('/'));
  for (const f of header.externalFiles) {
    if (!(await exists(join(dir, folder, f)))) {
      throw new PackError(
        'missing-external-data',
        `${folder}/${f} is missing: ${rel} keeps its weights in that file`,
        `copy ${f} from the export into ${folder}/, next to model.onnx`,
        `${folder}/${f}`,
      );
    }
  }
  return header;
}

function requireIO(rel: string, header: OnnxHeader, inputs: readonly string[], outputs: readonly (string | readonly string[])[], what: string): void {
  for (const name of inputs) {
    if (!header.inputs.some((d) => d.name === name)) {
      throw new PackError(
        'wrong-inputs',
        `${rel} has no input "${name}" (its inputs: ${describeIO(header.inputs)}), so it is not ${what} as the diffusers ONNX layout defines it`,
        `re-export the pipeline with its standard input names; ${EXPORT_HINT}`,
        rel,
      );
    }
  }
  for (const alt of outputs) {
    const names = typeof alt === 'string' ? [alt] : alt;
    if (!header.outputs.some((d) => names.includes(d.name))) {
      throw new PackError(
        'wrong-inputs',
        `${rel} has no output ${names.map((n) => `"${n}"`).join(' or ')} (its outputs: ${describeIO(header.outputs)}), so it is not ${what} as the diffusers ONNX layout defines it`,
        `re-export the pipeline with its standard output names; ${EXPORT_HINT}`,
        rel,
      );
    }
  }
}

/** Read and validate the pack in `dir`; the layout details openPack needs come along. */
export async function inspectLayout(dirIn: string): Promise<PackLayout> {
  const dir = resolve(dirIn);
  const notes: string[] = [];
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new PackError('not-found', `${dir} does not exist`, 'pick the folder that contains model_index.json');
  if (!st.isDirectory()) {
    throw new PackError('not-found', `${dir} is a file, not a folder`, 'pick the folder that contains model_index.json (the pack folder, not one of its files)');
  }

  // model_index.json
  const index = await readJson(dir, 'model_index.json', true, () => {
    const picksComponent = basename(dir) === 'unet' || basename(dir) === 'text_encoder';
    return new PackError(
      'not-diffusers',
      `model_index.json is missing: ${dir} is not a diffusers pipeline folder`,
      picksComponent
        ? 'this looks like one component of a pack: pick its parent folder, the one that contains model_index.json'
        : `pick the folder that contains model_index.json, or ${EXPORT_HINT}`,
      'model_index.json',
    );
  });
  const pipelineClass = typeof index._class_name === 'string' ? index._class_name : '';
  const name = typeof index._name_or_path === 'string' && index._name_or_path !== '' ? index._name_or_path : basename(dir);

  // Component model files.
  const models: Partial<Record<ComponentName, string>> = {};
  const headers: Partial<Record<ComponentName, OnnxHeader>> = {};
  const unetRel = 'unet/model.onnx';
  if (!(await exists(join(dir, unetRel)))) {
    if ((await exists(join(dir, 'unet', 'diffusion_pytorch_model.safetensors'))) || (await exists(join(dir, 'unet', 'diffusion_pytorch_model.bin')))) {
      throw new PackError('pytorch-not-onnx', `${unetRel} is missing: this folder holds a PyTorch diffusers pipeline, not an ONNX export`, SAFETENSORS_HINT, unetRel);
    }
    throw new PackError(
      'missing-file',
      `${unetRel} is missing: this folder is not a complete diffusers ONNX export`,
      `copy the whole export (unet/ with model.onnx and its weights file), or ${EXPORT_HINT}, or pick the folder that contains it`,
      unetRel,
    );
  }
  models.unet = join(dir, unetRel);
  headers.unet = await readHeader(dir, unetRel);

  const textRel = 'text_encoder/model.onnx';
  const missingTextEncoder = () =>
    new PackError('missing-file', `${textRel} is missing: the pack has no text encoder`, `copy text_encoder/ from the export, or ${EXPORT_HINT}`, textRel);
  // Declared absent (pixel SR): allowed once the family is known, below.
  const textless = !(await exists(join(dir, textRel))) && Array.isArray(index.text_encoder) && (index.text_encoder as unknown[])[0] === null;
  if (!textless) {
    if (!(await exists(join(dir, textRel)))) throw missingTextEncoder();
    models.text_encoder = join(dir, textRel);
    headers.text_encoder = await readHeader(dir, textRel);
  }

  for (const [comp, folders] of [
    ['vae_encoder', ['vae_encoder']],
    ['vae_decoder', ['vae_decoder', 'vae']],
  ] as const) {
    for (const folder of folders) {
      const rel = `${folder}/model.onnx`;
      if (await exists(join(dir, rel))) {
        models[comp] = join(dir, rel);
        headers[comp] = await readHeader(dir, rel);
        break;
      }
      if (index[folder] && Array.isArray(index[folder]) && (index[folder] as unknown[])[0] !== null) {
        throw new PackError('missing-file', `${rel} is missing although model_index.json lists ${folder}`, `copy ${folder}/ from the export, or ${EXPORT_HINT}`, rel);
      }
    }
  }

  // Declared inputs and outputs.
  const unet = headers.unet;
  requireIO(unetRel, unet, ['sample', 'timestep', 'encoder_hidden_states'], [['out_sample']], 'a diffusion UNet');
  if (headers.text_encoder) requireIO(textRel, headers.text_encoder, ['input_ids'], [['last_hidden_state']], 'a CLIP text encoder');
  const vaeEncRel = 'vae_encoder/model.onnx';
  let vaeEncoderOutput: PackLayout['vaeEncoderOutput'];
  if (headers.vae_encoder) {
    requireIO(vaeEncRel, headers.vae_encoder, ['sample'], [['latent_sample', 'latent_parameters']], 'a VAE encoder');
    vaeEncoderOutput = headers.vae_encoder.outputs.some((o) => o.name === 'latent_parameters') ? 'latent_parameters' : 'latent_sample';
  }
  const vaeDecRel = models.vae_decoder ? `${basename(resolve(models.vae_decoder, '..'))}/model.onnx` : 'vae_decoder/model.onnx';
  if (headers.vae_decoder) requireIO(vaeDecRel, headers.vae_decoder, ['latent_sample'], [['sample']], 'a VAE decoder');
  const unetInput = (n: string) => unet.inputs.find((d) => d.name === n);

  // Configs.
  const unetConfig = (await readJson(dir, 'unet/config.json', false)) ?? {};
  const vaeConfig =
    (models.vae_decoder ? await readJson(dir, `${vaeDecRel.split('/')[0]}/config.json`, false) : undefined) ??
    (models.vae_encoder ? await readJson(dir, 'vae_encoder/config.json', false) : undefined) ??
    {};
  const textConfig = (await readJson(dir, 'text_encoder/config.json', false)) ?? {};

  // Tokenizer (none without a text encoder).
  const tokenizerDir = join(dir, 'tokenizer');
  const hasFast = await exists(join(tokenizerDir, 'tokenizer.json'));
  const hasVocab = await exists(join(tokenizerDir, 'vocab.json'));
  const hasMerges = await exists(join(tokenizerDir, 'merges.txt'));
  if (!textless && !hasFast && !(hasVocab && hasMerges)) {
    const missing = !(await exists(tokenizerDir)) ? 'tokenizer/ is missing' : hasVocab ? 'tokenizer/merges.txt is missing' : 'tokenizer/ has neither tokenizer.json nor vocab.json + merges.txt';
    throw new PackError(
      'missing-tokenizer',
      `${missing}: the prompt cannot be turned into token ids`,
      "copy the tokenizer/ folder from the model's repository (CLIP's vocab.json, merges.txt, special_tokens_map.json and tokenizer_config.json)",
      'tokenizer/',
    );
  }
  const tokenizerConfig = (await readJson(dir, 'tokenizer/tokenizer_config.json', false)) ?? {};
  await readJson(dir, 'tokenizer/special_tokens_map.json', false);
  if (hasFast) await readJson(dir, 'tokenizer/tokenizer.json', false);
  else if (hasVocab) await readJson(dir, 'tokenizer/vocab.json', false);

  // Scheduler.
  const schedulerConfig = await readJson(dir, 'scheduler/scheduler_config.json', true, () =>
    new PackError(
      'missing-scheduler',
      'scheduler/scheduler_config.json is missing: the noise schedule the model was trained with is unknown',
      "copy scheduler/scheduler_config.json from the model's repository",
      'scheduler/scheduler_config.json',
    ),
  );
  checkSchedulerConfig(schedulerConfig);

  // ── family ──────────────────────────────────────────────────────────────────────────────
  if (unetInput('text_embeds') || unetInput('time_ids')) {
    throw new PackError(
      'unsupported-family',
      `${unetRel} takes text_embeds and time_ids: this is an SDXL export, which Driftline does not run yet`,
      'use an SD 1.x, SD 2.x, SD-Turbo, LCM, inpainting or x4-upscaler ONNX export',
      unetRel,
    );
  }
  const sampleDecl = unetInput('sample');
  let inChannels = dimOf(sampleDecl, 1) ?? num(unetConfig.in_channels) ?? num(index.num_unet_input_channels);
  if (inChannels === undefined) {
    if (/Inpaint/i.test(pipelineClass)) inChannels = 9;
    else if (/Upscale/i.test(pipelineClass)) inChannels = 7;
    else inChannels = models.vae_decoder ? 4 : 3;
    notes.push(`unet input channels not declared; assumed ${inChannels} from the pipeline class and components`);
  }
  const hasClassLabels = unetInput('class_labels') !== undefined;
  const timestepCond = unetInput('timestep_cond');
  const contextDim =
    dimOf(unetInput('encoder_hidden_states'), 2) ??
    num(unetConfig.cross_attention_dim) ??
    dimOf(headers.text_encoder?.outputs.find((o) => o.name === 'last_hidden_state'), 2) ??
    num(textConfig.hidden_size);
  if (contextDim === undefined) {
    throw new PackError(
      'unsupported-family',
      `${unetRel} does not declare the width of encoder_hidden_states and the pack has no unet/config.json`,
      "copy unet/config.json from the model's repository (it states cross_attention_dim)",
      unetRel,
    );
  }
  const sched = schedulerConfig;
  const prediction = typeof sched.prediction_type === 'string' ? sched.prediction_type : 'epsilon';
  const spacing = typeof sched.timestep_spacing === 'string' ? sched.timestep_spacing : 'leading';
  const schedClass = typeof sched._class_name === 'string' ? sched._class_name : '';

  let family: PackFamily;
  if (inChannels === 6 && !models.vae_decoder) family = 'pixel-sr';
  else if (inChannels === 7 || hasClassLabels) family = 'upscaler';
  else if (inChannels === 9) family = 'inpaint';
  else if (inChannels === 3 && !models.vae_decoder) family = 'pixel';
  else if (inChannels === 4) {
    if (timestepCond || schedClass === 'LCMScheduler') family = 'lcm';
    else if (/turbo/i.test(name) || (spacing === 'trailing' && prediction === 'epsilon' && sched.rescale_betas_zero_snr !== true)) family = 'turbo';
    else if (contextDim === 1024) family = 'sd2';
    else if (contextDim === 768) family = 'sd1';
    else family = prediction === 'v_prediction' ? 'sd2' : 'sd1';
  } else {
    throw new PackError(
      'unsupported-family',
      `${unetRel} takes ${inChannels}-channel samples${inChannels === 3 || inChannels === 6 ? ' but the pack has a VAE' : ''}: Driftline runs UNets with 4 (text-to-image), 9 (inpainting), 7 (x4 upscaler) or 3 (pixel space, no VAE; 6 for pixel super-resolution) input channels`,
      'use an SD 1.x, SD 2.x, SD-Turbo, LCM, inpainting or x4-upscaler ONNX export',
      unetRel,
    );
  }
  const pixelSpace = family === 'pixel' || family === 'pixel-sr';
  if (textless && family !== 'pixel-sr') throw missingTextEncoder();
  if (!pixelSpace && !models.vae_decoder) {
    throw new PackError(
      'missing-file',
      'vae_decoder/model.onnx is missing: latents cannot be turned into an image',
      `copy vae_decoder/ from the export, or ${EXPORT_HINT}`,
      'vae_decoder/model.onnx',
    );
  }

  // ── geometry ────────────────────────────────────────────────────────────────────────────
  const outDecl = unet.outputs.find((o) => o.name === 'out_sample');
  const latentChannels = pixelSpace ? 3 : (dimOf(outDecl, 1) ?? num(unetConfig.out_channels) ?? num(vaeConfig.latent_channels) ?? 4);
  let vaeScale = 1;
  if (!pixelSpace) {
    const blocks = Array.isArray(vaeConfig.block_out_channels) ? vaeConfig.block_out_channels.length : undefined;
    vaeScale = blocks ? 2 ** (blocks - 1) : family === 'upscaler' ? 4 : 8;
    if (!blocks) notes.push(`VAE config not found; assumed a downsampling factor of ${vaeScale}`);
  }
  const unetBlocks = Array.isArray(unetConfig.block_out_channels) ? unetConfig.block_out_channels.length : 0;
  const unetMultiple = unetBlocks > 1 && unetBlocks <= 8 ? 2 ** (unetBlocks - 1) : 1;
  let scalingFactor = 1;
  if (!pixelSpace) {
    scalingFactor = num(vaeConfig.scaling_factor) ?? (family === 'upscaler' ? 0.08333 : 0.18215);
    if (num(vaeConfig.scaling_factor) === undefined) notes.push(`VAE scaling_factor not found; assumed ${scalingFactor}`);
  }
  const sampleSize = num(unetConfig.sample_size) ?? dimOf(sampleDecl, 2);
  const defaultSize = sampleSize !== undefined ? sampleSize * vaeScale : family === 'sd2' && prediction === 'v_prediction' ? 768 : 512;
  const maxLen = num(tokenizerConfig.model_max_length);
  const textLength = !headers.text_encoder ? 1 :
    dimOf(headers.text_encoder.inputs.find((d) => d.name === 'input_ids'), 1) ??
    (maxLen !== undefined && maxLen < 100_000 ? maxLen : undefined) ??
    num(textConfig.max_position_embeddings) ??
    77;

  let upscaleFactor = family === 'upscaler' ? vaeScale : 1;
  const driftline = index.driftline && typeof index.driftline === 'object' ? (index.driftline as Record<string, unknown>) : {};
  const packNoise = num(driftline.default_noise_level);
  const defaultNoiseLevel = packNoise !== undefined && Number.isInteger(packNoise) && packNoise >= 0 && packNoise <= 999 ? packNoise : 20;
  const recSteps = num(driftline.default_steps);
  const recGuidance = num(driftline.default_guidance_scale);
  const recommended = {
    ...(recSteps !== undefined && Number.isInteger(recSteps) && recSteps >= 1 && recSteps <= 1000 ? { steps: recSteps } : {}),
    ...(recGuidance !== undefined && recGuidance >= 0 && recGuidance <= 100 ? { cfgScale: recGuidance } : {}),
  };
  if (family === 'pixel-sr') {
    const f = num(unetConfig.upscale_factor) ?? num(index.upscale_factor) ?? num(driftline.upscale_factor);
    if (f !== undefined && !(Number.isInteger(f) && f >= 1)) {
      throw new PackError('unsupported-family', `upscale_factor ${f} is not a positive integer`, 'fix upscale_factor in unet/config.json (2 for a 2× upscaler)', 'unet/config.json');
    }
    upscaleFactor = f ?? 2;
    if (f === undefined) notes.push('upscale_factor not found; assumed 2');
  }

  const declared = driftline.degradation && typeof driftline.degradation === 'object' ? (driftline.degradation as Record<string, unknown>).kind : driftline.degradation;
  const degradation = declared === 'bicubic' ? 'bicubic' : 'area';
  if (declared !== undefined && declared !== 'area' && declared !== 'bicubic') notes.push(`degradation "${String(declared)}" is not one the engine knows (area, bicubic); calibration uses area averaging`);

  const limits = DeclaredLimits.safeParse(driftline);
  if (!limits.success) {
    throw new PackError(
      'invalid-limit',
      `model_index.json declares driftline.max_side ${JSON.stringify(driftline.max_side)}, which is not a whole number of pixels from 8 to ${MAX_DECLARED_SIDE}`,
      'fix driftline.max_side in model_index.json (the largest image side the pack makes), or remove it',
      'model_index.json',
    );
  }
  const featureStep = driftline.feature_guidance_step;
  const featureStepOk = typeof featureStep === 'number' && featureStep > 0 && featureStep <= 1e6;
  if (featureStep !== undefined && !featureStepOk) notes.push(`driftline.feature_guidance_step ${JSON.stringify(featureStep)} is not a number from 0 to 10⁶; DiffEditor's steps are used`);
  const geometry: PackGeometry = {
    unet: unetGeometry(unetConfig, notes),
    ...(models.vae_decoder || models.vae_encoder ? { vae: vaeGeometry(vaeConfig, notes) } : {}),
    weightBytes: await weightBytes(models, headers),
  };

  let timestepCondDim: number | undefined;
  if (timestepCond) timestepCondDim = dimOf(timestepCond, 1) ?? num(unetConfig.time_cond_proj_dim) ?? 256;

  const info: PackInfo = {
    dir,
    name,
    family,
    unetInChannels: inChannels,
    latentChannels,
    vaeScale,
    unetMultiple,
    scalingFactor,
    defaultSize,
    upscaleFactor,
    defaultNoiseLevel,
    degradation,
    ...(Object.keys(recommended).length ? { recommended } : {}),
    hasTextEncoder: !textless,
    contextDim,
    textLength,
    hasVaeEncoder: models.vae_encoder !== undefined,
    hasVaeDecoder: models.vae_decoder !== undefined,
    geometry,
    ...(limits.data.max_side !== undefined ? { maxSide: limits.data.max_side } : {}),
    ...(featureStepOk ? { featureGuidanceStep: featureStep } : {}),
    schedulerConfig,
  };
  return { info, models, headers, tokenizerDir, vaeEncoderOutput, timestepCondDim, hasClassLabels, notes };
}

/** Bytes of the components' model files and the external weight files they name (what ONNX Runtime loads). */
async function weightBytes(models: PackLayout['models'], headers: PackLayout['headers']): Promise<number> {
  let total = 0;
  for (const [c, file] of Object.entries(models) as [ComponentName, string][]) {
    total += (await stat(file)).size;
    for (const f of headers[c]?.externalFiles ?? []) total += (await stat(join(resolve(file, '..'), f))).size;
  }
  return total;
}

/**
 * The scheduler config is validated when the pack is inspected, not first when it generates: its
 * class and keys must be ones the engine runs, and its numbers within bounds (a config asking for
 * 10⁹ training timesteps would otherwise have the engine allocate its tables at generate time).
 */
function checkSchedulerConfig(config: Record<string, unknown>): void {
  try {
    validateSchedulerConfig(config);
  } catch (err) {
    if (!(err instanceof SchedulerConfigError)) throw err;
    throw new PackError(
      'invalid-scheduler',
      `scheduler/scheduler_config.json cannot be used: ${err.message}`,
      "copy scheduler/scheduler_config.json from the model's repository, or fix the value named",
      'scheduler/scheduler_config.json',
    );
  }
}

/** Read and validate a pack (diffusers ONNX layout) and detect its family. Throws PackError. */
export async function inspectPack(dir: string): Promise<PackInfo> {
  return (await inspectLayout(dir)).info;
}
