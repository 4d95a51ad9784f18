/**
 * {@link loadTokenizer}: the library's entry point. Resolves a model, loads
 * and checks its weights, and runs the family's graphs on ONNX Runtime,
 * batching the inputs. Sessions are opened on first use.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("titok/tiny", { random: true });
 * const { tokens } = await tok.encode(images);   // int64 (B, 1, K)
 * const recon = await tok.decode(tokens);         // float32 (B, 3, H, W)
 * ```
 * @module
 */
import type { Graph } from "./graph/graph.ts";
import { randomWeights } from "./init.ts";
import type { InferenceGraphs, TokenizerInfo } from "./plugin.ts";
import { type ResolvedModel, resolveModel } from "./resolve.ts";
import { Session, type SessionOptions } from "./runtime/mod.ts";
import { sizeOf, type Tensor } from "./tensor.ts";
import { assertKeys, loadCheckpoint } from "./weights/checkpoint.ts";
import { UsageError } from "./errors.ts";

/** Options of {@link loadTokenizer}. */
export interface LoadOptions extends SessionOptions {
  /** A checkpoint file or folder; overrides the weights found beside the config. */
  weights?: string;
  /** Use seeded random weights (tests, benchmarks, the demo before training ships). */
  random?: boolean;
  seed?: number;
  /** Sample VAE posteriors instead of taking their mean (then `encode` needs noise). */
  sample?: boolean;
  /** Images per ONNX Runtime call (default 8). */
  batchSize?: number;
}

/** Result of {@link Tokenizer.encode}. */
export interface Encoded {
  /** Upstream layout and dtype: TiTok VQ int64 (B,1,K); VAE float32 (B,C,1,K). */
  tokens: Tensor;
  /** The continuous latent the decoder reads (quantised codes for VQ). */
  latent: Tensor;
}

/** All parameters the graphs use, with their shapes. */
function parameterShapes(graphs: InferenceGraphs): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const g of Object.values(graphs) as Graph[]) {
    for (const p of g.params.values()) out.set(p.name, p.shape);
  }
  return out;
}

function sliceBatch(t: Tensor, start: number, end: number): Tensor {
  const per = sizeOf(t.shape.slice(1));
  return {
    dtype: t.dtype,
    shape: [end - start, ...t.shape.slice(1)],
    data: t.data.subarray(start * per, end * per),
  } as Tensor;
}

function joinBatches(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((a, p) => a + p.shape[0], 0);
  const first = parts[0];
  const per = sizeOf(first.shape.slice(1));
  const Ctor = first.data.constructor as new (n: number) => Tensor["data"];
  const data = new Ctor(n * per);
  let at = 0;
  for (const p of parts) {
    (data as Float32Array).set(p.data as Float32Array, at);
    at += p.data.length;
  }
  return { dtype: first.dtype, shape: [n, ...first.shape.slice(1)], data } as Tensor;
}

/** Pads int64 tokens (…, d) to (…, n) with `fill` (a depth prefix → the full depth axis). */
function padLastAxis(t: Tensor, n: number, fill: bigint): Tensor {
  const d = t.shape.at(-1)!;
  const src = t.data as BigInt64Array;
  const rows = src.length / d;
  const data = new BigInt64Array(rows * n).fill(fill);
  for (let r = 0; r < rows; r++) data.set(src.subarray(r * d, r * d + d), r * n);
  return { dtype: "int64", shape: [...t.shape.slice(0, -1), n], data };
}

/** A loaded tokenizer. */
export class Tokenizer {
  private readonly sessions = new Map<keyof InferenceGraphs, Promise<Session>>();

  constructor(
    readonly model: ResolvedModel,
    readonly graphs: InferenceGraphs,
    readonly weights: Map<string, Tensor>,
    readonly info: TokenizerInfo,
    readonly randomWeights: boolean,
    private readonly options: LoadOptions,
  ) {}

  private session(which: keyof InferenceGraphs): Promise<Session> {
    let s = this.sessions.get(which);
    if (!s) {
      s = Session.create(this.graphs[which], this.weights, this.options);
      this.sessions.set(which, s);
    }
    return s;
  }

  private checkImages(images: Tensor): void {
    const s = this.info.imageSize;
    if (
      images.dtype !== "float32" || images.shape.length !== 4 || images.shape[1] !== 3 ||
      images.shape[2] !== s || images.shape[3] !== s
    ) {
      throw new UsageError(
        `images: expected float32 (B,3,${s},${s}) in [0,1], got ${images.dtype} (${images.shape.join(",")})`,
      );
    }
  }

