/**
 * ElasticTok's host programs. An item (an image = one block of its frame
 * repeated `frames_per_block` times, as upstream; or a video of whole blocks)
 * runs block after block with KV caches, in chunks of `max_blocks_per_chunk`
 * blocks (config, default 4; `--max-blocks-per-chunk` for an encode), each
 * chunk with fresh caches and positions from 0, as upstream's
 * `scripts/inference.py` splits long videos.
 *
 * - `encode`: n kept tokens in every block: `--budget` (per item, one of
 *   `info.budgets`), else `--tokens-per-block`, else all.
 * - `encodeAdaptive`: per block, the kept count chosen by a search
 *   (search.ts; `--search binary|linear`, `--upstream-search` for upstream's
 *   binary result and its mask of n+1 positions) on the block MSE in [−1, 1]
 *   of the clipped reconstruction against `threshold` (default 0.003); each
 *   probe runs encoder and decoder on the block against the caches of the
 *   earlier blocks; the chosen count then writes the caches.
 * - `decode`: the block decoder per block with its cache, chunked as the
 *   tokens were (`Tokens.encoding.maxBlocksPerChunk`, which tokens.json
 *   records with the search and threshold); images come back as the mean of
 *   the block's frames.
 * @module
 */
import { UsageError } from "../../core/errors.ts";
import type { EncodeOptions, ProgramContext, Programs } from "../../core/plugin.ts";
import { type Tensor, zeros } from "../../core/tensor.ts";
import type { Tokens } from "../../core/tokens.ts";
import { type ElasticConfig, type ElasticDims, elasticDims } from "./config.ts";
import { bisection, type CountSearch, linearScan, upstreamBisection } from "./search.ts";
import { ELASTIC_GRAPHS as G } from "./model.ts";

/** Default MSE threshold of the adaptive encode (upstream's `--threshold`). */
export const DEFAULT_THRESHOLD = 0.003;

type Feeds = Record<string, Tensor>;

/** What the programs need of a config. */
export interface ProgramSizes {
  d: ElasticDims;
  c: ElasticConfig;
}

function blocksOf(x: Tensor, d: ElasticDims): { b: number; nb: number; block(j: number): Tensor<"float32"> } {
  const b = x.shape[0];
  const data = x.data as Float32Array;
  const frame = 3 * d.size * d.size;
  const image = x.shape.length === 4;
  const nb = image ? 1 : x.shape[1] / d.frames;
  const per = image ? frame : x.shape[1] * frame;
  return {
    b,
    nb,
    block(j) {
      const out = new Float32Array(b * d.frames * frame);
      for (let i = 0; i < b; i++) {
        for (let f = 0; f < d.frames; f++) {
          const src = image ? i * per : i * per + (j * d.frames + f) * frame;
          out.set(data.subarray(src, src + frame), (i * d.frames + f) * frame);
        }
      }
      return { dtype: "float32", shape: [b, d.frames, 3, d.size, d.size], data: out };
    },
  };
}

function emptyCache(c: ElasticConfig, layers: number, b: number, d: ElasticDims): Feeds {
  const out: Feeds = {};
  for (let i = 0; i < layers; i++) {
    out[`past_key_${i}`] = zeros("float32", [b, c.num_attention_heads, 0, d.headDim]);
    out[`past_value_${i}`] = zeros("float32", [b, c.num_attention_heads, 0, d.headDim]);
  }
  return out;
}

function presents(r: Feeds): Feeds {
  const out: Feeds = {};
  for (const [k, v] of Object.entries(r)) {
    if (k.startsWith("present_")) out[k.replace("present_", "past_")] = v;
  }
  return out;
}

const positions = (j: number, k: number): Tensor => ({
  dtype: "int64",
  shape: [k],
  data: BigInt64Array.from({ length: k }, (_, i) => BigInt(j * k + i)),
});
const counts = (n: number[]): Tensor => ({
  dtype: "int64",
  shape: [n.length],
  data: BigInt64Array.from(n, BigInt),
});

