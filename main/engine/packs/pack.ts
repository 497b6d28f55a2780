/**
 * A loaded model pack: one ONNX Runtime session per component (each on the first execution
 * provider that works, reported), the prompt tokenizer, and the float32 interface the pipelines
 * use (`LoadedPack`). Semantics follow diffusers' ONNX pipelines:
 *
 * - encodePrompt: ids padded/truncated to the encoder's sequence length → `last_hidden_state`;
 *   packs without a text encoder (pixel SR) get zeros [B, 1, D], which their UNet ignores.
 * - unet: `timestep` shaped as the model declares it ([] or [B]) in its own dtype; LCM's
 *   `timestep_cond` = the guidance-scale embedding of w − 1 (diffusers' LatentConsistencyModelPipeline);
 *   the upscalers' `class_labels` = the noise level, one per batch element (int64 for the x4
 *   upscaler, float32 for pixel SR: converted to the declared dtype by the session).
 * - vaeEncode: `latent_parameters` → its mean (first half of the channels); `latent_sample` as is;
 *   × scaling_factor. vaeDecode: ÷ scaling_factor → `sample`.
 *
 * Every output is checked for NaN and ±Infinity as it comes back (`NonFiniteOutputError`, code
 * NON_FINITE_OUTPUT, naming the component): decoded, they would be a black image reported as a success.
 */
import type { Tensor } from '../tensor.js';
import { ModelSession, type Feed } from '../runtime/session.js';
import { EXPORT_HINT, NonFiniteOutputError, PackError } from './errors.js';
import { inspectLayout, type PackLayout } from './layout.js';
import { loadTokenizer, TokenizerFileError, type PromptTokenizer } from './tokenizer.js';
import type { ComponentName, LoadedPack, PackInfo, ProviderReport, UNetExtras } from './types.js';
import type { MemoryCall } from '../samplers/common.js';
import type { MemoryLayer } from '../onnx/surgery/memory.js';
import { MemoryUnet } from './memory-unet.js';
import { FeatureUnet } from './feature-unet.js';
import type { FeatureTap } from '../onnx/surgery/features.js';

export { inspectPack } from './layout.js';

export interface OpenPackOptions {
  /** Execution provider override: a name or comma list ('cpu', 'cuda', 'dml,cpu'); else DRIFTLINE_EP, else the platform's order. */
  provider?: string;
  /** intra-op threads per session (default: ONNX Runtime's choice). */
  threads?: number;
  /** Environment to read DRIFTLINE_EP from (tests). */
  env?: NodeJS.ProcessEnv;
  /** The app's data folder, where derived attention-memory models are cached (else DRIFTLINE_HOME or the platform's). */
  dataDir?: string;
}

/**
 * LCM's guidance embedding (diffusers `get_guidance_scale_embedding`): for w' = 1000·w,
 * [sin(w'·ω_k), cos(w'·ω_k)] with ω_k = exp(−k·ln 10000 / (d/2 − 1)), k < d/2; zero-padded when d is odd.
 */
export function guidanceScaleEmbedding(w: readonly number[], dim: number): Float32Array {
  const half = Math.floor(dim / 2);
  const scale = Math.log(10000) / (half - 1);
  const out = new Float32Array(w.length * dim);
  for (let b = 0; b < w.length; b++) {
    const wb = w[b] * 1000;
    for (let k = 0; k < half; k++) {
      // diffusers computes in float32: exp(arange·(−scale)) then w·freq
      const freq = Math.fround(Math.exp(Math.fround(k * -Math.fround(scale))));
      const a = Math.fround(wb * freq);
      out[b * dim + k] = Math.sin(a);
      out[b * dim + half + k] = Math.cos(a);
    }
  }
  return out;
}

/** NaN and ±Infinity in one pass: v − v is 0 for every finite v and NaN otherwise. */
export function countNonFinite(data: ArrayLike<number>): { nan: number; inf: number } {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      if (v !== v) nan++;
      else inf++;
    }
  }
  return { nan, inf };
}

