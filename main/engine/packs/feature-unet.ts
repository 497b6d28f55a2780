/**
 * Exact region guidance's models of a pack (`onnx/surgery/feature-guidance.ts`) in two sessions:
 * the UNet's decoder features for a state, and the gradient of Σ_t ⟨F_t, ∂E/∂F_t⟩ with respect to
 * the UNet's `sample` — the vector–Jacobian product that carries DiffEditor's feature energies
 * back to the noisy state.
 */
import type { Tensor } from '../tensor.js';
import { ModelSession, type Feed } from '../runtime/session.js';
import { cotangentOf, featureGuidanceModels } from '../onnx/surgery/feature-guidance.js';
import type { FeatureTap } from '../onnx/surgery/features.js';

export interface FeatureUnetOptions {
  provider?: string;
  threads?: number;
  env?: NodeJS.ProcessEnv;
}

export class FeatureUnet {
  private constructor(
    private readonly featureSession: ModelSession,
    private readonly gradientSession: ModelSession,
    readonly taps: readonly FeatureTap[],
    private readonly names: { dotCotangent: string; sampleGradient: string },
  ) {}

  static async open(file: string, opts: FeatureUnetOptions = {}): Promise<FeatureUnet> {
    const m = await featureGuidanceModels(file);
    const session = { provider: opts.provider, threads: opts.threads, env: opts.env };
    const features = await ModelSession.create(await m.features.toBytes(), { ...session, label: 'unet (decoder features)' });
    try {
      const gradient = await ModelSession.create(await m.gradient.toBytes(), { ...session, label: 'unet (feature gradient)' });
      return new FeatureUnet(features, gradient, m.taps, { dotCotangent: m.dotCotangent, sampleGradient: m.sampleGradient });
    } catch (e) {
      await features.release();
      throw e;
    }
  }

  /** The decoder features [B, C_t, h_t, w_t] of one call, per tap. */
  async features(feeds: Record<string, Feed>): Promise<Tensor[]> {
    const out = await this.featureSession.run(feeds, this.taps.map((t) => t.output));
    return this.taps.map((t) => out[t.output]);
  }

  /** ∂/∂sample of Σ_t ⟨F_t, cotangents[t]⟩ for the same feeds. */
  async gradient(feeds: Record<string, Feed>, cotangents: readonly Tensor[]): Promise<Tensor> {
    if (cotangents.length !== this.taps.length) throw new RangeError(`${this.taps.length} feature cotangents needed, got ${cotangents.length}`);
    const all: Record<string, Feed> = { ...feeds, [this.names.dotCotangent]: { data: [1], shape: [] } };
    this.taps.forEach((t, i) => { all[cotangentOf(t)] = cotangents[i]; });
    return (await this.gradientSession.run(all, [this.names.sampleGradient]))[this.names.sampleGradient];
  }

  async release(): Promise<void> {
    await Promise.all([this.featureSession.release(), this.gradientSession.release()]);
  }
}
