/**
 * Serialises a {@link Graph} to an ONNX ModelProto. Parameters never enter the
 * protobuf: each is an initializer whose bytes live in external data (a file,
 * or an in-memory buffer handed to ONNX Runtime), so models past protobuf's
 * 2 GB limit work and weights are not copied.
 *
 * @module
 */
import type { Graph } from "../graph/graph.ts";
import { ATTR_TYPE, ModelProto, ONNX_DTYPE } from "./proto.ts";
import { BYTES_PER_ELEMENT, type Tensor } from "../tensor.ts";

/** The opset tok1d emits (LayerNormalization needs ≥ 17; ReduceMean with axes input needs 18). */
export const OPSET = 18;
/** IR version matching {@link OPSET}. */
export const IR_VERSION = 8;

/** Where one parameter's bytes live: a location name plus byte offset and length. */
export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

/** Options for {@link encodeModel}. */
export interface EncodeOptions {
  /** Where each parameter's bytes live. Parameters missing here become graph inputs. */
  weights?: Map<string, ExternalRef>;
  /**
   * Initializers ONNX Runtime must not constant-fold through (what is computed from them is made as
   * the graph runs, not held for the session's life): also declared as graph inputs, which makes
   * them defaults a caller may override (IR ≥ 4), and ORT folds only constants.
   */
  unfolded?: ReadonlySet<string>;
  /** Free-form metadata stored in the model (family, variant, config hash…). */
  metadata?: Record<string, string>;
  docString?: string;
}

function rawBytes(t: Tensor): Uint8Array {
  const d = t.data as unknown as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function valueInfo(name: string, dtype: keyof typeof ONNX_DTYPE, shape: readonly (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[dtype],
        shape: { dim: shape.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }) },
      },
    },
  };
}

/** Builds the ModelProto bytes of `graph`. */
export function encodeModel(graph: Graph, opts: EncodeOptions = {}): Uint8Array {
  const weights = opts.weights ?? new Map<string, ExternalRef>();
  const initializer = [];
  const paramInputs = [];
  for (const p of graph.params.values()) {
    const ref = weights.get(p.name);
    if (!ref || opts.unfolded?.has(p.name)) paramInputs.push(valueInfo(p.name, p.dtype, p.shape));
    if (!ref) continue;
    const expected = p.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[p.dtype];
    if (ref.length !== expected) {
      throw new Error(
        `parameter ${p.name}: external data has ${ref.length} bytes, shape [${p.shape}] needs ${expected}`,
      );
    }
    initializer.push({
      name: p.name,
      dims: p.shape,
      dataType: ONNX_DTYPE[p.dtype],
      dataLocation: 1,
      externalData: [
        { key: "location", value: ref.location },
        { key: "offset", value: String(ref.offset) },
        { key: "length", value: String(ref.length) },
      ],
    });
  }
  for (const [name, t] of graph.constants) {
    initializer.push({ name, dims: t.shape, dataType: ONNX_DTYPE[t.dtype], rawData: rawBytes(t) });
  }
  const node = graph.nodes.map((n) => ({
    name: n.name,
    opType: n.op,
    input: n.inputs,
    output: n.outputs,
    domain: n.domain ?? "",
    attribute: Object.entries(n.attrs).map(([name, a]) => {
      const base = { name, type: ATTR_TYPE[a.type] };
      switch (a.type) {
        case "int":
          return { ...base, i: a.value };
        case "float":
          return { ...base, f: a.value };
        case "ints":
          return { ...base, ints: a.value };
        case "floats":
          return { ...base, floats: a.value };
        case "string":
          return { ...base, s: new TextEncoder().encode(a.value) };
        case "tensor":
          return {
            ...base,
            t: { dims: a.value.shape, dataType: ONNX_DTYPE[a.value.dtype], rawData: rawBytes(a.value) },
          };
      }
    }),
  }));
  const message = ModelProto.create({
    irVersion: IR_VERSION,
    producerName: "tok1d",
    producerVersion: "0.1.0",
    docString: opts.docString ?? "",
    opsetImport: [
      { domain: "", version: OPSET },
      // ONNX Runtime's contrib ops (com.microsoft), where a CPU session pass put one.
      ...[...new Set(graph.nodes.map((n) => n.domain ?? ""))].filter((d) => d).map((domain) => ({
        domain,
        version: 1,
      })),
    ],
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node,
      initializer,
      input: [...graph.inputs.map((v) => valueInfo(v.name, v.dtype, v.shape)), ...paramInputs],
      output: graph.outputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
    },
  });
  return ModelProto.encode(message).finish();
}
