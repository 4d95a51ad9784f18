/**
 * {@link loadTokenizer}: the library's entry point. Resolves a model, loads
 * and checks its weights, and runs the family's host programs
 * (core/plugin.ts `programs`) on batches of at most `batchSize` items. Graphs
 * are built when a program first names one and their sessions opened then,
 * so `encode` never builds or opens a decoder.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("titok/tiny", { random: true });
 * const { tokens } = await tok.encode(images);   // int64 (B, 1, K)
 * const recon = await tok.decode(tokens);         // float32 (B, 3, H, W)
 * ```
 * @module
 */
import type { Graph, Value } from "./graph/graph.ts";
import { memoGraphs, parameterShapes } from "./graphs.ts";
export { buildGraphs, memoGraphs, parameterShapes } from "./graphs.ts";
import { randomWeights, Rng } from "./init.ts";
import type { EncodeOptions, Program, ProgramContext, Programs, TokenizerInfo } from "./plugin.ts";
import { type ResolvedModel, resolveModel } from "./resolve.ts";
import { Session, type SessionOptions } from "./runtime/mod.ts";
import type { Tensor } from "./tensor.ts";
import {
  assertFiniteTokens,
  concatBatch,
  concatTokens,
  sliceBatch,
  sliceTokens,
  type Tokens,
} from "./tokens.ts";
import { checkInputs, checkTokens } from "./tokenizer_checks.ts";
import { assertKeys, loadCheckpoint } from "./weights/checkpoint.ts";
import { UsageError } from "./errors.ts";
import { handOverToFiles, retainOnly } from "./tokenizer_weights.ts";
import type { FileSpan } from "./weights/file_spans.ts";
import { parsePrecision } from "./runtime/precision.ts";
import { type Range, recordingSession } from "./runtime/calibrate.ts";
import { WINOGRAD_RULE_SINGLE } from "./runtime/winograd_pass.ts";
import {
  calibrateTokenizer,
  type Calibration,
  CALIBRATION_PHOTOS,
  sessionOptionsFor,
} from "./tokenizer_calibration.ts";

/** Options of {@link loadTokenizer}. */
export interface LoadOptions extends SessionOptions {
  /** A checkpoint file or folder; overrides the weights found beside the config. */
  weights?: string;
  /** Use seeded random weights (tests, benchmarks). */
  random?: boolean;
  /** Seed of the random weights and of the programs' draws (VAE noise, halting). */
  seed?: number;
  /** Sample VAE posteriors instead of taking their mean. */
  sample?: boolean;
  /** Items per program call (default 8). */
  batchSize?: number;
  /** false: a training checkpoint's raw weights (`model`) instead of the family's preferred EMA ones. */
  ema?: boolean;
  /**
   * Keep every weight in {@link Tokenizer.weights} after the sessions open (to export them, or to
   * reopen a graph after {@link Tokenizer.release}). By default a weight is dropped from JS once
   * every graph that uses it has a session: ONNX Runtime holds its own copy by then.
   */
  keepWeights?: boolean;
  /**
   * The programs this tokenizer will run (`["encode"]` for an encode job): weights no graph of
   * theirs uses are dropped at load, and a session for another graph is refused. At fp32, weights
   * loaded from a checkpoint file unchanged are dropped from JS at load too: ONNX Runtime reads them
   * from the file when a session opens (the file must not change meanwhile). Default: every
   * program, each graph opened on first use.
   */
  programs?: readonly ProgramName[];
  /**
   * `precision: "int8"`: image files the float32 programs run on first to calibrate static int8
   * convs (core/tokenizer_calibration.ts); default {@link CALIBRATION_PHOTOS}; false: convs stay fp32.
   */
  calibrate?: readonly string[] | false;
  /** Ranges from an earlier calibration (skips the calibration run). */
  calibration?: Calibration;
  /** Internal: sessions record conv activation ranges of graph `name` into the returned map. */
  recordRanges?: (graph: string) => Map<string, Range>;
}

/** A family program's name (core/plugin.ts `Programs`). */
export type ProgramName = keyof Programs;

/** Result of {@link Tokenizer.encode}: the token container (core/tokens.ts). */
export type Encoded = Tokens;

