/**
 * LeakyRelu at the kink, where finite differences are ill-defined: torch's
 * backward uses the negative slope at x = 0 (its mask is x > 0).
 */
import { deepStrictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { Session } from "../runtime/session.ts";
import { leakyRelu } from "./leaky_relu.ts";
import { OPS } from "./mod.ts";
import { nodeGradients } from "./registry.ts";
import { t } from "./op.ts";

Deno.test("leaky relu: gradient at 0 is the negative slope, as torch", async () => {
  for (const dtype of ["float32", "float64"] as const) {
    const g = new Graph("leaky_relu_kink");
    const x = g.input("x", dtype, [3]);
    const y = leakyRelu(g, x, 0.25);
    g.output(y, "y");
    g.output(nodeGradients(g, OPS, y, g.constant(t(dtype, [3], [4, 8, 2]), "dy"))![0]!, "dx");
    const s = await Session.create(g, new Map(), { threads: 1 });
    const r = await s.run({ x: t(dtype, [3], [-2, 0, 3]) });
    await s.release();
    deepStrictEqual(Array.from(r.y.data as ArrayLike<number>), [-0.5, 0, 3], dtype);
    deepStrictEqual(Array.from(r.dx.data as ArrayLike<number>), [1, 2, 2], dtype);
  }
});
