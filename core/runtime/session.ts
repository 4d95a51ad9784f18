/**
 * ONNX Runtime sessions over tok1d graphs. This folder is the only place that
 * imports onnxruntime-node. Feeds are checked by name, dtype and shape before
 * a run, with a message naming the input.
 *
 * @example
 * ```ts
 * const s = await Session.create(graph, weights, { device: "cpu", threads: 2 });
 * const { image } = await s.run({ tokens });
 * ```
 *
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { fmt } from "../graph/shape.ts";
import { encodeModel } from "../onnx/model.ts";
import { packWeights } from "../onnx/external.ts";
import { checkUnchanged, type FileSpan } from "../weights/file_spans.ts";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { pruned } from "./prune.ts";
import { inPlacePairs } from "./in_place.ts";
import { winogradRewrite, type WinogradRule } from "./winograd_pass.ts";
import { fuseRegions } from "./fusion_pass.ts";
import type { Engine } from "./engine.ts";
import { NodeEngine } from "./engine_node.ts";
import { DirectEngine } from "./engine_direct.ts";
import { trimNativeHeap } from "./native_heap.ts";
import { applyPrecision, parsePrecision, type Precision } from "./precision.ts";
import type { Int8Rule } from "./int8_pass.ts";

/** How a session runs. */
export interface SessionOptions {
  device?: string;
  deviceId?: number;
  /** Intra-op threads; default: ONNX Runtime's choice (all cores). */
  threads?: number;
  /**
   * Idle intra-op workers: true spins as long as ORT's default, false sleeps at once, a number spins at
   * most that many microseconds. Default on the CPU: {@link CPU_SPIN_MICROSECONDS} — back-to-back
   * kernels find the workers awake, and a worker gives its core up soon when another process wants it
   * (bench/README.md, "The encoder at batch 1").
   */
  spinning?: boolean | number;
  /** ORT's CPU memory arena (default on): reuses intermediate buffers across runs instead of page-faulting fresh ones. */
  memoryArena?: boolean;
  /**
   * ORT's memory pattern (default on): from the second run, one block planned for all intermediates,
   * allocated beside the arena's own chunks. Off by default when the Winograd rewrite changed the
   * graph: its large transient tiles then doubled a batch-4 VQGAN decoder session's memory
   * (bench/README.md, "Conv decoders").
   */
  memoryPattern?: boolean;
  /** Write ORT's per-node profile (Chrome trace JSON) to `<profile>_<date>.json`; see {@link Session.endProfiling}. */
  profile?: string;
  /**
   * Candidate `[input, output]` pairs to update in place: each pair that {@link inPlacePairs} finds
   * safe has its output written into the fed input's buffer, and `run` returns the fed tensor
   * itself for it (a train step's state: no fresh buffers, no copies to free).
   */
  inPlace?: Iterable<readonly [input: string, output: string]>;
  /**
   * "node" (default): onnxruntime-node, every provider. "direct": ONNX Runtime's C API through Deno
   * FFI, CPU only — inputs and in-place outputs are not copied (core/runtime/engine_direct.ts).
   * "auto": "direct" on the CPU when the C API loads (needs --allow-ffi), else "node".
   */
  engine?: "node" | "direct" | "auto";
  /**
   * Run wide 3×3 convs with initializer weights as Winograd F(4×4, 3×3) (core/runtime/winograd_pass.ts):
   * default on for the CPU, where it cuts a VQGAN decoder's conv time; outputs move by ~1e-4 of
   * their scale per conv. A {@link WinogradRule} sets which convs; false keeps every conv direct.
   */
  winograd?: boolean | WinogradRule;
  /**
   * The arithmetic inference runs in (core/runtime/precision.ts): "fp32" (default, the graph as
   * built), "int8" or "bf16" on the CPU, "fp16" on cuda/tensorrt. Checked against the device.
   */
  precision?: Precision;
  /**
   * Parameters ONNX Runtime reads from their checkpoint file itself (core/weights/file_spans.ts): the
   * caller holds no copy of them in JS. Only with precision fp32 (the other precisions rewrite
   * weights on the host). The files must still be as they were read, and in one folder.
   */
  fileWeights?: ReadonlyMap<string, FileSpan>;
  /** Which ops `precision: "int8"` quantizes (default: Linear/MatMul, not convs; core/runtime/int8_pass.ts). */
  int8?: Int8Rule;
  /**
   * Replace the regions emitters marked as fusions (core/runtime/fusion_pass.ts) by their fused form,
   * e.g. attention as one ONNX Runtime contrib kernel: default on for the CPU; a predicate picks kinds
   * (`attention`, `group-norm`, `upsample-conv`).
   */
  fuse?: boolean | ((kind: string) => boolean);
  /** Extra ONNX Runtime session config entries, e.g. `{ "session.dynamic_block_base": "4" }`. */
  sessionConfig?: Record<string, string>;
}

