/**
 * linear / timesTransposed: values against a JS reference for 2-D, numeric
 * N-D and symbolic inputs; no Transpose of the weight in the graph (ONNX
 * Runtime would fold a transposed copy of it); gradients of x, W and b
 * against central differences.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph, type Value } from "../graph/graph.ts";
import type { Dim } from "../graph/shape.ts";
import { rnd } from "../ops/mod.ts";
import { gradCheck } from "../autodiff/gradcheck.ts";
import { Session } from "../runtime/session.ts";
import type { Tensor } from "../tensor.ts";
import { near } from "../quantizers/_testutil.ts";
import { linear, timesTransposed } from "./linear.ts";

const IN = 4, OUT = 3;

/** y = x Wᵀ + b row by row, in float64. */
function reference(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const xs = x.data as Float32Array, ws = w.data as Float32Array, bs = b.data as Float32Array;
  const rows = xs.length / IN;
  const y = new Float32Array(rows * OUT);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < OUT; o++) {
      let s = bs[o];
      for (let i = 0; i < IN; i++) s += xs[r * IN + i] * ws[o * IN + i];
      y[r * OUT + o] = s;
    }
  }
  return { dtype: "float32", shape: [...x.shape.slice(0, -1), OUT], data: y };
}

const W = rnd([OUT, IN], 2), B = rnd([OUT], 3);

for (
  const [declared, fed] of [
    [[5, IN], [5, IN]],
    [[2, 5, IN], [2, 5, IN]],
    [["B", 5, IN], [2, 5, IN]],
    [["B", "T", IN], [2, 3, IN]],
    [[2, "T", 3, IN], [2, 2, 3, IN]],
  ] as [Dim[], number[]][]
) {
  Deno.test(`linear: x [${declared}] → x Wᵀ + b, no Transpose node`, async () => {
    const g = new Graph("lin");
    const y = g.scope("fc", () => linear(g, g.input("x", "float32", declared), IN, OUT));
    deepStrictEqual(y.shape, [...declared.slice(0, -1), OUT]);
    g.output(y, "y");
    ok(!g.nodes.some((n) => n.op === "Transpose" || n.op === "MatMul"), g.nodes.map((n) => n.op).join());
    const gemm = g.nodes.filter((n) => n.op === "Gemm");
    deepStrictEqual(gemm.map((n) => [n.inputs[1], n.attrs.transB]), [["fc.weight", {
      type: "int",
      value: 1,
    }]]);
    const s = await Session.create(g, new Map([["fc.weight", W], ["fc.bias", B]]), { threads: 1 });
    const x = rnd(fed, 1);
    const out = await s.run({ x });
    await s.release();
    near(out.y, reference(x, W, B), 1e-6, "y");
  });
}

Deno.test("timesTransposed: x, W and b pass the central-difference check (3-D and 2-D, no bias)", async () => {
  const def = {
    key: "Linear",
    type: "Linear",
    emit: (g: Graph, [x, w, b]: Value[]) => [timesTransposed(g, x, w, b)],
    cases: [],
    vjp: null,
    gradCases: [],
  };
  for (
    const inputs of [
      [rnd([2, 3, IN], 5), rnd([OUT, IN], 6), rnd([OUT], 7)],
      [rnd([3, IN], 8), rnd([OUT, IN], 9)],
    ]
  ) {
    const r = await gradCheck(def, { name: `x [${inputs[0].shape}]`, inputs });
    ok(r.relativeError < (r.dtype === "float64" ? 1e-6 : 2e-2), JSON.stringify(r));
  }
});
