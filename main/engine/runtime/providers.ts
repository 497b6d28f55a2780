/**
 * Execution-provider choice: an order per platform, an override (option or `DRIFTLINE_EP`), and
 * a session created with each candidate alone so the report says which provider it really runs
 * on — with, for every faster provider passed over, the reason.
 */
import * as ort from 'onnxruntime-node';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Provider names as onnxruntime-node spells them. */
export type ProviderName = 'tensorrt' | 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';

export const KNOWN_PROVIDERS: readonly ProviderName[] = ['tensorrt', 'cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

/** Fastest first. TensorRT is tried before CUDA on Linux (it builds engines, slow the first time). */
export function defaultProviderOrder(platform: NodeJS.Platform = process.platform): ProviderName[] {
  switch (platform) {
    case 'linux':
      return ['tensorrt', 'cuda', 'webgpu', 'cpu'];
    case 'win32':
      return ['dml', 'webgpu', 'cpu'];
    case 'darwin':
      return ['coreml', 'webgpu', 'cpu'];
    default:
      return ['cpu'];
  }
}

export interface ProviderChoice {
  /** Providers to try, in order. */
  order: string[];
  /** Where the order came from, for the report: 'default', 'option' or 'DRIFTLINE_EP'. */
  source: 'default' | 'option' | 'DRIFTLINE_EP';
}

/**
 * The order to try: the override when given (a name or a comma-separated list such as
 * "cuda,cpu"; the option wins over `DRIFTLINE_EP`), else the platform's default. CPU is appended
 * to an override that lacks it, so a failed GPU provider still yields a working (reported) session.
 */
export function resolveProviderOrder(opts: { provider?: string; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform } = {}): ProviderChoice {
  const env = opts.env ?? process.env;
  const raw = opts.provider ?? env.DRIFTLINE_EP;
  const source: ProviderChoice['source'] = opts.provider !== undefined ? 'option' : raw !== undefined ? 'DRIFTLINE_EP' : 'default';
  if (raw === undefined || raw.trim() === '' || raw.trim().toLowerCase() === 'auto') {
    return { order: defaultProviderOrder(opts.platform), source: 'default' };
  }
  const names = raw
    .split(',')
    .map((s) => normaliseProviderName(s))
    .filter((s) => s !== '');
  for (const n of names) {
    if (!(KNOWN_PROVIDERS as readonly string[]).includes(n)) {
      throw new Error(
        `unknown execution provider "${n}" (from ${source === 'option' ? 'the provider option' : 'DRIFTLINE_EP'}): ` +
          `use one of ${KNOWN_PROVIDERS.join(', ')}, a comma-separated list of them, or "auto"`,
      );
    }
  }
  const order = [...new Set(names)];
  if (!order.includes('cpu')) order.push('cpu');
  return { order, source };
}

/** Accepts ORT's long names too ("CUDAExecutionProvider", "DmlExecutionProvider", "directml"). */
export function normaliseProviderName(name: string): string {
  const n = name.trim().toLowerCase().replace(/executionprovider$/, '');
  if (n === 'directml') return 'dml';
  if (n === 'trt') return 'tensorrt';
  return n;
}

export interface BackendInfo {
  name: string;
  /** Its binaries ship inside the npm package (cuda/tensorrt need `ONNXRUNTIME_NODE_INSTALL=cuda12`). */
  bundled: boolean;
}

/** What this build of onnxruntime-node was compiled with. */
export function supportedBackends(): BackendInfo[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

export interface SessionConfig {
  /** intra-op threads (0 or undefined: ORT's default, one per physical core). */
  threads?: number;
  /** Graph optimisation level; 'all' by default. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Session options for one provider alone. CPU sessions do not spin their idle threads. */
export function sessionOptions(provider: string, config: SessionConfig = {}): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: config.optimization ?? 'all',
    logSeverityLevel: 3,
  };
  if (config.threads !== undefined && config.threads > 0) options.intraOpNumThreads = Math.floor(config.threads);
  if (provider === 'cpu') {
    // Spinning intra-op threads burn shared cores while they wait (measured: FACTS.md).
    options.extra = { session: { intra_op: { allow_spinning: '0' } } };
    // The memory pattern planned after the first run is allocated as one more block beside the
    // chunks the CPU arena already holds from that run: it doubled the peak (emoji-32's UNet at
    // 128², 2 rows: 558 MB extra on the first call, 1,124 MB from the second; 562 MB without it,
    // at the same speed).
    options.enableMemPattern = false;
  }
  return options;
}

export interface ProviderAttempt {
  provider: string;
  reason: string;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  provider: string;
  skipped: ProviderAttempt[];
}

/** Provider libraries that `ONNXRUNTIME_NODE_INSTALL=cuda12` adds beside the binding. */
const OPTIONAL_LIBRARY: Record<string, string> = { cuda: 'onnxruntime_providers_cuda', tensorrt: 'onnxruntime_providers_tensorrt' };

/**
 * Whether an optional GPU provider's library is installed beside onnxruntime-node's binding for
 * this platform; undefined when that cannot be told (unknown provider, unusual layout). Checking
 * first spares users ORT's "failed to load library" errors on every start of a CPU-only machine.
 */
export function providerLibraryInstalled(provider: string): boolean | undefined {
  const lib = OPTIONAL_LIBRARY[provider];
  if (!lib) return undefined;
  try {
    const root = path.join(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')), 'bin');
    const dirs = readdirSync(root).filter((d) => d.startsWith('napi-v')).map((d) => path.join(root, d, process.platform, process.arch)).filter(existsSync);
    if (dirs.length === 0) return undefined;
    return dirs.some((d) => readdirSync(d).some((f) => f.includes(lib)));
  } catch {
    return undefined;
  }
}

function installHint(provider: string, bundled: boolean): string {
  if (!bundled && (provider === 'cuda' || provider === 'tensorrt')) {
    return ' (install the CUDA 12 binaries: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node; they need CUDA 12 and cuDNN 9)';
  }
  if (provider === 'webgpu') return ' (needs a GPU with a Vulkan, Metal or D3D12 driver)';
  return '';
}

function firstLine(message: string): string {
  let line = message.split('\n').find((l) => l.trim() !== '') ?? message;
  // ORT prefixes source locations and assertion text; keep the part that says what failed.
  const failed = line.match(/Failed to [^\n]*/i);
  if (failed) line = failed[0];
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * Providers whose set-up itself failed in this process (a provider library that does not load, a
 * GPU adapter that is not there): not retried for every component, reported with the same reason.
 */
const unavailable = new Map<string, string>();
const SETUP_FAILURE = /failed to load (shared )?library|cannot open shared object|failed to get a webgpu adapter|no supported adapter/i;

/** Forget remembered provider failures (after installing GPU binaries, or in tests). */
export function resetProviderFailures(): void {
  unavailable.clear();
}

/**
 * Create a session for `model` with the first provider in `order` that works, each tried alone.
 * Providers this build lacks are skipped without trying. Throws, listing every reason, if none works.
 * `create` is injectable for tests.
 */
export async function createSessionWithFallback(
  model: string | Uint8Array,
  order: readonly string[],
  config: SessionConfig = {},
  deps: {
    backends?: () => BackendInfo[];
    create?: (model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;
    libraryInstalled?: (provider: string) => boolean | undefined;
  } = {},
): Promise<CreatedSession> {
  const backends = (deps.backends ?? supportedBackends)();
  const create =
    deps.create ??
    ((m: string | Uint8Array, o: ort.InferenceSession.SessionOptions) =>
      typeof m === 'string' ? ort.InferenceSession.create(m, o) : ort.InferenceSession.create(m, o));
  const skipped: ProviderAttempt[] = [];
  for (const provider of order) {
    const backend = backends.find((b) => b.name === provider);
    if (!backend) {
      skipped.push({
        provider,
        reason: `not in this build of onnxruntime-node (it has ${backends.map((b) => b.name).join(', ') || 'none'})`,
      });
      continue;
    }
    if (!backend.bundled && (deps.libraryInstalled ?? providerLibraryInstalled)(provider) === false) {
      skipped.push({ provider, reason: `its binaries are not installed${installHint(provider, false)}` });
      continue;
    }
    const known = deps.create ? undefined : unavailable.get(provider);
    if (known !== undefined) {
      skipped.push({ provider, reason: known });
      continue;
    }
    try {
      const session = await create(model, sessionOptions(provider, config));
      return { session, provider, skipped };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const reason = `failed to create: ${firstLine(message)}${installHint(provider, backend.bundled)}`;
      skipped.push({ provider, reason });
      if (!deps.create && SETUP_FAILURE.test(message)) unavailable.set(provider, reason);
    }
  }
  const reasons = skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ');
  throw new Error(`no execution provider could load the model (${reasons})`);
}
