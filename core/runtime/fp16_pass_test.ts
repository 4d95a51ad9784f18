/**
 * The fp16 rewrite (for cuda/tensorrt, absent here) is checked on the CPU:
 * every graph of every family's tiny config, rewritten, is accepted by ONNX
 * Runtime (its type inference rejects any node whose input types disagree);
 * float16 reaches the weight-heavy ops; inputs and outputs keep their types;
 * LayerNorm, softmax and the quantizer's exact nodes stay float32; and the
 * rewritten TiTok computes what float32 does within float16 error.
 */
import { deepStrictEqual, ok } from "node:assert";
import { PLUGINS } from "../../plugins/mod.ts";
import { resolveModel } from "../resolve.ts";
import { memoGraphs, parameterShapes } from "../graphs.ts";
import { randomWeights, Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";
import { Session } from "./session.ts";
import { fp16Rewrite, KEEP_FP32 } from "./fp16_pass.ts";

function tiny(family: string) {
  const m = resolveModel(`${family}/tiny`);
  const builders = memoGraphs(m.plugin.graphs(m.config as never, {}));
  const specs = [...parameterShapes(builders)].map(([name, shape]) => ({
    name,
    shape,
    dtype: "float32" as const,
  }));
  return { builders, weights: randomWeights(specs, 0) };
}

Deno.test("fp16 pass: every family's graphs are valid float16 graphs with float32 islands", async () => {
  for (const family of Object.keys(PLUGINS)) {
    const { builders, weights } = tiny(family);
    // One graph per kind (ALIT's iter_1…iter_7 repeat iter_1, its decode_64… decode_32).
    const kinds = new Set<string>();
    for (const [name, build] of Object.entries(builders)) {
      const kind = name.replace(/_\d+$/, "") + (name.endsWith("_0") ? "0" : "");
      if (kinds.has(kind)) continue;
      kinds.add(kind);
      const g = build();
      const half = fp16Rewrite(g, weights);
      const what = `${family}/${name}`;
      deepStrictEqual(half.graph.inputs, g.inputs, `${what}: inputs unchanged`);
      deepStrictEqual(half.graph.outputs, g.outputs, `${what}: outputs unchanged`);
      const heavy = half.graph.nodes.filter((n) =>
        ["Gemm", "MatMul", "Conv"].includes(n.op) && !g.exactNodes.has(n.name)
      );
      ok(
        heavy.length && heavy.some((n) => n.inputs.some((i) => i.endsWith("::fp16"))),
        `${what}: fp16 weights`,
      );
      for (const n of half.graph.nodes) {
        if (KEEP_FP32.has(n.op) && n.op !== "Cast" || g.exactNodes.has(n.name)) {
          ok(
            !n.inputs.some((i) => half.graph.values.get(i)?.dtype === "float16"),
            `${what}: ${n.name} reads fp16`,
          );
        }
      }
      // ORT's graph resolution checks every node's input types; the CPU runs float16 nodes via casts.
      // No CPU fusions: on cuda/tensorrt (fp16's devices) sessions do not fuse by default.
      const s = await Session.create(half.graph, new Map([...weights, ...half.weights]), {
        threads: 1,
        fuse: false,
      });
      await s.release();
    }
  }
});

Deno.test("fp16 pass: TiTok tiny in float16 computes float32's latent and image within float16 error", async () => {
  const { builders, weights } = tiny("titok");
  const rng = new Rng(5);
  for (const name of ["encoder", "decoder"]) {
    const g = builders[name]();
    const half = fp16Rewrite(g, weights);
    const feeds: Record<string, Tensor> = {};
    for (const v of g.inputs) {
      const shape = v.shape.map((d) => (typeof d === "number" ? d : 2));
      const n = shape.reduce((a, b) => a * b, 1);
      feeds[v.name] = { dtype: "float32", shape, data: Float32Array.from({ length: n }, () => rng.next()) };
    }
    const a = await Session.create(g, weights, { threads: 1, fuse: false });
    const b = await Session.create(half.graph, new Map([...weights, ...half.weights]), {
      threads: 1,
      fuse: false,
    });
    try {
      const x = await a.run(feeds), y = await b.run(feeds);
      for (const out of g.outputs.filter((o) => o.dtype === "float32")) {
        const p = x[out.name].data as Float32Array, q = y[out.name].data as Float32Array;
        let err = 0, scale = 0;
        p.forEach((v, i) => {
          err = Math.max(err, Math.abs(v - q[i]));
          scale = Math.max(scale, Math.abs(v));
        });
        ok(err / scale < 2e-2 && err > 0, `${name}.${out.name}: max error ${err} of ${scale}`);
      }
    } finally {
      await a.release();
      await b.release();
    }
  }
});