  private async batched(
    which: keyof InferenceGraphs,
    input: string,
    x: Tensor,
    extra: Record<string, Tensor> = {},
  ): Promise<Record<string, Tensor>> {
    const s = await this.session(which);
    const bs = this.options.batchSize ?? 8;
    const parts: Record<string, Tensor[]> = {};
    for (let i = 0; i < x.shape[0]; i += bs) {
      const end = Math.min(i + bs, x.shape[0]);
      const feeds: Record<string, Tensor> = { [input]: sliceBatch(x, i, end) };
      for (const [k, v] of Object.entries(extra)) feeds[k] = sliceBatch(v, i, end);
      const r = await s.run(feeds);
      for (const [k, v] of Object.entries(r)) (parts[k] ??= []).push(v);
    }
    return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, joinBatches(v)]));
  }

  /** Opens the encode session now (it is otherwise opened on first use). */
  async warmUp(): Promise<void> {
    await this.session("encode");
  }

  /** Images (B,3,S,S) in [0,1] → tokens and latent. With `sample`, pass the noise ε. */
  async encode(images: Tensor, noise?: Tensor): Promise<Encoded> {
    this.checkImages(images);
    const extra: Record<string, Tensor> = {};
    if (this.graphs.encode.inputs.some((v) => v.name === "noise")) {
      if (!noise) throw new UsageError("encode: this tokenizer samples its posterior (--sample); pass noise");
      extra.noise = noise;
    }
    const r = await this.batched("encode", "image", images, extra);
    return { tokens: r.tokens, latent: r.latent };
  }

  /**
   * Tokens (int64 indices, or a continuous latent) → images (B,3,S,S), unclamped.
   * With `info.depthPrefix`, tokens may hold only the first d of D depths.
   */
  async decode(tokens: Tensor): Promise<Tensor> {
    const expected = this.info.tokenShape;
    const got = tokens.shape.slice(1);
    const depths = expected.at(-1)!;
    const prefix = !!this.info.depthPrefix && got.length === expected.length &&
      got.slice(0, -1).join() === expected.slice(0, -1).join() && got.at(-1)! >= 1 && got.at(-1)! <= depths;
    if (tokens.dtype !== this.info.tokenDtype || (!prefix && got.join() !== expected.join())) {
      const shape = this.info.depthPrefix
        ? `(B,${expected.slice(0, -1).join(",")},d) with 1 ≤ d ≤ ${depths}`
        : `(B,${expected.join(",")})`;
      throw new UsageError(
        `tokens: expected ${this.info.tokenDtype} ${shape}, got ${tokens.dtype} (${tokens.shape.join(",")})`,
      );
    }
    if (tokens.dtype === "int64" && this.info.vocabulary) {
      const v = BigInt(this.info.vocabulary);
      const bad = (tokens.data as BigInt64Array).findIndex((x) => x < 0n || x >= v);
      if (bad >= 0) throw new UsageError(`tokens: entry ${bad} is ${tokens.data[bad]}, outside [0, ${v})`);
    }
    const full = prefix && got.at(-1)! < depths ? padLastAxis(tokens, depths, -1n) : tokens;
    return (await this.batched("decodeTokens", "tokens", full)).image;
  }

  /** Decodes a continuous latent (B, …latentShape). */
  async decodeLatent(latent: Tensor): Promise<Tensor> {
    return (await this.batched("decode", "latent", latent)).image;
  }

  /** encode then decode. */
  async reconstruct(images: Tensor, noise?: Tensor): Promise<Encoded & { images: Tensor }> {
    const enc = await this.encode(images, noise);
    return { ...enc, images: await this.decodeLatent(enc.latent) };
  }

  /** Frees the sessions. */
  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}

/** Loads a tokenizer from a folder, config file, preset or `default`. */
export async function loadTokenizer(spec: string, options: LoadOptions = {}): Promise<Tokenizer> {
  const model = resolveModel(spec);
  const graphs = model.plugin.build(model.config, { sample: options.sample });
  const shapes = parameterShapes(graphs);
  const source = options.weights ?? model.weights;
  let weights: Map<string, Tensor>;
  let random = false;
  if (options.random || (!source && spec === "default")) {
    const specs = [...shapes].map(([name, shape]) => ({ name, shape, dtype: "float32" as const }));
    weights = randomWeights(specs, options.seed ?? 0);
    random = true;
  } else if (!source) {
    throw new UsageError(
      `model ${spec} has no weights: pass --weights <checkpoint> (an HF folder, .safetensors or .bin) or --random`,
    );
  } else {
    const ckpt = loadCheckpoint(source);
    weights = model.plugin.load(ckpt.tensors, model.config);
    assertKeys(shapes, weights, { source: ckpt.source });
  }
  const info = model.plugin.info(model.config, model.variant);
  const tok = new Tokenizer(model, graphs, weights, info, random, options);
  // A missing GPU provider should fail here, with its explanation, not halfway through a job.
  if ((options.device ?? "cpu") !== "cpu") await tok.warmUp();
  return tok;
}
