/**
 * Exact region guidance's models of a pack, made by the VJP generator from the UNet's graph and
 * kept in the data folder (`onnx/vjp/cache.ts`; large weights in an external data file):
 *   features  the UNet pruned to DiffEditor's decoder block outputs (`onnx/surgery/features.ts`),
 *   gradient  their vector–Jacobian product with respect to `sample`: given cotangents ∂E/∂F_t,
 *             ∂E/∂sample = Σ_t (∂F_t/∂sample)ᵀ ∂E/∂F_t, in one reverse pass.
 * float16 UNets are differentiated in float32.
 */
import type { Tensor } from '../tensor.js';
import { ModelSession, type Feed } from '../runtime/session.js';
import { OnnxModel } from '../onnx/builder.js';
import { cachedVjpModel, type CachedVjp } from '../onnx/vjp/cache.js';
import { featureTaps, type FeatureTap } from '../onnx/surgery/features.js';

export interface FeatureUnetOptions {
  provider?: string;
  threads?: number;
  env?: NodeJS.ProcessEnv;
  /** The app's data folder, where the derived models are cached. */
  dataDir?: string;
}

export class FeatureUnet {
  /** The features model keeps the generator's cotangent inputs, unread: the smallest zeros their declared shapes allow. */
  private readonly unread: Record<string, Feed>;

  private constructor(
    private readonly featureSession: ModelSession,
    private readonly gradientSession: ModelSession,
    readonly taps: readonly FeatureTap[],
    private readonly cotangents: readonly string[],
    private readonly sampleGradient: string,
  ) {
    this.unread = Object.fromEntries(cotangents.map((n) => {
      const shape = (featureSession.input(n)?.shape ?? [1, 1, 1, 1]).map((d) => (typeof d === 'number' ? d : 1));
      return [n, { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape }];
    }));
  }

  static async open(file: string, opts: FeatureUnetOptions = {}): Promise<FeatureUnet> {
    const taps = featureTaps((await OnnxModel.load(file)).graph);
    const values = taps.map((t) => t.output);
    const features = await cachedVjpModel(file, { wrt: [], output: values }, { dataDir: opts.dataDir });
    const gradient = await cachedVjpModel(file, { wrt: ['sample'], output: values }, { dataDir: opts.dataDir });
    const session = { provider: opts.provider, threads: opts.threads, env: opts.env };
    const f = await ModelSession.create(features.file, { ...session, label: 'unet (decoder features)' });
    try {
      const g = await ModelSession.create(gradient.file, { ...session, label: 'unet (feature gradient)' });
      return new FeatureUnet(f, g, taps, cotangentNames(gradient, values), gradient.info.gradients.sample);
    } catch (e) {
      await f.release();
      throw e;
    }
  }

  /** The decoder features [B, C_t, h_t, w_t] of one call, per tap. */
  async features(feeds: Record<string, Feed>): Promise<Tensor[]> {
    const out = await this.featureSession.run({ ...feeds, ...this.unread }, this.taps.map((t) => t.output));
    return this.taps.map((t) => out[t.output]);
  }

  /** ∂/∂sample of Σ_t ⟨F_t, cotangents[t]⟩ for the same feeds. */
  async gradient(feeds: Record<string, Feed>, cotangents: readonly Tensor[]): Promise<Tensor> {
    if (cotangents.length !== this.taps.length) throw new RangeError(`${this.taps.length} feature cotangents needed, got ${cotangents.length}`);
    const all: Record<string, Feed> = { ...feeds };
    this.cotangents.forEach((n, i) => { all[n] = cotangents[i]; });
    return (await this.gradientSession.run(all, [this.sampleGradient]))[this.sampleGradient];
  }

  async release(): Promise<void> {
    await Promise.all([this.featureSession.release(), this.gradientSession.release()]);
  }
}

/** The gradient model's cotangent input for each value, in the values' order. */
function cotangentNames(m: CachedVjp, values: readonly string[]): string[] {
  return values.map((v) => {
    const name = m.info.cotangents[v];
    if (!name) throw new Error(`the generated gradient model takes no cotangent for ${v}`);
    return name;
  });
}