/** Chunks of block indices, each at most `per` long. */
function chunks(nb: number, per: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < nb; s += per) out.push(Array.from({ length: Math.min(per, nb - s) }, (_, i) => s + i));
  return out;
}

function chunkSize(d: ElasticDims, raw: unknown, what = "--max-blocks-per-chunk"): number {
  if (raw === undefined) return d.chunk;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > d.maxBlocks) {
    throw new UsageError(
      `${what}: expected 1…${d.maxBlocks} (max_sequence_length / max_toks), got '${raw}'`,
    );
  }
  return n;
}

/** The settings tokens.json records (Tokens.encoding); decode reads `maxBlocksPerChunk` back. */
function encodingRecord(chunk: number, o: EncodeOptions, adaptive: boolean, fixed?: number) {
  if (!adaptive) return { maxBlocksPerChunk: chunk, tokensPerBlock: fixed };
  const search = String(o.params?.search ?? "binary");
  return {
    maxBlocksPerChunk: chunk,
    search: o.params?.upstreamSearch && search === "binary" ? "upstream-binary" : search,
    threshold: o.threshold ?? DEFAULT_THRESHOLD,
  };
}

/** Per-item token arrays of blocks, joined into the family's layout (B,1,nb·K[,C]). */
function joinBlocks(parts: Tensor[], b: number, d: ElasticDims): Tensor {
  const per = parts[0].data.length / b;
  const nb = parts.length;
  const Ctor = d.fsq ? BigInt64Array : Float32Array;
  const out = new Ctor(b * per * nb);
  parts.forEach((p, j) => {
    for (let i = 0; i < b; i++) {
      (out as Float32Array).set(
        (p.data as Float32Array).subarray(i * per, (i + 1) * per),
        (i * nb + j) * per,
      );
    }
  });
  const shape = d.fsq ? [b, 1, nb * d.tokens] : [b, 1, nb * d.tokens, d.code];
  return { dtype: d.fsq ? "int64" : "float32", shape, data: out } as Tensor;
}

/** Block j of every item of a token tensor (B,1,nb·K[,C]). */
function tokenBlock(t: Tensor, j: number, nb: number, d: ElasticDims): Tensor {
  const b = t.shape[0];
  const per = t.data.length / b / nb;
  const Ctor = t.data.constructor as new (n: number) => Float32Array;
  const out = new Ctor(b * per);
  for (let i = 0; i < b; i++) {
    out.set((t.data as Float32Array).subarray((i * nb + j) * per, (i * nb + j + 1) * per), i * per);
  }
  const shape = d.fsq ? [b, 1, d.tokens] : [b, 1, d.tokens, d.code];
  return { dtype: t.dtype, shape, data: out } as Tensor;
}

/** Block MSE per item in [−1, 1] of the clipped reconstruction: 4·mean((clip(y,0,1) − x)²). */
export function blockMse(recon: Tensor, input: Tensor): number[] {
  const b = input.shape[0];
  const per = input.data.length / b;
  const [y, x] = [recon.data as Float32Array, input.data as Float32Array];
  return Array.from({ length: b }, (_, i) => {
    let s = 0;
    for (let k = i * per; k < (i + 1) * per; k++) {
      const v = Math.min(1, Math.max(0, y[k])) - x[k];
      s += v * v;
    }
    return (4 * s) / per;
  });
}

function fixedCount(d: ElasticDims, nb: number, o: EncodeOptions): number {
  if (o.budget !== undefined) return o.budget / nb;
  const raw = o.params?.tokensPerBlock;
  if (raw === undefined) return d.tokens;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > d.tokens) {
    throw new UsageError(`--tokens-per-block: expected 1…${d.tokens}, got '${raw}'`);
  }
  return n;
}

