/**
 * Opens a `.onnx` file written by `tok1d export` (or anyone else) with
 * ONNX Runtime; external data is resolved relative to the file.
 * @module
 */
import * as ort from "onnxruntime-node";
import type { DType, Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";
import { executionProviders, explainProviderError } from "./providers.ts";
import type { SessionOptions } from "./session.ts";

/** A session over an ONNX file; feeds are checked by ONNX Runtime itself. */
export class OnnxFileSession {
  private constructor(private readonly inner: ort.InferenceSession) {}

  /** Input names of the model. */
  get inputNames(): readonly string[] {
    return this.inner.inputNames;
  }

  /** Output names of the model. */
  get outputNames(): readonly string[] {
    return this.inner.outputNames;
  }

  static async open(path: string, opts: SessionOptions = {}): Promise<OnnxFileSession> {
    const device = opts.device ?? "cpu";
    try {
      return new OnnxFileSession(
        await ort.InferenceSession.create(path, {
          executionProviders: executionProviders(device, opts.deviceId),
          intraOpNumThreads: opts.threads,
        }),
      );
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (device !== "cpu") throw explainProviderError(device, e);
      throw new UsageError(`${path}: ONNX Runtime cannot load it (${(e as Error).message})`);
    }
  }

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(feeds)) {
      f[k] = new ort.Tensor(t.dtype as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.shape);
    }
    const r = await this.inner.run(f);
    return Object.fromEntries(
      Object.entries(r).map((
        [k, v],
      ) => [k, { dtype: v.type as DType, shape: [...v.dims], data: v.data } as Tensor]),
    );
  }

  async release(): Promise<void> {
    await this.inner.release();
  }
}
