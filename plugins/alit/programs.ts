/**
 * ALIT's host programs over its per-iteration graphs (model.ts):
 *
 * - `encode` at a budget of 32·k tokens runs iterations 0…k−1 only, with
 *   upstream's dynamic halting between them, and returns iteration k−1's ids.
 * - `encodeAdaptive`: per image, the first iteration whose mean L1 against the
 *   input (in [0, 1]) is below the threshold; images that are decided leave the
 *   batch, so later iterations run on the rest only, and the loop stops when all
 *   are decided (else each image keeps its lowest-L1 iteration). With the family
 *   option `perBatch`, upstream's rule: one length for the batch, the first
 *   iteration whose batch-mean L1 is below the threshold, else the lowest.
 * - `decode` groups items by length and runs `decode_<L>` then `pixels`.
 *
 * Halting (`halting` option): `sample` (upstream, also at evaluation: drop an
 * image token with probability p where p ≥ the threshold, the uniform draws
 * made on the host from the tokenizer's seeded generator or given as the input
 * `halting_u` (B, iterations, N)), `threshold` (drop wherever p ≥ it) or `off`.
 * @module
 */
import type { EncodeOptions, ProgramContext, Programs } from "../../core/plugin.ts";
import type { Tensor } from "../../core/tensor.ts";
import { concatBatch, sliceBatch, type Tokens } from "../../core/tokens.ts";
import { UsageError } from "../../core/errors.ts";
import { l1PerItem } from "../../core/metrics/l1.ts";
import { type AlitConfig, alitDims } from "./config.ts";

/** What the programs need to know of a config. */
interface AlitShape {
  iters: number;
  t: number;
  n: number;
  vae: boolean;
  haltingThreshold: number;
  haltingDefault: "sample" | "off";
}

function shapeOf(ctx: ProgramContext): AlitShape {
  const c = ctx.config as AlitConfig;
  const d = alitDims(c);
  return {
    iters: d.iters,
    t: d.t,
    n: d.n,
    vae: d.vae,
    haltingThreshold: c.alit.dynamic_halting_threshold,
    haltingDefault: c.alit.dynamic_halting && !d.vae ? "sample" : "off",
  };
}

/** Rows `idx` of a batch tensor. */
function rows(t: Tensor, idx: number[]): Tensor {
  return concatBatch(idx.map((i) => sliceBatch(t, i, i + 1)));
}

/** One rollout of the recurrent encoder over a batch, iteration by iteration, on a shrinking row set. */
class Rollout {
  private x?: Tensor;
  private gt?: Tensor;
  /** Original row of each current row. */
  active: number[];
  private readonly mode: "sample" | "threshold" | "off";

  constructor(
    private readonly ctx: ProgramContext,
    private readonly images: Tensor,
    private readonly o: EncodeOptions,
    private readonly s: AlitShape,
  ) {
    this.active = Array.from({ length: images.shape[0] }, (_, i) => i);
    const mode = (o.params?.halting as string | undefined) ?? s.haltingDefault;
    if (!["sample", "threshold", "off"].includes(mode)) {
      throw new UsageError(`--halting ${mode}: expected off, threshold or sample`);
    }
    this.mode = mode as Rollout["mode"];
  }

  /** Runs iteration i on the active rows; returns its outputs (rows in `active` order). */
  async step(i: number): Promise<Record<string, Tensor>> {
    let r: Record<string, Tensor>;
    if (i === 0) {
      const feeds: Record<string, Tensor> = { image: this.images };
      if (this.s.vae) {
        const noise = this.ctx.inputs("iter_0").find((v) => v.name === "noise")!;
        feeds.noise = this.o.inputs?.noise ??
          this.ctx.normal([this.images.shape[0], ...(noise.shape.slice(1) as number[])]);
      }
      r = await this.ctx.run("iter_0", feeds);
      this.gt = r.gt;
    } else {
      const feeds: Record<string, Tensor> = { x_prev: this.x! };
      if (!this.s.vae) Object.assign(feeds, { gt: this.gt!, drop: this.drop(i - 1, this.lastP!) });
      r = await this.ctx.run(`iter_${i}`, feeds);
    }
    this.x = r.x;
    this.lastP = r.p;
    return r;
  }