function newSearch(s: ProgramSizes, o: EncodeOptions): CountSearch {
  const { c, d } = s;
  const threshold = o.threshold ?? DEFAULT_THRESHOLD;
  const alg = String(o.params?.search ?? "binary");
  if (alg === "linear") return linearScan(c.min_toks, d.tokens, threshold, d.tokens);
  if (alg !== "binary") throw new UsageError(`--search: expected binary or linear, got '${alg}'`);
  return (o.params?.upstreamSearch ? upstreamBisection : bisection)(
    c.min_toks,
    d.tokens,
    threshold,
    d.tokens,
  );
}

/** Encoder then decoder on one block against the caches. */
async function probe(
  ctx: ProgramContext,
  video: Tensor,
  kept: number[],
  j: number,
  d: ElasticDims,
  enc: Feeds,
  dec: Feeds,
) {
  const pos = positions(j, d.tokens);
  const e = await ctx.run(G.encoder, { video, kept_count: counts(kept), positions: pos, ...enc });
  const r = await ctx.run(G.decoder, { tokens: e.tokens, kept_count: counts(kept), positions: pos, ...dec });
  return { kept, tokens: e.tokens, mse: blockMse(r.video, video), enc: presents(e), dec: presents(r) };
}

/** The config's sizes (ProgramContext.config is what the schema returned). */
function sizes(config: unknown): ProgramSizes {
  const c = config as ElasticConfig;
  return { c, d: elasticDims(c) };
}

/** The family's programs. */
export function elasticPrograms(): Programs {
  const encode: Programs["encode"] = {
    graphs: [G.encoder],
    description:
      `per chunk of blocks, fresh caches; per block ${G.encoder}(video block, kept_count, positions, past_*) → tokens, present_* (the next block's past_*)`,
    async run(ctx, x, o) {
      const { c, d } = sizes(ctx.config);
      const { b, nb, block } = blocksOf(x, d);
      const n = fixedCount(d, nb, o);
      const per = chunkSize(d, o.params?.maxBlocksPerChunk);
      const parts: Tensor[] = [];
      for (const chunk of chunks(nb, per)) {
        let cache = emptyCache(c, c.num_encoder_layers, b, d);
        for (const [j, jb] of chunk.entries()) {
          const r = await ctx.run(G.encoder, {
            video: block(jb),
            kept_count: counts(new Array(b).fill(n)),
            positions: positions(j, d.tokens),
            ...cache,
          });
          parts.push(r.tokens);
          cache = presents(r);
        }
      }
      return {
        tokens: joinBlocks(parts, b, d),
        blockCounts: Array.from({ length: b }, () => new Array(nb).fill(n)),
        encoding: encodingRecord(per, o, false, n),
      };
    },
  };
  const encodeAdaptive: Programs["encode"] = {
    graphs: [G.encoder, G.decoder],
    description:
      `per block, a search over kept_count: each probe runs ${G.encoder} then ${G.decoder} on the block against the earlier blocks' caches and scores the clipped MSE in [-1,1]; the chosen count's present_* become the caches`,
    async run(ctx, x, o) {
      const s = sizes(ctx.config);
      const { c, d } = s;
      const { b, nb, block } = blocksOf(x, d);
      const kept = (n: number) => (o.params?.upstreamSearch ? Math.min(n + 1, d.tokens) : n);
      const parts: Tensor[] = [];
      const chosen: number[][] = Array.from({ length: b }, () => []);
      const per = chunkSize(d, o.params?.maxBlocksPerChunk);
      for (const chunk of chunks(nb, per)) {
        let enc = emptyCache(c, c.num_encoder_layers, b, d);
        let dec = emptyCache(c, c.num_decoder_layers, b, d);
        for (const [j, jb] of chunk.entries()) {
          const video = block(jb);
          const searches = Array.from({ length: b }, () => newSearch(s, o));
          let last: Awaited<ReturnType<typeof probe>> | undefined;
          for (;;) {
            const next = searches.map((q) => q.next());
            if (next.every((n) => n === undefined)) break;
            last = await probe(
              ctx,
              video,
              next.map((n, i) => kept(n ?? searches[i].result())),
              j,
              d,
              enc,
              dec,
            );
            next.forEach((n, i) => n !== undefined && searches[i].report(last!.mse[i]));
          }
          const final = searches.map((q) => kept(q.result()));
          const r = last && last.kept.every((n, i) => n === final[i])
            ? last
            : await probe(ctx, video, final, j, d, enc, dec);
          parts.push(r.tokens);
          final.forEach((n, i) => chosen[i].push(n));
          [enc, dec] = [r.enc, r.dec];
        }
      }
      return { tokens: joinBlocks(parts, b, d), blockCounts: chosen, encoding: encodingRecord(per, o, true) };
    },
  };
  return {
    encode,
    encodeAdaptive,
    decode: {
      graphs: [G.decoder],
      description:
        `per chunk of blocks, fresh caches; per block ${G.decoder}(tokens, kept_count, positions, past_*) → video block, present_*; an image is the mean of its block's frames`,
      async run(ctx, t) {
        const { c, d } = sizes(ctx.config);
        const b = t.tokens.shape[0];
        const nb = t.tokens.shape[2] / d.tokens;
        const keptCounts = t.blockCounts ?? derivedCounts(t, nb, d);
        const frames: Tensor[] = [];
        const per = chunkSize(
          d,
          t.encoding?.maxBlocksPerChunk,
          "tokens.json encoding.maxBlocksPerChunk",
        );
        for (const chunk of chunks(nb, per)) {
          let cache = emptyCache(c, c.num_decoder_layers, b, d);
          for (const [j, jb] of chunk.entries()) {
            const r = await ctx.run(G.decoder, {
              tokens: tokenBlock(t.tokens, jb, nb, d),
              kept_count: counts(keptCounts.map((k) => k[jb])),
              positions: positions(j, d.tokens),
              ...cache,
            });
            frames.push(r.video);
            cache = presents(r);
          }
        }
        return ctx.info.input.kind === "image" ? meanFrames(frames[0], d) : joinFrames(frames, b, d);
      },
    },
  };
}

