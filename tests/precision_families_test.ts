/**
 * `--precision int8` and `bf16` for every family: each family's tiny config
 * (seeded random weights) encodes and decodes at both precisions with the
 * shapes and dtypes of fp32, finite outputs, and the int8 rewrite quantizes
 * Linear/MatMul weights in every graph the encode and decode programs run
 * that has them (a conv-only pixel decoder stays fp32).
 */
import { deepStrictEqual, ok } from "node:assert";
import { PLUGINS } from "../plugins/mod.ts";
import { loadTokenizer } from "../core/tokenizer.ts";
import { int8Rewrite } from "../core/runtime/int8_pass.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Precision } from "../core/runtime/precision.ts";

function input(shape: number[]): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 255) / 255;
  return { dtype: "float32", shape, data };
}

for (const plugin of Object.values(PLUGINS)) {
  Deno.test(`precision int8/bf16 (${plugin.name}/tiny): encode → decode with fp32's shapes; int8 quantizes every graph`, async () => {
    const results: Record<string, { tokens: Tensor; image: Tensor }> = {};
    for (const precision of ["fp32", "int8", "bf16"] as Precision[]) {
      const tok = await loadTokenizer(`${plugin.name}/tiny`, {
        random: true,
        seed: 1,
        threads: 1,
        precision,
        keepWeights: true,
      });
      try {
        const spec = tok.info.input;
        const x = input(
          spec.kind === "video"
            ? [1, spec.frames, 3, spec.height, spec.width]
            : [1, 3, spec.height, spec.width],
        );
        // The smallest budget: ALIT runs one iteration instead of eight.
        const tokens = (await tok.encode(x, { budget: tok.info.budgets[0] })).tokens;
        const image = await tok.decode(tokens);
        ok([...image.data as Float32Array].every(Number.isFinite), `${precision}: finite`);
        results[precision] = { tokens, image };
        if (precision === "int8") {
          for (const name of tok.openedGraphs) {
            // Graphs with a Linear/MatMul weight (not a conv decoder alone) get int8 products.
            const g = tok.graph(name);
            const linear = g.nodes.some((n) =>
              ["Gemm", "MatMul"].includes(n.op) && g.params.has(n.inputs[1])
            );
            const ops = int8Rewrite(g, tok.weights).graph.nodes.map((n) => n.op);
            ok(
              !linear || ops.includes("DynamicQuantizeMatMul"),
              `${name}: nothing quantized (${[...new Set(ops)]})`,
            );
          }
        }
      } finally {
        await tok.release();
      }
    }
    for (const p of ["int8", "bf16"]) {
      deepStrictEqual(results[p].tokens.shape, results.fp32.tokens.shape);
      deepStrictEqual(results[p].tokens.dtype, results.fp32.tokens.dtype);
      deepStrictEqual(results[p].image.shape, results.fp32.image.shape);
    }
  });
}