  private lastP?: Tensor;

  /** The halting mask after iteration i, for the active rows. Draws cover the whole batch (stable rows). */
  private drop(i: number, p: Tensor): Tensor {
    const n = this.s.n;
    const out = new Float32Array(this.active.length * n);
    if (this.mode === "off") return { dtype: "float32", shape: [this.active.length, n], data: out };
    let u: Float32Array | undefined;
    if (this.mode === "sample") {
      const given = this.o.inputs?.halting_u;
      if (given) {
        const b = this.images.shape[0];
        if (given.shape.join() !== [b, this.s.iters, n].join()) {
          throw new UsageError(`halting_u: expected (${b},${this.s.iters},${n}), got (${given.shape})`);
        }
        u = new Float32Array(b * n);
        for (let r = 0; r < b; r++) {
          u.set(
            (given.data as Float32Array).subarray((r * this.s.iters + i) * n, (r * this.s.iters + i + 1) * n),
            r * n,
          );
        }
      } else u = this.ctx.uniform([this.images.shape[0], n]).data;
    }
    const pd = p.data as Float32Array, thr = this.s.haltingThreshold;
    this.active.forEach((row, k) => {
      for (let j = 0; j < n; j++) {
        const pj = pd[k * n + j];
        out[k * n + j] = pj >= thr && (!u || u[row * n + j] < pj) ? 1 : 0;
      }
    });
    return { dtype: "float32", shape: [this.active.length, n], data: out };
  }

  /** Keeps only the rows at positions `keep` of the active set. */
  narrow(keep: number[]): void {
    this.active = keep.map((k) => this.active[k]);
    this.x = rows(this.x!, keep);
    if (this.gt) this.gt = rows(this.gt, keep);
    if (this.lastP) this.lastP = rows(this.lastP, keep);
  }
}

function iterationsFor(o: EncodeOptions, s: AlitShape): number {
  const budget = o.budget ?? s.iters * s.t;
  if (budget % s.t || budget < s.t || budget > s.iters * s.t) {
    throw new UsageError(`--budget ${budget}: ALIT encodes ${s.t}·k tokens, k = 1…${s.iters}`);
  }
  return budget / s.t;
}

async function encodeAt(ctx: ProgramContext, images: Tensor, o: EncodeOptions) {
  const s = shapeOf(ctx);
  const k = iterationsFor(o, s);
  const roll = new Rollout(ctx, images, o, s);
  let r: Record<string, Tensor> = {};
  for (let i = 0; i < k; i++) r = await roll.step(i);
  const tokens: Tokens = {
    tokens: r.tokens,
    lengths: new Array(images.shape[0]).fill(k * s.t),
    latent: r.latent,
  };
  return { tokens, code: r.code };
}

async function adaptive(ctx: ProgramContext, images: Tensor, o: EncodeOptions): Promise<Tokens> {
  const s = shapeOf(ctx);
  const threshold = o.threshold ?? 0.07;
  const perBatch = !!o.params?.perBatch;
  const b = images.shape[0], width = s.iters * s.t;
  const best: { l1: number; iter: number; ids: BigInt64Array }[] = Array.from(
    { length: b },
    () => ({ l1: Infinity, iter: -1, ids: new BigInt64Array(0) }),
  );
  const batchL1: number[] = [];
  const idsAt: BigInt64Array[][] = [];
  const roll = new Rollout(ctx, images, o, s);
  for (let i = 0; i < s.iters; i++) {
    const r = await roll.step(i);
    const rec = (await ctx.run("pixels", { code: r.code })).image;
    const l1 = l1PerItem(rows(images, roll.active), rec);
    const ids = r.tokens.data as BigInt64Array, l = r.tokens.shape[2];
    const rowIds = roll.active.map((_, k) => ids.slice(k * l, (k + 1) * l));
    if (perBatch) {
      // Upstream's rule: the batch's mean L1 over all its pixels (items are equal-sized).
      batchL1.push(l1.reduce((a, v) => a + v, 0) / l1.length);
      idsAt.push(rowIds);
      if (batchL1[i] < threshold) break;
      continue;
    }
    const keep: number[] = [];
    roll.active.forEach((row, k) => {
      if (l1[k] < best[row].l1) best[row] = { l1: l1[k], iter: i, ids: rowIds[k] };
      if (!(l1[k] < threshold)) keep.push(k);
    });
    if (!keep.length || i === s.iters - 1) break;
    if (keep.length < roll.active.length) roll.narrow(keep);
  }
  if (perBatch) {
    const last = batchL1.length - 1;
    const pick = batchL1[last] < threshold ? last : batchL1.indexOf(Math.min(...batchL1));
    idsAt[pick].forEach((ids, row) => (best[row] = { l1: 0, iter: pick, ids }));
  }
  const data = new BigInt64Array(b * width).fill(-1n);
  best.forEach((r, row) => data.set(r.ids, row * width));
  return {
    tokens: { dtype: "int64", shape: [b, 1, width], data },
    lengths: best.map((r) => (r.iter + 1) * s.t),
  };
}