const COMPONENT_LABEL: Record<ComponentName, string> = {
  text_encoder: 'the text encoder',
  unet: 'the UNet',
  vae_encoder: 'the VAE encoder',
  vae_decoder: 'the VAE decoder',
};

/**
 * Fail when a component's output holds NaN or ±Infinity (one pass over it; the inputs are looked
 * at only then, to tell a diverged sampler from a model that overflows).
 */
function checkFinite(component: ComponentName, s: ModelSession, output: ArrayLike<number>, inputs: readonly ArrayLike<number>[] = []): void {
  const bad = countNonFinite(output);
  if (bad.nan === 0 && bad.inf === 0) return;
  const who = COMPONENT_LABEL[component];
  const counts = [bad.nan ? `${bad.nan} NaN` : '', bad.inf ? `${bad.inf} infinite` : ''].filter(Boolean).join(' and ');
  const found = `${who} returned ${counts} of ${output.length} values`;
  if (inputs.some((x) => { const c = countNonFinite(x); return c.nan + c.inf > 0; })) {
    throw new NonFiniteOutputError(component, 'input',
      `${found} because its input already held non-finite values: sampling diverged; try another sampler, more steps or a lower guidance scale`);
  }
  const fp16 = [...s.inputs, ...s.outputs].some((io) => io.type === 'float16');
  const otherProvider = s.provider === 'cpu' ? 'another execution provider' : 'another execution provider (DRIFTLINE_EP=cpu)';
  throw new NonFiniteOutputError(component, 'model', fp16
    ? `${found} (a float16 model on ${s.provider}: its activations overflowed): use the float32 export of this pack, or ${otherProvider}`
    : `${found} on ${s.provider}: the model's weights may be damaged, or the provider computes it wrongly; try ${otherProvider}, or export the pack again`);
}

/** A model opened on first use; a failure is not kept, so the next use tries again. */
class Lazy<T extends { release(): Promise<void> }> {
  private value?: Promise<T>;
  constructor(private readonly open: () => Promise<T>) {}

  get(): Promise<T> {
    this.value ??= this.open().catch((err: unknown) => {
      this.value = undefined;
      throw err;
    });
    return this.value;
  }

  async release(): Promise<void> {
    await this.value?.then((v) => v.release(), () => undefined);
  }
}

class Pack implements LoadedPack {
  private released = false;
  /** Derived from the UNet on first use: attention memory's model, exact region guidance's. */
  private readonly memoryUnet = new Lazy(() => MemoryUnet.open(this.unetFile(), this.opts));
  private readonly featureUnet = new Lazy(() => FeatureUnet.open(this.unetFile(), this.opts));

  constructor(
    readonly info: PackInfo,
    readonly providers: readonly ProviderReport[],
    private readonly layout: PackLayout,
    private readonly tokenizer: PromptTokenizer | undefined,
    private readonly sessions: Partial<Record<ComponentName, ModelSession>>,
    private readonly opts: OpenPackOptions,
  ) {
    if (info.hasVaeEncoder) this.vaeEncode = (image) => this.encodeImage(image);
    if (info.hasVaeDecoder) this.vaeDecode = (latent) => this.decodeLatent(latent);
  }

  vaeEncode?: (image: Tensor) => Promise<Tensor>;
  vaeDecode?: (latent: Tensor) => Promise<Tensor>;

  private session(c: ComponentName): ModelSession {
    if (this.released) throw new Error(`pack ${this.info.name} was released`);
    const s = this.sessions[c];
    if (!s) throw new Error(`pack ${this.info.name} has no ${c}`);
    return s;
  }

