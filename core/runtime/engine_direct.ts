/**
 * Sessions on ONNX Runtime's C API through Deno FFI (CPU only). Inputs are
 * wrapped where they lie, outputs updated in place are written where they lie,
 * and nothing is copied: onnxruntime-node instead returns a fresh copy of every
 * output, including one it wrote into a preallocated buffer — for a
 * S-128-shaped train step 4 × 207 MB of copies, ~11 % of the step
 * (bench/README.md, "In-place state"). Other outputs are copied once out of
 * ORT's memory, as the binding does.
 *
 * @module
 */
import type { Value } from "../graph/graph.ts";
import { BYTES_PER_ELEMENT, type DType, sizeOf, type Tensor } from "../tensor.ts";
import { ONNX_DTYPE } from "../onnx/proto.ts";
import { check, cString, type OrtC, ortC, outPointer } from "./ort_c.ts";
import { type Engine, type EngineOptions, spinConfig } from "./engine.ts";

const DTYPE = new Map(Object.entries(ONNX_DTYPE).map(([k, v]) => [v as number, k as DType]));
const ARRAY: Record<DType, new (b: ArrayBuffer) => Tensor["data"]> = {
  float32: Float32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  float16: Uint16Array,
  float64: Float64Array,
  bfloat16: Uint16Array,
};

/** The process-wide ORT environment and CPU memory description, created once. */
let shared: { env: Deno.PointerValue; memory: Deno.PointerValue } | undefined;
function environment(ort: OrtC) {
  if (!shared) {
    const env = outPointer();
    // Errors only, as the node engine logs: ORT warns of every initializer that is also a graph input,
    // which is how Winograd keeps its weights from being folded (core/onnx/model.ts, `unfolded`).
    check(ort, ort.CreateEnv(3, /* error */ cString("tok1d"), env.slot), "creating the ORT environment");
    const memory = outPointer();
    check(ort, ort.CreateCpuMemoryInfo(0, /* device allocator */ 0, memory.slot), "CreateCpuMemoryInfo");
    shared = { env: env.get(), memory: memory.get() };
  }
  return shared;
}

/** Pointers to NUL-terminated copies of `names` (the copies are returned to keep them alive). */
function nameArray(names: readonly string[]) {
  const strings = names.map(cString);
  const pointers = BigUint64Array.from(strings, (s) => Deno.UnsafePointer.value(Deno.UnsafePointer.of(s)));
  return { strings, pointers };
}

/** A one-slot buffer whose address ORT writes a non-pointer result into. */
const scratch = { i32: new Int32Array(1), u64: new BigUint64Array(1) };
/** Stands in for the data pointer of an empty tensor (ORT wants a non-null one). */
const EMPTY = new Uint8Array(8);

/** An ONNX Runtime session opened through the C API. */
export class DirectEngine implements Engine {
  private released = false;

  private constructor(
    private readonly ort: OrtC,
    private readonly session: Deno.PointerValue,
    private readonly inputNames: ReturnType<typeof nameArray>,
    private readonly outputNames: ReturnType<typeof nameArray>,
    /**
     * What ORT was handed by address, referenced until the session is released. Not the
     * external-data buffers: ORT copies them while the session is created
     * (core/runtime/session_weights_test.ts), so their owner may drop them.
     */
    private readonly keep: unknown[],
  ) {}

  /** Whether this process can use the C API (FFI permission, library found, table as expected). */
  static available(): boolean {
    return DirectEngine.unavailableReason() === undefined;
  }

