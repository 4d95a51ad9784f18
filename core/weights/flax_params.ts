/**
 * Loads a tux/Flax streaming msgpack `params` file (msgpack_params.ts) onto a
 * graph's parameter names: tree paths are joined with "." and arrays of the
 * scanned collection (`scan_decoder` in ElasticTok/EasyLM) are unstacked along
 * axis 0, layer i taking the name of upstream's unscanned layer i
 * (`encoder/encoder_blocks/scan_decoder/attention/wq/kernel` (10, 1024, 1024)
 * → `encoder.encoder_blocks.0.attention.wq.kernel` … `.9.…`, each (1024, 1024)).
 * Flax kernels keep their (in, out) layout: core/nn's `flax` layout uses them
 * as they are. Layers are views of the stacked float32 buffer, not copies.
 *
 * With `expected` (the graph's parameter shapes), every array is checked by
 * name before it is converted: a wrong shape is refused at once, naming the
 * key; missing and unexpected keys are reported together at the end.
 *
 * @example
 * ```ts
 * const g = buildElasticTokGraph(config);
 * const expected = new Map([...g.params.values()].map((p) => [p.name, p.shape]));
 * const weights = loadMsgpackParams("ElasticTok-FSQ/params", { expected });
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { assertKeys, type KeyOptions } from "./checkpoint.ts";
import { readMsgpackParams, type ReadParamsOptions } from "./msgpack_params.ts";

/** Options of {@link loadMsgpackParams}. */
export interface LoadFlaxOptions extends ReadParamsOptions, Pick<KeyOptions, "allowUnexpected"> {
  /** Parameter shapes the model declares, by graph name; enables the checks. */
  expected?: Map<string, number[]>;
  /** The scanned collection whose arrays stack layers on axis 0 (default `scan_decoder`; null: none). */
  scanned?: string | null;
}

/** The graph name of a tree path, with the scanned segment replaced by `layer`. */
export function flaxName(
  path: readonly string[],
  scanned: string | null = "scan_decoder",
  layer?: number,
): string {
  return path.map((s) => (s === scanned && layer !== undefined ? String(layer) : s)).join(".");
}

/** Slices axis 0 of a tensor into views (no copy). */
export function unstack(t: Tensor<"float32">): Tensor<"float32">[] {
  const [n, ...rest] = t.shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => ({
    dtype: "float32",
    shape: [...rest],
    data: t.data.subarray(i * size, (i + 1) * size),
  }));
}

const dims = (s: readonly number[]) => `[${s.join(", ")}]`;

/** Reads every array of a `params` file into graph-named float32 tensors (see the module doc). */
export function loadMsgpackParams(file: string, o: LoadFlaxOptions = {}): Map<string, Tensor<"float32">> {
  const scanned = o.scanned === undefined ? "scan_decoder" : o.scanned;
  const out = new Map<string, Tensor<"float32">>();
  const unexpected = new Map<string, Tensor>();
  for (const a of readMsgpackParams(file, o)) {
    const stacked = scanned !== null && a.path.includes(scanned);
    if (stacked && !(a.shape.length >= 1 && a.shape[0] >= 1)) {
      throw new UsageError(`params file ${file}: ${a.key} is scanned but has shape ${dims(a.shape)}`);
    }
    const names = stacked ? Array.from({ length: a.shape[0] }, (_, i) => flaxName(a.path, scanned, i)) : [
      flaxName(a.path, scanned),
    ];
    const shape = stacked ? a.shape.slice(1) : a.shape;
    const keep = names.map((name) => {
      const want = o.expected?.get(name);
      if (!o.expected) return true;
      if (!want) {
        if (!o.allowUnexpected?.(name)) {
          unexpected.set(name, { dtype: "float32", shape, data: new Float32Array(0) });
        }
        return false;
      }
      if (want.length !== shape.length || want.some((d, i) => d !== shape[i])) {
        throw new UsageError(
          `params file ${file}: ${name} (${a.key}) is ${dims(shape)} in the file, the model expects ${
            dims(want)
          }`,
        );
      }
      return true;
    });
    if (!keep.some(Boolean)) continue;
    for (const name of names) {
      if (out.has(name)) throw new UsageError(`params file ${file}: ${name} appears twice`);
    }
    const t = a.tensor();
    const parts = stacked ? unstack(t) : [t];
    names.forEach((name, i) => keep[i] && out.set(name, parts[i]));
  }
  if (o.expected) {
    assertKeys(o.expected, new Map<string, Tensor>([...out, ...unexpected]), {
      source: file,
      allowUnexpected: o.allowUnexpected,
    });
  }
  return out;
}