  async encodePrompt(prompts: readonly string[]): Promise<Tensor> {
    if (prompts.length === 0) throw new RangeError('encodePrompt needs at least one prompt');
    if (!this.tokenizer) {
      if (this.released) throw new Error(`pack ${this.info.name} was released`);
      return { data: new Float32Array(prompts.length * this.info.contextDim), shape: [prompts.length, 1, this.info.contextDim] };
    }
    const s = this.session('text_encoder');
    const L = this.info.textLength;
    const { ids } = this.tokenizer.encodeBatch(prompts, L);
    const out = await s.run({ input_ids: { data: ids, shape: [prompts.length, L] } }, ['last_hidden_state']);
    checkFinite('text_encoder', s, out.last_hidden_state.data);
    return out.last_hidden_state;
  }

  private unetFile(): string {
    if (this.released) throw new Error(`pack ${this.info.name} was released`);
    const file = this.layout.models.unet;
    if (!file) throw new Error(`pack ${this.info.name} has no unet`);
    return file;
  }

  async attentionMemory(): Promise<readonly MemoryLayer[]> {
    return (await this.memoryUnet.get()).layers;
  }

  async featureTaps(): Promise<readonly FeatureTap[]> {
    return (await this.featureUnet.get()).taps;
  }

  async unetFeatures(sample: Tensor, t: number, context: Tensor, extras: UNetExtras = {}): Promise<Tensor[]> {
    const m = await this.featureUnet.get();
    const out = await m.features(this.unetFeeds(sample, t, context, extras));
    for (const f of out) checkFinite('unet', this.session('unet'), f.data, [sample.data, context.data]);
    return out;
  }

  async unetFeatureGradient(sample: Tensor, t: number, context: Tensor, cotangents: readonly Tensor[], extras: UNetExtras = {}): Promise<Float32Array> {
    const m = await this.featureUnet.get();
    const g = await m.gradient(this.unetFeeds(sample, t, context, extras), cotangents);
    checkFinite('unet', this.session('unet'), g.data, [sample.data, context.data]);
    return g.data;
  }

  async unet(sample: Tensor, t: number, context: Tensor, extras: UNetExtras = {}, memory?: MemoryCall): Promise<Float32Array> {
    const s = this.session('unet');
    const feeds = this.unetFeeds(sample, t, context, extras);
    if (memory) {
      const m = await this.memoryUnet.get();
      const out = await m.run(feeds, memory);
      checkFinite('unet', m.session, out.data, [sample.data, context.data]);
      return out.data;
    }
    const out = await s.run(feeds, ['out_sample']);
    checkFinite('unet', s, out.out_sample.data, [sample.data, context.data]);
    return out.out_sample.data;
  }

  /** The UNet's feeds for one call, checked (see the module docstring for each input). */
  private unetFeeds(sample: Tensor, t: number, context: Tensor, extras: UNetExtras): Record<string, Feed> {
    const s = this.session('unet');
    if (sample.shape.length !== 4) throw new RangeError(`unet sample must be [B, C, h, w], got [${sample.shape.join(', ')}]`);
    const B = sample.shape[0];
    if (sample.shape[1] !== this.info.unetInChannels) {
      throw new RangeError(`unet takes ${this.info.unetInChannels}-channel samples, got [${sample.shape.join(', ')}]`);
    }
    if (context.shape[0] !== B) throw new RangeError(`unet context batch ${context.shape[0]} differs from the sample batch ${B}`);
    const feeds: Record<string, Feed> = {
      sample,
      timestep: timestepFeed(s, t, B),
      encoder_hidden_states: context,
    };
    if (this.layout.timestepCondDim !== undefined) {
      if (extras.guidanceScale === undefined) throw new RangeError('this LCM UNet takes timestep_cond: pass extras.guidanceScale');
      const w = new Array<number>(B).fill(extras.guidanceScale - 1);
      feeds.timestep_cond = { data: guidanceScaleEmbedding(w, this.layout.timestepCondDim), shape: [B, this.layout.timestepCondDim] };
    }
    if (this.layout.hasClassLabels) {
      if (extras.noiseLevel === undefined) throw new RangeError('this upscaler UNet takes class_labels: pass extras.noiseLevel');
      feeds.class_labels = { data: new Float32Array(B).fill(extras.noiseLevel), shape: [B] };
    }
    return feeds;
  }

