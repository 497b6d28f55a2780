/**
 * The attention-memory UNet of a pack: the derived model of `onnx/surgery` (docs/attention-memory.md)
 * in its own session, and one call of it with a `MemoryCall` turned into the derived model's extra
 * feeds and outputs.
 *
 * Per layer i the model takes `self_attn_mode` [L] (0 off, 1 replace, 2 concatenate),
 * `self_attn_ref_k.i` / `self_attn_ref_v.i` [1, M_i, C_i] and `self_attn_ref_bias.i` [M_i], and
 * returns `self_attn_k.i` / `self_attn_v.i` [B, N_i, C_i]. Every added input must be fed on every
 * call: a layer that is not injected gets mode 0 and an empty reference ([1, 0, C_i], bias [0]).
 * Recorded keys and values keep every batch row; a reference is fed with one row per batch row, one
 * shared row, or — for a call without guidance — the conditional row of a two-row recording.
 */
import type { Tensor } from '../tensor.js';
import type { LayerInjection, LayerKV, MemoryCall } from '../samplers/common.js';
import { ModelSession, type Feed } from '../runtime/session.js';
import { attentionMemoryModel } from '../onnx/surgery/cache.js';
import { AttentionMemoryUnavailable, MODE, type MemoryLayer } from '../onnx/surgery/memory.js';

export interface MemoryUnetOptions {
  provider?: string;
  threads?: number;
  env?: NodeJS.ProcessEnv;
  /** The app's data folder, where derived models are cached (default: DRIFTLINE_HOME or the platform's). */
  dataDir?: string;
}

export class MemoryUnet {
  private constructor(readonly session: ModelSession, readonly layers: readonly MemoryLayer[], readonly modeInput: string) {}

  /** Derive (or take from the cache) the attention-memory model of the UNet at `file` and open it. */
  static async open(file: string, opts: MemoryUnetOptions = {}): Promise<MemoryUnet> {
    const derived = await attentionMemoryModel(file, { dataDir: opts.dataDir });
    const undeclared = derived.map.layers.find((l) => l.channels === null || l.valueChannels === null);
    if (undeclared) throw new AttentionMemoryUnavailable(`the key and value widths of ${undeclared.label} are not declared in the graph`);
    const session = await ModelSession.create(derived.file, { label: 'unet (attention memory)', provider: opts.provider, threads: opts.threads, env: opts.env });
    return new MemoryUnet(session, derived.map.layers, derived.map.modeInput);
  }

  /** Run the UNet with its usual feeds plus the memory call's; returns `out_sample` after handing recorded K, V to the sink. */
  async run(feeds: Record<string, Feed>, memory: MemoryCall): Promise<Tensor> {
    const L = this.layers.length;
    const modes = new Float32Array(L);
    const injected = new Map<number, LayerInjection>();
    for (const inj of memory.inject ?? []) {
      this.checkInjection(inj);
      injected.set(inj.layer, inj);
      modes[inj.layer] = inj.mode === 'replace' ? MODE.replace : MODE.concat;
    }
    const all: Record<string, Feed> = { ...feeds, [this.modeInput]: { data: modes, shape: [L] } };
    const batch = feeds.sample.shape[0];
    for (const l of this.layers) {
      const inj = injected.get(l.index);
      const ref = inj ? rowsFor(inj.reference, batch, l) : { k: new Float32Array(0), v: new Float32Array(0), rows: 1 };
      const M = inj?.reference.tokens ?? 0;
      all[l.inputs.k] = { data: ref.k, shape: [ref.rows, M, l.channels!] };
      all[l.inputs.v] = { data: ref.v, shape: [ref.rows, M, l.valueChannels!] };
      all[l.inputs.bias] = { data: inj?.bias ?? new Float32Array(0), shape: [M] };
    }
    const recorded = (memory.record?.layers ?? []).map((i) => this.layer(i));
    const out = await this.session.run(all, ['out_sample', ...recorded.flatMap((l) => [l.outputs.k, l.outputs.v])]);
    for (const l of recorded) {
      const k = out[l.outputs.k], v = out[l.outputs.v];
      memory.record!.sink(l.index, { k: k.data, v: v.data, tokens: k.shape[1], rows: k.shape[0] });
    }
    return out.out_sample;
  }

  private layer(i: number): MemoryLayer {
    const l = this.layers[i];
    if (!l) throw new RangeError(`attention-memory layer ${i} does not exist (the model has ${this.layers.length})`);
    return l;
  }

  private checkInjection(inj: LayerInjection): void {
    const l = this.layer(inj.layer);
    const { k, v, tokens } = inj.reference;
    const rows = inj.reference.rows ?? 1;
    if (k.length !== rows * tokens * l.channels! || v.length !== rows * tokens * l.valueChannels!) {
      throw new RangeError(`attention memory for ${l.label}: ${rows} × ${tokens} reference tokens need ${rows * tokens * l.channels!} key and ${rows * tokens * l.valueChannels!} value numbers, got ${k.length} and ${v.length}`);
    }
    if (inj.bias.length !== tokens) throw new RangeError(`attention memory for ${l.label}: the bias has ${inj.bias.length} values for ${tokens} reference tokens`);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** The reference rows a call of `batch` rows takes (see `LayerInjection`): all of them, the shared one, or the conditional (last) one. */
function rowsFor(ref: LayerKV, batch: number, l: MemoryLayer): { k: Float32Array; v: Float32Array; rows: number } {
  const rows = ref.rows ?? 1;
  if (rows === batch || rows === 1) return { k: ref.k, v: ref.v, rows };
  if (batch === 1) {
    const per = ref.tokens * l.channels!, perV = ref.tokens * l.valueChannels!;
    return { k: ref.k.subarray((rows - 1) * per), v: ref.v.subarray((rows - 1) * perV), rows: 1 };
  }
  throw new RangeError(`attention memory for ${l.label}: a reference of ${rows} rows cannot serve a call of ${batch}`);
}