/** A loaded tokenizer. */
export class Tokenizer {
  private readonly sessions = new Map<string, Promise<Session>>();
  /** The last session creation started; the next waits for it. */
  private opening: Promise<unknown> = Promise.resolve();
  /** Graphs whose session has been created (their weights are ONNX Runtime's now). */
  private readonly handedOver = new Set<string>();
  /** Number of parameters (elements) of the checkpoint, counted before any is dropped. */
  readonly parameterCount: number;
  /** The graphs of {@link LoadOptions.programs} (undefined: every graph). */
  private readonly usable?: ReadonlySet<string>;
  /**
   * Weights ONNX Runtime reads from the checkpoint file itself, dropped from {@link weights} at load
   * (a job that named its `programs`, fp32, weights from a file): no JS copy is alive while a
   * session opens.
   */
  private readonly fileWeights = new Map<string, FileSpan>();
  private readonly rng: Rng;
  private readonly ctx: ProgramContext;

  constructor(
    readonly model: ResolvedModel,
    private readonly builders: Record<string, () => Graph>,
    /**
     * The weights graphs not opened yet still need (all of them with `keepWeights`); views into
     * the checkpoint's bytes until some are dropped.
     */
    readonly weights: Map<string, Tensor>,
    readonly info: TokenizerInfo,
    readonly randomWeights: boolean,
    private readonly options: LoadOptions,
  ) {
    this.rng = new Rng(((options.seed ?? 0) * 0x9e3779b1 + 0x7f4a7c15) >>> 0);
    this.parameterCount = [...weights.values()].reduce((a, t) => a + t.data.length, 0);
    if (options.programs) {
      this.usable = new Set(options.programs.flatMap((p) => this.graphsOf(p)));
      if (!options.keepWeights) {
        const fp32 = (options.precision ?? "fp32") === "fp32";
        if (fp32 && !randomWeights && !options.recordRanges) handOverToFiles(weights, this.fileWeights);
        this.dropHandedOver();
      }
    }
    const draw = (shape: number[], f: () => number): Tensor<"float32"> => ({
      dtype: "float32",
      shape,
      data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f),
    });
    this.ctx = {
      info,
      config: model.config,
      run: async (name, feeds) => await (await this.session(name)).run(feeds),
      inputs: (name) => this.graph(name).inputs,
      normal: (shape) => draw(shape, () => this.rng.normal()),
      uniform: (shape) => draw(shape, () => this.rng.next()),
    };
  }

  /** The family's programs. */
  get programs(): Programs {
    return this.model.plugin.programs;
  }

  /** The names of the family's graphs. */
  get graphNames(): string[] {
    return Object.keys(this.builders);
  }

  /** Graph `name`, built on first use. */
  graph(name: string): Graph {
    const build = this.builders[name];
    if (!build) {
      throw new UsageError(
        `${this.info.family} has no graph '${name}' (it has ${this.graphNames.join(", ")})`,
      );
    }
    return build();
  }

  /** The graphs whose sessions are open, in the order they were opened (what the programs ran). */
  get openedGraphs(): string[] {
    return [...this.sessions.keys()];
  }

  /** Whether the caller asked for sampled VAE posteriors (`sample`) rather than their mean. */
  get samplesPosterior(): boolean {
    return !!this.options.sample;
  }

  /** Whether graph `name` declares input `input`. */
  hasInput(name: string, input: string): boolean {
    return this.graph(name).inputs.some((v: Value) => v.name === input);
  }

  private session(name: string): Promise<Session> {
    let s = this.sessions.get(name);
    if (!s) {
      // One creation at a time: dropping weights after one must not detach buffers another
      // creation is still reading (and two staging copies at once would raise the peak).
      s = this.opening.then(() => this.open(name));
      this.opening = s.catch(() => undefined);
      this.sessions.set(name, s);
    }
    return s;
  }

  /** The graphs program `name` runs ([] where the family has no such program). */
  private graphsOf(name: ProgramName): readonly string[] {
    const p = this.programs[name];
    if (p) return this.programGraphs(p);
    return name === "reconstruct" ? [...this.graphsOf("encode"), ...this.graphsOf("decode")] : [];
  }

  private async open(name: string): Promise<Session> {
    if (this.usable && !this.usable.has(name)) {
      throw new Error(
        `graph '${name}' is run by none of the programs this tokenizer was loaded for ` +
          `(${this.options.programs!.join(", ")}); add its program to the 'programs' option`,
      );
    }
    const graph = this.graph(name);
    const gone = [...graph.params.keys()].find((k) => !this.weights.has(k) && !this.fileWeights.has(k));
    if (gone) {
      throw new Error(
        `graph '${name}': weight ${gone} was dropped once ONNX Runtime held it; ` +
          `load with keepWeights: true to reopen graphs after release()`,
      );
    }
    let opts = sessionOptionsFor(this.options, name, this.options.calibration);
    if (this.fileWeights.size) opts = { ...opts, fileWeights: this.fileWeights };
    if (opts.winograd === undefined && (opts.device ?? "cpu") === "cpu" && this.options.batchSize === 1) {
      opts = { ...opts, winograd: WINOGRAD_RULE_SINGLE };
    }
    const session = this.options.recordRanges
      ? await recordingSession(graph, this.weights, opts, this.options.recordRanges(name))
      : await Session.create(graph, this.weights, opts);
    this.handedOver.add(name);
    if (!this.options.keepWeights) this.dropHandedOver();
    return session;
  }

  /** Drops the weights no usable graph without a session needs (sessions being created keep theirs). */
  private dropHandedOver(): void {
    const needed = new Set<string>();
    for (const name of this.usable ?? this.graphNames) {
      if (!this.handedOver.has(name)) { for (const p of this.graph(name).params.keys()) needed.add(p); }
    }
    retainOnly(this.weights, needed);
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 8;
  }

  /** Runs `program` over the batch in chunks of `batchSize`, joining the results. */
  private async chunked<R>(
    n: number,
    run: (start: number, end: number) => Promise<R>,
    join: (parts: R[]) => R,
  ): Promise<R> {
    const parts: R[] = [];
    for (let i = 0; i < n; i += this.batchSize) parts.push(await run(i, Math.min(i + this.batchSize, n)));
    return join(parts);
  }

  private async runImages<R>(
    program: Program<[Tensor, EncodeOptions], R>,
    images: Tensor,
    o: EncodeOptions,
    join: (parts: R[]) => R,
  ): Promise<R> {
    checkInputs(this.info, images);
    if (o.budget !== undefined && !this.info.budgets.includes(o.budget)) {
      throw new UsageError(
        `budget ${o.budget}: ${this.info.family} encodes at ${this.info.budgets.join(", ")}`,
      );
    }
    const part = (a: number, b: number): EncodeOptions =>
      o.inputs
        ? {
          ...o,
          inputs: Object.fromEntries(Object.entries(o.inputs).map(([k, v]) => [k, sliceBatch(v, a, b)])),
        }
        : o;
    return await this.chunked(
      images.shape[0],
      (a, b) => program.run(this.ctx, sliceBatch(images, a, b), part(a, b)),
      join,
    );
  }

  /** The graphs a program runs, for this tokenizer's config. */
  programGraphs(program: { graphs: Program<never, unknown>["graphs"] }): readonly string[] {
    return typeof program.graphs === "function" ? program.graphs(this.model.config) : program.graphs;
  }

  /**
   * Opens sessions now (they are otherwise opened on first use): `graphs`, by default the first
   * graph the job runs (see {@link LoadOptions.programs}).
   */
  async warmUp(graphs: readonly string[] = [this.firstGraph()]): Promise<void> {
    for (const name of graphs) await this.session(name);
  }

  /** The first graph a job runs: `encode`'s, or that of the first program named in `programs`. */
  private firstGraph(): string {
    const programs = this.options.programs ?? [];
    return [...programs.flatMap((p) => this.graphsOf(p)), ...this.graphsOf("encode")][0];
  }

  /** Items in [0,1] (`info.input`) → tokens (at `budget`, or the full budget). */
  async encode(images: Tensor, o: EncodeOptions = {}): Promise<Tokens> {
    const t = await this.runImages(this.programs.encode, images, o, concatTokens);
    const truncate = this.model.plugin.truncate;
    return o.budget !== undefined && truncate ? truncate(t, o.budget, this.info) : t;
  }

  /** The family's adaptive encode (lengths chosen by quality against `threshold`). */
  async encodeAdaptive(images: Tensor, o: EncodeOptions): Promise<Tokens> {
    const p = this.programs.encodeAdaptive;
    if (!p) throw new UsageError(`--adaptive: ${this.info.family} has no adaptive encode`);
    return await this.runImages(p, images, o, concatTokens);
  }

  /** Tokens (a container, or a bare ids/latent tensor at the full budget) → items, unclamped. */
  async decode(tokens: Tokens | Tensor): Promise<Tensor> {
    const t: Tokens = "tokens" in tokens ? tokens : { tokens };
    checkTokens(this.info, t);
    return await this.chunked(
      t.tokens.shape[0],
      (a, b) => this.programs.decode.run(this.ctx, sliceTokens(t, a, b)),
      concatBatch,
    );
  }

  /** Decodes a continuous latent (B, …latentShape), for families with a `decodeLatent` program. */
  async decodeLatent(latent: Tensor): Promise<Tensor> {
    const p = this.programs.decodeLatent;
    if (!p) throw new UsageError(`${this.info.family} has no continuous latent to decode`);
    assertFiniteTokens(latent, "latent");
    return await this.chunked(
      latent.shape[0],
      (a, b) => p.run(this.ctx, sliceBatch(latent, a, b)),
      concatBatch,
    );
  }

  /** encode then decode (one program where the family has a shorter path). */
  reconstruct(images: Tensor, o: EncodeOptions = {}): Promise<{ tokens: Tokens; images: Tensor }> {
    const p: Program<[Tensor, EncodeOptions], { tokens: Tokens; images: Tensor }> =
      this.programs.reconstruct ?? {
        graphs: [],
        description: "",
        run: async (ctx, x, opts) => {
          const tokens = await this.programs.encode.run(ctx, x, opts);
          return { tokens, images: await this.programs.decode.run(ctx, tokens) };
        },
      };
    return this.runImages(p, images, o, (parts) => ({
      tokens: concatTokens(parts.map((r) => r.tokens)),
      images: concatBatch(parts.map((r) => r.images)),
    }));
  }

  /**
   * Activation ranges of every graph's int8-eligible convs, recorded while this tokenizer's programs
   * run in float32 on `files` (core/tokenizer_calibration.ts); weights are not dropped. Pass the result
   * as {@link LoadOptions.calibration} to int8 tokenizers of the same weights.
   */
  calibrate(files: readonly string[] = CALIBRATION_PHOTOS, encodeOnly = false): Promise<Calibration> {
    const { model, builders, weights, info, randomWeights, options } = this;
    return calibrateTokenizer(
      (recordRanges) =>
        new Tokenizer(model, builders, weights, info, randomWeights, {
          ...options,
          precision: "fp32",
          keepWeights: true,
          programs: undefined,
          recordRanges,
        }),
      files,
      encodeOnly,
    );
  }

  /** Frees the sessions. */
  async release(): Promise<void> {
    for (const s of this.sessions.values()) {
      const session = await s.catch(() => undefined); // a creation that failed holds nothing
      await session?.release();
    }
    this.sessions.clear();
  }
}