  /** Why the C API cannot be used, or undefined if it can. */
  static unavailableReason(): string | undefined {
    try {
      ortC();
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** Opens a session on the CPU; `files` are the model's external-data files, in memory. */
  static create(
    bytes: Uint8Array,
    files: { path: string; data: Uint8Array }[],
    inputs: readonly Value[],
    outputs: readonly Value[],
    o: EngineOptions,
  ): DirectEngine {
    const ort = ortC();
    const { env } = environment(ort);
    // Everything ORT reads through a raw address stays referenced from here to the engine.
    const alive: unknown[] = [];
    const so = outPointer();
    check(ort, ort.CreateSessionOptions(so.slot), "CreateSessionOptions");
    const options = so.get();
    try {
      check(ort, ort.SetSessionGraphOptimizationLevel(options, 99), "graph optimization level");
      if (o.threads) {
        check(ort, ort.SetIntraOpNumThreads(options, o.threads), "intra-op threads");
        check(ort, ort.SetInterOpNumThreads(options, 1), "inter-op threads");
      }
      check(
        ort,
        (o.memoryArena ?? true) ? ort.EnableCpuMemArena(options) : ort.DisableCpuMemArena(options),
        "arena",
      );
      check(
        ort,
        (o.memoryPattern ?? true) ? ort.EnableMemPattern(options) : ort.DisableMemPattern(options),
        "memory pattern",
      );
      for (const [key, value] of Object.entries({ ...spinConfig(o.spinning), ...o.sessionConfig })) {
        check(ort, ort.AddSessionConfigEntry(options, cString(key), cString(value)), key);
      }
      if (o.profile) check(ort, ort.EnableProfiling(options, cString(o.profile)), "profiling");
      if (files.length) {
        const names = nameArray(files.map((f) => f.path));
        alive.push(names);
        const buffers = BigUint64Array.from(
          files,
          (f) => Deno.UnsafePointer.value(Deno.UnsafePointer.of(f.data)),
        );
        const lengths = BigUint64Array.from(files, (f) => BigInt(f.data.byteLength));
        check(
          ort,
          ort.AddExternalInitializersFromFilesInMemory(
            options,
            names.pointers,
            buffers,
            lengths,
            BigInt(files.length),
          ),
          "external data",
        );
      }
      const s = outPointer();
      check(
        ort,
        ort.CreateSessionFromArray(
          env,
          bytes as Uint8Array<ArrayBuffer>,
          BigInt(bytes.byteLength),
          options,
          s.slot,
        ),
        "creating the session",
      );
      return new DirectEngine(
        ort,
        s.get(),
        nameArray(inputs.map((v) => v.name)),
        nameArray(outputs.map((v) => v.name)),
        alive,
      );
    } finally {
      ort.ReleaseSessionOptions(options);
    }
  }

  /**
   * OrtValues over fed memory, kept from run to run by input (or in-place output) name: a train
   * step feeds the same state buffers every time, and wrapping hundreds of them per run costs more
   * than a small step's kernels. Reused only while the same typed array, at the same address,
   * length and shape, is fed again.
   */
  private readonly wrapped = new Map<
    string,
    { data: Tensor["data"]; address: bigint; shape: string; value: Deno.PointerValue }
  >();

  /** The OrtValue over `t`'s memory for `key`, reusing last run's when `t` is the same memory. */
  private wrapCached(key: string, t: Tensor): Deno.PointerValue {
    const address = Deno.UnsafePointer.value(Deno.UnsafePointer.of(t.data as Uint8Array<ArrayBuffer>));
    const shape = t.shape.join(",");
    const known = this.wrapped.get(key);
    if (
      known && known.data === t.data && known.address === address && known.shape === shape && address !== 0n
    ) {
      return known.value;
    }
    if (known) this.ort.ReleaseValue(known.value);
    const value = this.wrap(t);
    this.wrapped.set(key, { data: t.data, address, shape, value });
    return value;
  }

  /** Wraps `t`'s memory (no copy) as an OrtValue. */
  private wrap(t: Tensor): Deno.PointerValue {
    const ort = this.ort;
    const data = t.data.byteLength ? t.data : EMPTY;
    const shape = BigInt64Array.from(t.shape, BigInt);
    const out = outPointer();
    check(
      ort,
      ort.CreateTensorWithDataAsOrtValue(
        environment(ort).memory,
        Deno.UnsafePointer.of(data as Uint8Array<ArrayBuffer>),
        BigInt(t.data.byteLength),
        shape,
        BigInt(t.shape.length),
        ONNX_DTYPE[t.dtype],
        out.slot,
      ),
      "wrapping a tensor",
    );
    return out.get();
  }

  /** Copies an OrtValue ORT allocated into a tensor and releases it. */
  private take(value: Deno.PointerValue): Tensor {
    const ort = this.ort;
    const info = outPointer();
    check(ort, ort.GetTensorTypeAndShape(value, info.slot), "reading an output's type");
    try {
      check(ort, ort.GetTensorElementType(info.get(), scratch.i32), "element type");
      check(ort, ort.GetDimensionsCount(info.get(), scratch.u64), "rank");
      const dims = new BigInt64Array(Number(scratch.u64[0]));
      check(ort, ort.GetDimensions(info.get(), dims, BigInt(dims.length)), "dims");
      const dtype = DTYPE.get(scratch.i32[0]);
      if (!dtype) throw new Error(`output element type ${scratch.i32[0]} is not supported`);
      const shape = [...dims].map(Number);
      const bytes = sizeOf(shape) * BYTES_PER_ELEMENT[dtype];
      const ptr = outPointer();
      check(ort, ort.GetTensorMutableData(value, ptr.slot), "output data");
      const buffer = bytes
        ? Deno.UnsafePointerView.getArrayBuffer(ptr.get()!, bytes).slice(0)
        : new ArrayBuffer(0);
      return { dtype, shape, data: new ARRAY[dtype](buffer) } as Tensor;
    } finally {
      ort.ReleaseTensorTypeAndShapeInfo(info.get());
      ort.ReleaseValue(value);
    }
  }

  /** Runs one at a time: a later run may release the wrappers an earlier one is still reading. */
  run(
    inputs: readonly Value[],
    feeds: Record<string, Tensor>,
    outputs: readonly Value[],
    inPlace: ReadonlyMap<string, string>,
  ): Promise<Record<string, Tensor>> {
    const result = this.queue.then(() => this.runNow(inputs, feeds, outputs, inPlace));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private queue: Promise<unknown> = Promise.resolve();

  private async runNow(
    inputs: readonly Value[],
    feeds: Record<string, Tensor>,
    outputs: readonly Value[],
    inPlace: ReadonlyMap<string, string>,
  ): Promise<Record<string, Tensor>> {
    if (this.released) throw new Error("the session was released");
    const ort = this.ort;
    const inputValues = new BigUint64Array(inputs.length);
    const outputValues = new BigUint64Array(outputs.length);
    try {
      inputs.forEach((v, i) => {
        inputValues[i] = Deno.UnsafePointer.value(this.wrapCached(v.name, feeds[v.name]));
      });
      outputs.forEach((v, j) => {
        const input = inPlace.get(v.name);
        // A separate OrtValue over the same memory: ORT writes the output into it.
        if (input) outputValues[j] = Deno.UnsafePointer.value(this.wrapCached(`=>${v.name}`, feeds[input]));
      });
      const status = await ort.Run(
        this.session,
        null,
        this.inputNames.pointers,
        inputValues,
        BigInt(inputs.length),
        this.outputNames.pointers,
        BigInt(outputs.length),
        outputValues,
      );
      check(ort, status, "run");
      const out: Record<string, Tensor> = {};
      outputs.forEach((v, j) => {
        const input = inPlace.get(v.name);
        if (input) out[v.name] = feeds[input];
        else {
          const value = Deno.UnsafePointer.create(outputValues[j]);
          outputValues[j] = 0n; // take() releases it, also when it throws
          out[v.name] = this.take(value);
        }
      });
      return out;
    } finally {
      // Outputs ORT allocated but not taken (a failed run) are released.
      outputs.forEach((v, j) => {
        if (!inPlace.has(v.name) && outputValues[j]) {
          ort.ReleaseValue(Deno.UnsafePointer.create(outputValues[j]));
        }
      });
    }
  }

  endProfiling(): void {
    const allocator = outPointer();
    check(this.ort, this.ort.GetAllocatorWithDefaultOptions(allocator.slot), "default allocator");
    const file = outPointer();
    check(
      this.ort,
      this.ort.SessionEndProfiling(this.session, allocator.get(), file.slot),
      "ending profiling",
    );
    check(this.ort, this.ort.AllocatorFree(allocator.get(), file.get()), "freeing the profile name");
  }

  async release(): Promise<void> {
    await this.queue;
    if (!this.released) {
      this.released = true;
      for (const { value } of this.wrapped.values()) this.ort.ReleaseValue(value);
      this.wrapped.clear();
      this.ort.ReleaseSession(this.session);
      void this.keep;
    }
  }
}
