/**
 * PNDM and PLMS (Liu, Ren, Lin & Zhao 2022, "Pseudo Numerical Methods for Diffusion Models on
 * Manifolds"): classical multistep / Runge–Kutta combinations of the noise prediction ε, each
 * applied through the DDIM transfer φ (eq. 9) instead of a plain Euler step.
 *
 * In the σ view φ is linear: with ε̂ = (x − D(x, σ))/σ,
 *   φ(x, ε, σ → σ′) = x + (σ′ − σ)·ε,
 * which is diffusers' `_get_prev_sample` (√(ᾱ′/ᾱ)·x_t − (ᾱ′ − ᾱ)·ε/(ᾱ√(1−ᾱ′) + √(ᾱ(1−ᾱ)ᾱ′))
 * equals DDIM's √ᾱ′·x̂₀ + √(1−ᾱ′)·ε) divided by √ᾱ′. A final σ′ = 0 (diffusers'
 * `set_alpha_to_one = True`, ᾱ′ = 1) or σ′ = σ_train(0) (`set_alpha_to_one = False`, ᾱ′ = ᾱ₀) is just
 * the last entry of the grid; φ never divides by σ′.
 *
 * PLMS (eq. 12) combines ε's with the constant Adams–Bashforth weights
 *   ε′ = (55εᵢ − 59εᵢ₋₁ + 37εᵢ₋₂ − 9εᵢ₋₃)/24,
 * which assume steps equally spaced in the model's time. The method is therefore 4th order only
 * when the grid is uniform in σ; on any other smooth grid (uniform in t or λ) the weights miss the
 * σ-spacing at O(h²) per step and PLMS converges at 2nd order (see the tests).
 */
import { lin } from '../tensor.js';
import type { Denoiser, SamplerOptions, Vec } from './common.js';
import { afterStep, checkCancelled, checkSigmas, isGiantStep } from './common.js';

export interface PndmOptions extends SamplerOptions {
  /**
   * How the first steps are taken, before four ε's are known.
   * - `'heun'` (default): PLMS as CompVis' `PLMSSampler` and diffusers' `PNDMScheduler` with
   *   `skip_prk_steps = True` run it. Step 0 is the pseudo improved Euler step: ε₀ at σ₀,
   *   ε₀′ at φ(x₀, ε₀, σ₀ → σ₁), then x₁ = φ(x₀, (ε₀ + ε₀′)/2, σ₀ → σ₁) (2 evaluations; ε₀′ is not
   *   kept). Steps 1 and 2 use the 2- and 3-step weights (3εᵢ − εᵢ₋₁)/2 and
   *   (23εᵢ − 16εᵢ₋₁ + 5εᵢ₋₂)/12.
   * - `'prk'`: PNDM proper (diffusers `skip_prk_steps = False`): steps 0–2 are pseudo Runge–Kutta
   *   (classical RK4 weights through φ, 4 evaluations each), keeping the first-stage ε of each; AB4 from step 3.
   * - `'lower-order'`: the 1-, 2-, 3-step weights on steps 0, 1, 2 (one evaluation per step).
   * A step to σ = 0 never evaluates the model there: it uses the plain transfer of the ε's it has.
   * A one-step grid is a single plain transfer, as in diffusers (whose list has no repeat then).
   */
  warmup?: 'heun' | 'prk' | 'lower-order';
  /**
   * Noise level of the PRK half step for σ → σ′, default (σ + σ′)/2, which makes PRK classical RK4
   * in σ. diffusers evaluates at the timestep t − ⌊⌊N/n⌋/2⌋ (N training, n inference steps); map
   * that with a schedule: σ ↦ schedule.sigma(round(schedule.t(σ)) − ⌊⌊N/n⌋/2⌋).
   */
  prkMidSigma?: (sigma: number, sigmaNext: number) => number;
}

/** Adams–Bashforth weights for 1 … 4 stored ε's, newest first. */
const AB = [[1], [3 / 2, -1 / 2], [23 / 12, -16 / 12, 5 / 12], [55 / 24, -59 / 24, 37 / 24, -9 / 24]];

/**
 * PLMS / PNDM sampler: per step σᵢ → σᵢ₊₁, εᵢ = ε̂(xᵢ, σᵢ), ε′ = the warm-up or AB4 combination, and
 * xᵢ₊₁ = xᵢ + (σᵢ₊₁ − σᵢ)·ε′.
 *
 * diffusers' PLMS timesteps list the second timestep twice ([981, 961, 961, 941, …]): the repeat is
 * the second evaluation of the `'heun'` step 0, so the σ grid for this sampler lists it once
 * ([σ(981), σ(961), σ(941), …, σ_final]); evaluations and results then match diffusers step for step.
 *
 * Departure (stability guard): a giant step (σᵢ/σᵢ₊₁ > `GIANT_STEP_RATIO`) is the plain transfer of
 * εᵢ alone, and the method starts afresh after it — its history is dropped and the warm-up runs again
 * from σᵢ₊₁ (same evaluation count). A Heun or Runge–Kutta warm-up over such a step multiplies the
 * change of D across it by about σᵢ/(2σᵢ₊₁), and equal-step Adams–Bashforth weights would reach
 * back over it; the plain transfer is exact for a constant ε.
 */
export async function samplePndm(model: Denoiser, x: Vec, sigmas: ArrayLike<number>, opts: PndmOptions = {}): Promise<Vec> {
  checkSigmas(sigmas);
  const { warmup = 'heun', prkMidSigma = (s: number, t: number) => (s + t) / 2 } = opts;
  const eps = async (y: Vec, s: number) => lin(1 / s, y, -1 / s, await model(y, s));
  const history: Vec[] = []; // newest first, at most 4
  let start = 0; // the step the current history began at (0, or the step after a giant step)
  for (let i = 0; i + 1 < sigmas.length; i++) {
    checkCancelled(opts.signal);
    const sigma = sigmas[i], next = sigmas[i + 1], h = next - sigma;
    const denoised = await model(x, sigma);
    const e = lin(1 / sigma, x, -1 / sigma, denoised);
    history.unshift(e);
    if (history.length > 4) history.pop();
    const since = i - start; // steps since the history began
    let ePrime: Vec;
    if (isGiantStep(sigma, next)) {
      ePrime = e;
      history.length = 0;
      start = i + 1;
    } else if (since === 0 && warmup === 'heun' && next > 0 && sigmas.length - start > 2) {
      ePrime = lin(0.5, e, 0.5, await eps(lin(1, x, h, e), next));
    } else if (since < 3 && warmup === 'prk' && next > 0) {
      const mid = prkMidSigma(sigma, next);
      const k2 = await eps(lin(1, x, mid - sigma, e), mid);
      const k3 = await eps(lin(1, x, mid - sigma, k2), mid);
      const k4 = await eps(lin(1, x, h, k3), next);
      ePrime = lin(1 / 6, e, 1 / 3, k2, 1 / 3, k3, 1 / 6, k4);
    } else {
      const w = AB[history.length - 1];
      ePrime = lin(w[0], e, ...w.slice(1).flatMap((wj, j) => [wj, history[j + 1]]));
    }
    x = lin(1, x, h, ePrime);
    x = await afterStep(opts, { i, x, denoised, t: sigma, tNext: next });
  }
  return x;
}