/** Loads a tokenizer from a folder, config file, preset or `default`. */
export function loadTokenizer(spec: string, options: LoadOptions = {}): Promise<Tokenizer> {
  return openTokenizer(resolveModel(spec), options, spec);
}

/**
 * Opens a tokenizer for a resolved model — also one of a plugin that is not in
 * the registry (`{ plugin, config: plugin.schema.parse(raw), variant, configSource }`).
 */
export async function openTokenizer(
  model: ResolvedModel,
  options: LoadOptions = {},
  spec = model.configSource,
) {
  const plugin = model.plugin;
  // A precision the device cannot run is refused before any weights are read.
  parsePrecision(options.precision, options.device ?? "cpu", "precision");
  const builders = memoGraphs(plugin.graphs(model.config, { sample: options.sample }));
  const info = plugin.info(model.config, model.variant);
  const shapes = parameterShapes(builders);
  const source = options.weights ?? model.weights;
  let weights: Map<string, Tensor>;
  if (options.random || (!source && !shapes.size)) {
    const specs = [...shapes].map(([name, shape]) => ({ name, shape, dtype: "float32" as const }));
    weights = randomWeights(specs, options.seed ?? 0);
  } else if (!source && model.recipe) {
    throw new UsageError(
      `model ${spec} is a training recipe (no released weights): train it, e.g. \`${model.recipe.train}\`, ` +
        `then pass --model ${model.recipe.model} (or --weights <checkpoint>, or --random)`,
    );
  } else if (!source) {
    throw new UsageError(
      `model ${spec} has no weights: pass --weights <checkpoint> (an HF folder, .safetensors or .bin) or --random`,
    );
  } else {
    const prefer = options.ema === false ? ["model", "state_dict"] : plugin.stateDictKeys;
    const ckpt = loadCheckpoint(source, { prefer });
    weights = plugin.load(ckpt.tensors, model.config);
    assertKeys(shapes, weights, { source: ckpt.source });
  }
  const random = !!options.random && shapes.size > 0;
  let calibration = options.calibration;
  if (!calibration && options.precision === "int8" && options.calibrate !== false && !options.recordRanges) {
    const fp32 = new Tokenizer(model, builders, weights, info, random, {
      ...options,
      precision: "fp32",
      keepWeights: true,
      programs: undefined,
    });
    const encodeOnly = !!options.programs && options.programs.every((p) => p.startsWith("encode"));
    calibration = await fp32.calibrate(options.calibrate || CALIBRATION_PHOTOS, encodeOnly);
  }
  const tok = new Tokenizer(model, builders, weights, info, random, { ...options, calibration });
  // A missing GPU provider should fail here, with its explanation, not halfway through a job.
  if ((options.device ?? "cpu") !== "cpu") await tok.warmUp();
  return tok;
}