  private async encodeImage(image: Tensor): Promise<Tensor> {
    const s = this.session('vae_encoder');
    const name = this.layout.vaeEncoderOutput ?? 'latent_sample';
    const out = (await s.run({ sample: image }, [name]))[name];
    let latent = out;
    if (name === 'latent_parameters') {
      // [B, 2C, h, w] = mean ‖ log-variance: keep the mean.
      const [B, C2, h, w] = out.shape;
      const C = C2 / 2;
      const data = new Float32Array(B * C * h * w);
      for (let b = 0; b < B; b++) data.set(out.data.subarray(b * C2 * h * w, (b * C2 + C) * h * w), b * C * h * w);
      latent = { data, shape: [B, C, h, w] };
    }
    checkFinite('vae_encoder', s, latent.data, [image.data]);
    const k = this.info.scalingFactor;
    for (let i = 0; i < latent.data.length; i++) latent.data[i] *= k;
    return latent;
  }

  private async decodeLatent(latent: Tensor): Promise<Tensor> {
    const s = this.session('vae_decoder');
    const k = this.info.scalingFactor;
    const scaled = new Float32Array(latent.data.length);
    for (let i = 0; i < scaled.length; i++) scaled[i] = latent.data[i] / k;
    const out = await s.run({ latent_sample: { data: scaled, shape: latent.shape } }, ['sample']);
    checkFinite('vae_decoder', s, out.sample.data, [scaled]);
    return out.sample;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.all([...Object.values(this.sessions).map((s) => s?.release()), this.memoryUnet.release(), this.featureUnet.release()]);
  }
}

/** The timestep as the UNet declares it: a scalar for shape [], else one value per batch element. */
function timestepFeed(s: ModelSession, t: number, B: number): Feed {
  const spec = s.input('timestep');
  if (spec && spec.shape.length === 0) return { data: [t], shape: [] };
  const d = spec?.shape[0];
  const n = typeof d === 'number' && d > 0 ? d : B;
  return { data: new Float32Array(n).fill(t), shape: [n] };
}

/**
 * Open the pack in `dir`: validate it (PackError on any problem), load the tokenizer and create
 * one session per component, each on the first execution provider that works.
 */
export async function openPack(dir: string, opts: OpenPackOptions = {}): Promise<LoadedPack> {
  const layout = await inspectLayout(dir);
  let tokenizer: PromptTokenizer | undefined;
  try {
    if (layout.info.hasTextEncoder) tokenizer = await loadTokenizer(layout.tokenizerDir);
  } catch (err) {
    if (err instanceof TokenizerFileError) {
      throw new PackError(
        'missing-tokenizer',
        `the tokenizer cannot be loaded: ${err.message.replace(layout.info.dir + '/', '')}`,
        "copy the tokenizer/ folder from the model's repository",
        'tokenizer/',
      );
    }
    throw err;
  }
  const sessions: Partial<Record<ComponentName, ModelSession>> = {};
  const providers: ProviderReport[] = [];
  try {
    for (const c of ['text_encoder', 'unet', 'vae_encoder', 'vae_decoder'] as const) {
      const file = layout.models[c];
      if (!file) continue;
      let s: ModelSession;
      try {
        s = await ModelSession.create(file, { label: c, provider: opts.provider, threads: opts.threads, env: opts.env });
      } catch (err) {
        const rel = file.slice(layout.info.dir.length + 1);
        throw new PackError(
          'invalid-model',
          `${rel} cannot be loaded by ONNX Runtime (${(err as Error).message})`,
          `re-export it (opset 14–25); ${EXPORT_HINT}`,
          rel,
        );
      }
      sessions[c] = s;
      providers.push({ component: c, provider: s.provider, skipped: s.skipped.map((k) => ({ ...k })) });
    }
  } catch (err) {
    await Promise.all(Object.values(sessions).map((s) => s?.release()));
    throw err;
  }
  return new Pack(layout.info, providers, layout, tokenizer, sessions, opts);
}