/**
 * How long an idle CPU worker spins before it sleeps, by default. On the 2-vCPU development host
 * shared with other jobs (load 7–9), S-128 encode at batch 1 ran 1.27× faster than with ORT's full
 * spin and 0.97–1.08× as fast as with no spin at all; decode 1.02×.
 */
export const CPU_SPIN_MICROSECONDS = 50;

/** A compiled graph ready to run. */
export class Session {
  private constructor(
    private readonly inner: Engine,
    readonly inputs: readonly Value[],
    readonly outputs: readonly Value[],
    readonly device: string,
    /** Outputs written into an input's buffer: output name → input name. */
    readonly inPlace: ReadonlyMap<string, string>,
    /** The engine the session runs on (see {@link SessionOptions.engine}). */
    readonly engine: "node" | "direct",
  ) {}

  /** Builds the model bytes for `graph` with `weights` as external data and opens a session. */
  static async create(
    graph: Graph,
    weights: Map<string, Tensor>,
    opts: SessionOptions = {},
  ): Promise<Session> {
    const device = opts.device ?? "cpu";
    const precision = parsePrecision(opts.precision, device, "precision");
    const plain = pruned(graph);
    const fuse = opts.fuse ?? device === "cpu";
    const fused = fuse ? fuseRegions(plain, fuse === true ? () => true : fuse) : plain;
    const onDisk = opts.fileWeights ?? new Map<string, FileSpan>();
    if (onDisk.size && precision !== "fp32") {
      throw new Error(`fileWeights need precision fp32: ${precision} rewrites the weights on the host`);
    }
    // A precision rewrite adds parameters (int8 codes, rounded weights) beside the checkpoint's.
    const lowered = applyPrecision(fused, weights, precision, opts.int8);
    const live = lowered.graph;
    const all = lowered.weights.size ? new Map([...weights, ...lowered.weights]) : weights;
    const winograd = opts.winograd ?? device === "cpu";
    // Winograd convs make their filter transforms as they run, from the weights as loaded.
    const fast = winograd
      ? winogradRewrite(
        live,
        onDisk.size ? new Map<string, { dtype: string }>([...onDisk, ...all]) : all,
        winograd === true ? undefined : winograd,
      )
      : { graph: live, unfolded: new Set<string>() };
    const model = fast.graph;
    // ORT reads those files while the session is created: they must still be what was loaded.
    const checked = new Set<string>();
    for (const name of model.params.keys()) {
      const span = all.has(name) ? undefined : onDisk.get(name);
      if (!span || checked.has(span.path)) continue;
      checked.add(span.path);
      checkUnchanged(span);
    }
    const packed = packWeights(model.params.values(), all, onDisk);
    const bytes = encodeModel(model, {
      weights: packed.refs,
      unfolded: fast.unfolded,
    });
    const engineOptions = {
      ...opts,
      sessionConfig: packed.folder
        ? { ...opts.sessionConfig, "session.model_external_initializers_file_folder_path": packed.folder }
        : opts.sessionConfig,
      memoryPattern: opts.memoryPattern ?? model === live,
      spinning: opts.spinning ?? (device === "cpu" ? CPU_SPIN_MICROSECONDS : undefined),
    };
    // Parameters without weights are fed at run time (trainable parameters in a train step).
    const fed = [...model.params.values()].filter((p) => !packed.refs.has(p.name));
    const inputs = [...graph.inputs, ...fed];
    const inPlace = opts.inPlace ? inPlacePairs(live, opts.inPlace) : new Map<string, string>();
    const engine = chooseEngine(opts.engine ?? "node", device);
    const inner = engine === "direct"
      ? DirectEngine.create(bytes, packed.files, inputs, graph.outputs, engineOptions)
      : await NodeEngine.create(bytes, packed.files, device, opts.deviceId, engineOptions);
    // Creating a session frees ORT's staging copies of the weights; glibc keeps such blocks
    // resident unless asked (core/runtime/native_heap.ts).
    trimNativeHeap();
    return new Session(inner, inputs, graph.outputs, device, inPlace, engine);
  }

