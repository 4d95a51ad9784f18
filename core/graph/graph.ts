/**
 * The graph builder: a list of ONNX nodes over named, typed, statically shaped
 * values. Ops (core/ops) add nodes through {@link Graph.addNode}; layers
 * (core/nn) compose ops inside {@link Graph.scope}s so that parameter names are
 * the upstream checkpoint keys (`encoder.transformer.3.ln_1.weight`).
 *
 * @example
 * ```ts
 * const g = new Graph("demo");
 * const x = g.input("x", "float32", ["batch", 4]);
 * const w = g.scope("proj", () => g.param("weight", [4, 4]));
 * ```
 *
 * @module
 */
import type { DType, Tensor } from "../tensor.ts";
import type { Dim } from "./shape.ts";

/** A value flowing through the graph. `shape` may hold symbolic dims (strings). */
export interface Value {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** A typed ONNX attribute (ONNX tells ints from floats, JS numbers do not). */
export type Attr =
  | { type: "int"; value: number }
  | { type: "float"; value: number }
  | { type: "ints"; value: number[] }
  | { type: "floats"; value: number[] }
  | { type: "string"; value: string }
  | { type: "tensor"; value: Tensor };

/** Attribute constructors: `int(1)`, `float(1e-5)`, `ints([0, 1])`. */
export const int = (value: number): Attr => ({ type: "int", value });
export const float = (value: number): Attr => ({ type: "float", value });
export const ints = (value: number[]): Attr => ({ type: "ints", value });
export const floats = (value: number[]): Attr => ({ type: "floats", value });
export const str = (value: string): Attr => ({ type: "string", value });

/** One ONNX node. */
export interface GraphNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
  domain?: string;
}

/** A trainable or loaded parameter: its checkpoint key, dtype and shape. */
export interface ParamSpec {
  name: string;
  dtype: DType;
  shape: number[];
}

/**
 * Nodes an emitter built from `inputs` to `outputs` that a runtime pass may swap for an equivalent,
 * faster form (`build`, emitted from the same inputs) where nothing else reads their intermediates:
 * e.g. attention as ONNX Runtime's fused CPU kernel (core/runtime/fusion_pass.ts). The graph as built
 * stays plain ONNX (exports, gradients); a train step, whose backward reads the intermediates, keeps it.
 */
export interface Fusion {
  kind: string;
  inputs: Value[];
  outputs: Value[];
  build(g: Graph, inputs: Value[]): Value[];
}