/** Decodes each item at its own length. */
async function decodeByLength(ctx: ProgramContext, t: Tokens): Promise<Tensor> {
  const s = shapeOf(ctx);
  const width = t.tokens.shape[2];
  const lengths = t.lengths ?? new Array(t.tokens.shape[0]).fill(width);
  const parts = new Map<number, Tensor>();
  for (const l of new Set(lengths)) {
    if (l % s.t || l < s.t || l > Math.min(width, s.iters * s.t)) {
      throw new UsageError(
        `tokens: length ${l} is not ${s.t}·k (k = 1…${s.iters}) within the row width ${width}`,
      );
    }
    const idx = lengths.flatMap((x, i) => (x === l ? [i] : []));
    const src = rows(t.tokens, idx).data as BigInt64Array;
    const ids = new BigInt64Array(idx.length * l);
    for (let r = 0; r < idx.length; r++) ids.set(src.subarray(r * width, r * width + l), r * l);
    if (ids.some((v) => v < 0n)) {
      throw new UsageError(`tokens: an item of length ${l} holds −1 within its length`);
    }
    const code =
      (await ctx.run(`decode_${l}`, { tokens: { dtype: "int64", shape: [idx.length, 1, l], data: ids } }))
        .code;
    const img = (await ctx.run("pixels", { code })).image;
    idx.forEach((i, k) => parts.set(i, sliceBatch(img, k, k + 1)));
  }
  return concatBatch(lengths.map((_, i) => parts.get(i)!));
}

/** iter_0 … iter_{I−1}. */
function iterGraphs(c: AlitConfig): string[] {
  return Array.from({ length: alitDims(c).iters }, (_, i) => `iter_${i}`);
}

/** ALIT's programs. */
export const alitPrograms: Programs = {
  encode: {
    graphs: (c) => iterGraphs(c as AlitConfig),
    description: "iter_0(image) → x, gt, p; then iter_i(x_prev = x, drop from p, gt) up to the budget's " +
      "iteration k−1; its tokens (B,1,32k)",
    async run(ctx, images, o) {
      return (await encodeAt(ctx, images, o)).tokens;
    },
  },
  encodeAdaptive: {
    graphs: (c) => ["iter_0", "pixels", ...iterGraphs(c as AlitConfig).slice(1)],
    description: "per iteration: iter_i, then pixels(code) for the undecided images; an image is decided " +
      "when mean |reconstruction − image| < threshold; tokens padded with −1 to 256, lengths per image",
    run: adaptive,
  },
  reconstruct: {
    graphs: (c) => [...iterGraphs(c as AlitConfig), "pixels"],
    description: "encode at the budget, then pixels(code) of the last iteration run",
    async run(ctx, images, o) {
      const r = await encodeAt(ctx, images, o);
      return { tokens: r.tokens, images: (await ctx.run("pixels", { code: r.code })).image };
    },
  },
  decode: {
    graphs: (c) => {
      const d = alitDims(c as AlitConfig);
      return [...Array.from({ length: d.iters }, (_, k) => `decode_${(k + 1) * d.t}`), "pixels"];
    },
    description: "items grouped by length L: decode_L(ids) → code; pixels(code) → image",
    run: decodeByLength,
  },
};
