/**
 * Sessions on onnxruntime-node's binding: every execution provider. The
 * binding copies each output into a fresh ArrayBuffer — also one written into
 * a preallocated fetch, whose copy is freed at once here.
 * @module
 */
import * as ort from "onnxruntime-node";
import type { Value } from "../graph/graph.ts";
import type { DType, Tensor } from "../tensor.ts";
import { executionProviders, explainProviderError } from "./providers.ts";
import { freeTensors } from "./free.ts";
import { type Engine, type EngineOptions, spinConfig } from "./engine.ts";

/** An ONNX Runtime session opened through onnxruntime-node. */
export class NodeEngine implements Engine {
  private constructor(private readonly inner: ort.InferenceSession) {}

  /** Opens a session for `device`; `files` are the model's external-data files, in memory. */
  static async create(
    bytes: Uint8Array,
    files: { path: string; data: Uint8Array }[],
    device: string,
    deviceId: number | undefined,
    o: EngineOptions,
  ): Promise<NodeEngine> {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: executionProviders(device, deviceId),
      graphOptimizationLevel: "all",
      // Errors only: ORT's warnings (e.g. "can't constant fold" on float16 graphs) are noise to a user and
      // interleave with the output of whatever runs the session.
      logSeverityLevel: 3,
      externalData: files,
      enableCpuMemArena: o.memoryArena ?? true,
      enableMemPattern: o.memoryPattern ?? true,
      // Flat dotted keys: onnxruntime-node joins nested keys with "." into the same config entries.
      extra: { ...spinConfig(o.spinning), ...o.sessionConfig },
    };
    if (o.profile) {
      options.enableProfiling = true;
      options.profileFilePrefix = o.profile;
    }
    if (o.threads) {
      options.intraOpNumThreads = o.threads;
      options.interOpNumThreads = 1;
    }
    try {
      return new NodeEngine(await ort.InferenceSession.create(bytes, options));
    } catch (e) {
      throw explainProviderError(device, e);
    }
  }

  async run(
    inputs: readonly Value[],
    feeds: Record<string, Tensor>,
    outputs: readonly Value[],
    inPlace: ReadonlyMap<string, string>,
  ): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const v of inputs) {
      const t = feeds[v.name];
      ortFeeds[v.name] = new ort.Tensor(v.dtype as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.shape);
    }
    let results: ort.InferenceSession.ReturnType;
    if (inPlace.size) {
      const fetches: Record<string, ort.Tensor | null> = {};
      for (const v of outputs) {
        const input = inPlace.get(v.name);
        fetches[v.name] = input ? ortFeeds[input] : null;
      }
      results = await this.inner.run(ortFeeds, fetches);
    } else {
      results = await this.inner.run(ortFeeds);
    }
    const out: Record<string, Tensor> = {};
    for (const v of outputs) {
      const r = results[v.name];
      const input = inPlace.get(v.name);
      if (input) {
        // The binding also returns a copy of what ORT wrote into the fed buffer: free it at once.
        freeTensors([{ dtype: v.dtype, shape: [...r.dims], data: r.data as Tensor["data"] }]);
        out[v.name] = feeds[input];
        continue;
      }
      out[v.name] = { dtype: r.type as DType, shape: [...r.dims], data: r.data as Tensor["data"] };
      r.dispose?.();
    }
    return out;
  }

  endProfiling(): void {
    this.inner.endProfiling();
  }

  async release(): Promise<void> {
    await this.inner.release();
  }
}