  /**
   * Runs the graph; `feeds` must hold every input with the declared dtype and shape. Outputs in
   * {@link Session.inPlace} are written into their input's buffer and returned as that fed tensor;
   * such inputs must not share memory with any other input.
   */
  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    checkFeeds(this.inputs, feeds);
    if (this.inPlace.size) checkExclusive(feeds, new Set(this.inPlace.values()));
    return await this.inner.run(this.inputs, feeds, this.outputs, this.inPlace);
  }

  /** Ends profiling (sessions opened with `profile`) and flushes the trace file. */
  endProfiling(): void {
    this.inner.endProfiling();
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.inner.release();
  }
}

/** The engine for a requested one: "auto" is the C API on the CPU when it can be loaded. */
function chooseEngine(requested: "node" | "direct" | "auto", device: string): "node" | "direct" {
  if (requested === "node") return "node";
  if (device === "cpu" && DirectEngine.available()) return "direct";
  if (requested === "auto") return "node";
  throw new UsageError(
    device !== "cpu"
      ? `engine 'direct' runs on the CPU only, not on ${device}`
      : `engine 'direct' is not available: ${DirectEngine.unavailableReason()}`,
  );
}

/** Refuses feeds where an input updated in place shares memory with another input. */
function checkExclusive(feeds: Record<string, Tensor>, inPlace: ReadonlySet<string>): void {
  const spans = new Map<ArrayBufferLike, { name: string; start: number; end: number }[]>();
  for (const [name, t] of Object.entries(feeds)) {
    const view = t.data as ArrayBufferView;
    const list = spans.get(view.buffer) ?? [];
    list.push({ name, start: view.byteOffset, end: view.byteOffset + view.byteLength });
    spans.set(view.buffer, list);
  }
  for (const list of spans.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.start - b.start);
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      for (let j = i + 1; j < list.length && list[j].start < a.end; j++) {
        const b = list[j];
        if (a.end > a.start && b.end > b.start && (inPlace.has(a.name) || inPlace.has(b.name))) {
          throw new UsageError(
            `inputs '${a.name}' and '${b.name}' share memory, but '${
              inPlace.has(a.name) ? a.name : b.name
            }' is updated in place; feed separate buffers`,
          );
        }
      }
    }
  }
}

/** Checks feeds against declared inputs: names, dtypes, ranks, static dims and consistent symbolic dims. */
export function checkFeeds(inputs: readonly Value[], feeds: Record<string, Tensor>): void {
  const expected = new Set(inputs.map((v) => v.name));
  for (const name of Object.keys(feeds)) {
    if (!expected.has(name)) {
      throw new UsageError(`unexpected input '${name}'; the graph takes ${[...expected].join(", ")}`);
    }
  }
  const symbols = new Map<string, [number, string]>();
  for (const v of inputs) {
    const t = feeds[v.name];
    if (!t) throw new UsageError(`missing input '${v.name}' (${v.dtype} ${fmt(v.shape)})`);
    if (t.dtype !== v.dtype) throw new UsageError(`input '${v.name}': expected ${v.dtype}, got ${t.dtype}`);
    const bad = t.shape.length !== v.shape.length || v.shape.some((d, i) => {
      if (typeof d === "number") return d !== t.shape[i];
      const seen = symbols.get(d);
      if (seen && seen[0] !== t.shape[i]) return true;
      symbols.set(d, [t.shape[i], v.name]);
      return false;
    });
    if (bad) throw new UsageError(`input '${v.name}': expected shape ${fmt(v.shape)}, got ${fmt(t.shape)}`);
  }
}