/** Counts of a token tensor without recorded counts: ids ≥ 0 per block (FSQ); every position (VAE). */
function derivedCounts(t: Tokens, nb: number, d: ElasticDims): number[][] {
  const b = t.tokens.shape[0];
  if (!d.fsq) return Array.from({ length: b }, () => new Array(nb).fill(d.tokens));
  const ids = t.tokens.data as BigInt64Array;
  return Array.from({ length: b }, (_, i) =>
    Array.from({ length: nb }, (_, j) => {
      let n = 0;
      for (let k = 0; k < d.tokens; k++) if (ids[(i * nb + j) * d.tokens + k] >= 0n) n++;
      return n;
    }));
}

function meanFrames(v: Tensor, d: ElasticDims): Tensor {
  const b = v.shape[0];
  const frame = 3 * d.size * d.size;
  const src = v.data as Float32Array;
  const out = new Float32Array(b * frame);
  for (let i = 0; i < b; i++) {
    for (let f = 0; f < d.frames; f++) {
      const at = (i * d.frames + f) * frame;
      for (let k = 0; k < frame; k++) out[i * frame + k] += src[at + k] / d.frames;
    }
  }
  return { dtype: "float32", shape: [b, 3, d.size, d.size], data: out };
}

function joinFrames(blocks: Tensor[], b: number, d: ElasticDims): Tensor {
  const per = d.frames * 3 * d.size * d.size;
  const nb = blocks.length;
  const out = new Float32Array(b * nb * per);
  blocks.forEach((v, j) => {
    for (let i = 0; i < b; i++) {
      out.set((v.data as Float32Array).subarray(i * per, (i + 1) * per), (i * nb + j) * per);
    }
  });
  return { dtype: "float32", shape: [b, nb * d.frames, 3, d.size, d.size], data: out };
}