/** Builds one ONNX graph. */
export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  /** Parameters by checkpoint key, in creation order. */
  readonly params = new Map<string, ParamSpec>();
  /** Small constants embedded in the model, by value name. */
  readonly constants = new Map<string, Tensor>();
  /** Every value by name (inputs, parameters, constants, node outputs): what gradient rules look up. */
  readonly values = new Map<string, Value>();
  /** Values marked as stop-gradient: the walker passes no gradient through them. */
  readonly stops = new Set<string>();
  /**
   * Nodes a lower-precision rewrite (core/runtime/precision.ts) must leave in float32: made inside
   * {@link Graph.exact} (a quantizer's distances and codebook lookups, where a rounding flips ids).
   */
  readonly exactNodes = new Set<string>();
  /** Regions a runtime may replace by a faster equivalent ({@link Fusion}). */
  readonly fusions: Fusion[] = [];
  private readonly scopes: string[] = [];
  /** Values whose producing node now writes a graph-output name (old name → output name). */
  private readonly renamed = new Map<string, string>();
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** The current scope path, dot-joined (`encoder.transformer.0`). */
  get path(): string {
    return this.scopes.join(".");
  }

  /** Runs `fn` with `name` pushed on the scope path; parameters and nodes made inside are prefixed. */
  scope<T>(name: string | number, fn: () => T): T {
    this.scopes.push(String(name));
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** Runs `fn`, marking every node it adds as one that must stay float32 (see {@link Graph.exactNodes}). */
  exact<T>(fn: () => T): T {
    const first = this.nodes.length;
    try {
      return fn();
    } finally {
      for (const n of this.nodes.slice(first)) this.exactNodes.add(n.name);
    }
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    this.claim(name);
    const v: Value = { name, dtype, shape: [...shape] };
    this.inputs.push(v);
    this.values.set(name, v);
    return v;
  }

  /** Declares (or reuses) a parameter named `<scope>.<local>`; a reuse must agree in shape. */
  param(local: string, shape: number[], dtype: DType = "float32"): Value {
    const name = this.path ? `${this.path}.${local}` : local;
    const known = this.params.get(name);
    if (known) {
      if (known.shape.join() !== shape.join() || known.dtype !== dtype) {
        throw new Error(`parameter ${name} declared twice: [${known.shape}] vs [${shape}]`);
      }
    } else {
      this.claim(name);
      this.params.set(name, { name, dtype, shape: [...shape] });
      this.values.set(name, { name, dtype, shape: [...shape] });
    }
    return this.values.get(name)!;
  }

  /** Embeds a constant tensor (kept inside the model; meant for small values). */
  constant(t: Tensor, hint = "const"): Value {
    const name = this.fresh(hint);
    this.constants.set(name, t);
    const v = { name, dtype: t.dtype, shape: [...t.shape] };
    this.values.set(name, v);
    return v;
  }

  /** Marks `v` as a graph output called `name` (an Identity node renames it if needed). */
  output(v: Value, name = v.name): Value {
    let out = v;
    const producer = name !== v.name ? this.producerOf(v.name) : undefined;
    if (producer && !this.outputs.some((o) => o.name === v.name) && !this.used.has(name)) {
      // Rename the producing node's output (and its uses) instead of adding an Identity copy.
      this.claim(name);
      producer.outputs = producer.outputs.map((o) => (o === v.name ? name : o));
      for (const n of this.nodes) n.inputs = n.inputs.map((i) => (i === v.name ? name : i));
      out = { name, dtype: v.dtype, shape: v.shape };
      this.values.set(name, out);
      this.values.set(v.name, out);
      if (this.stops.has(v.name)) this.stops.add(name);
      this.renamed.set(v.name, name);
    } else if (name !== v.name) {
      this.claim(name);
      this.nodes.push({
        name: this.fresh("Identity"),
        op: "Identity",
        inputs: [this.renamed.get(v.name) ?? v.name],
        outputs: [name],
        attrs: {},
      });
      out = { name, dtype: v.dtype, shape: v.shape };
      this.values.set(name, out);
    }
    this.outputs.push(out);
    return out;
  }

  /**
   * Appends a node whose outputs have the given types (computed by the op's
   * shape rule) and returns them as values. Optional inputs may be `undefined`
   * (encoded as empty names, as ONNX wants).
   */
  addNode(
    op: string,
    inputs: (Value | undefined)[],
    attrs: Record<string, Attr>,
    outputs: { dtype: DType; shape: readonly Dim[] }[],
    domain?: string,
  ): Value[] {
    const nodeName = this.fresh(op);
    const outs = outputs.map((o, i) => ({
      name: outputs.length === 1 ? nodeName : `${nodeName}:${i}`,
      dtype: o.dtype,
      shape: [...o.shape],
    }));
    if (outs.length > 1) { for (const o of outs) this.claim(o.name); }
    for (const o of outs) this.values.set(o.name, o);
    const trimmed = [...inputs];
    while (trimmed.length && trimmed[trimmed.length - 1] === undefined) trimmed.pop();
    this.nodes.push({
      name: nodeName,
      op,
      inputs: trimmed.map((v) => (v ? this.renamed.get(v.name) ?? v.name : "")),
      outputs: outs.map((o) => o.name),
      attrs,
      domain,
    });
    return outs;
  }

  /** The node that produces `name`, if any. */
  private producerOf(name: string): GraphNode | undefined {
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      if (this.nodes[i].outputs.includes(name)) return this.nodes[i];
    }
    return undefined;
  }

  /** The current name of a value (a value renamed as a graph output keeps working under its old name). */
  resolve(v: Value): Value {
    const name = this.renamed.get(v.name);
    return name ? this.values.get(name)! : v;
  }

  /** A name not used yet, prefixed by the scope path. */
  fresh(hint: string): string {
    const base = this.path ? `${this.path}/${hint}` : hint;
    let name = `${base}_${this.counter++}`;
    while (this.used.has(name)) name = `${base}_${this.counter++}`;
    this.used.add(name);
    return name;
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new Error(`graph ${this.name}: the name '${name}' is already used`);
    this.used.add(name);
  }
}
