/**
 * The AveragePool gradients, through the registry's dispatch (which entry
 * takes each node is part of what is tested), element by element against a
 * direct loop: each window hands dy/divisor to every real pixel it covers.
 */
import { ok, strictEqual } from "node:assert";
import { type Graph, int, ints, type Value } from "../graph/graph.ts";
import { Graph as G } from "../graph/graph.ts";
import { Session } from "../runtime/session.ts";
import { avgPoolPadded } from "./average_pool_padded.ts";
import { avgPool } from "./average_pool.ts";
import { pooledSize } from "./max_pool.ts";
import { OPS } from "./mod.ts";
import { entryFor, nodeGradients } from "./registry.ts";
import { nodeContext, producer } from "./_grad/rule.ts";
import { rnd } from "./op.ts";

interface Pool {
  k: number;
  s: number;
  pads: [number, number, number, number];
  includePad: boolean;
}

function direct(shape: number[], dy: Float32Array, o: Pool): Float64Array {
  const [n, c, h, w] = shape;
  const oh = pooledSize(h, o.k, o.s, o.pads[0], o.pads[2]) as number;
  const ow = pooledSize(w, o.k, o.s, o.pads[1], o.pads[3]) as number;
  const dx = new Float64Array(n * c * h * w);
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const cells: number[] = [];
        for (let a = 0; a < o.k; a++) {
          for (let b = 0; b < o.k; b++) {
            const r = i * o.s - o.pads[0] + a;
            const q = j * o.s - o.pads[1] + b;
            if (r >= 0 && r < h && q >= 0 && q < w) cells.push((p * h + r) * w + q);
          }
        }
        const share = dy[(p * oh + i) * ow + j] / (o.includePad ? o.k * o.k : cells.length);
        for (const at of cells) dx[at] += share;
      }
    }
  }
  return dx;
}

/** dL/dx for L = Σ dy·y by the rule of the entry that takes y's node (`entry`), against {@link direct}. */
async function check(shape: number[], o: Pool, entry: string, emit: (g: Graph, x: Value) => Value) {
  const g = new G("avg_pool_grad");
  const x = g.input("x", "float32", shape);
  const y = emit(g, x);
  const node = producer(g, y)!;
  strictEqual(entryFor(OPS, node, nodeContext(g, node))?.key, entry);
  const dy = rnd(y.shape as number[], 5);
  g.output(nodeGradients(g, OPS, y, g.constant(dy, "dy"))![0]!, "dx");
  const s = await Session.create(g, new Map(), { threads: 1 });
  const got = (await s.run({ x: rnd(shape, 1) })).dx.data as Float32Array;
  await s.release();
  const want = direct(shape, dy.data as Float32Array, o);
  for (let i = 0; i < want.length; i++) {
    ok(Math.abs(got[i] - want[i]) < 1e-6, `dx[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

const padded = (o: Pool) => (g: Graph, x: Value) =>
  avgPoolPadded(g, x, { kernel: o.k, stride: o.s, pads: o.pads });

Deno.test("avg pool grad: 3x3 stride 1 pad 1, padding left out of the mean", async () => {
  const o: Pool = { k: 3, s: 1, pads: [1, 1, 1, 1], includePad: false };
  await check([2, 3, 4, 5], o, "AveragePoolPadded", padded(o));
});

Deno.test("avg pool grad: 3x3 stride 2, asymmetric pads, odd size", async () => {
  const o: Pool = { k: 3, s: 2, pads: [0, 1, 1, 0], includePad: false };
  await check([1, 2, 7, 6], o, "AveragePoolPadded", padded(o));
});

Deno.test("avg pool grad: unpadded k x k (average_pool.ts's emitter)", async () => {
  const o: Pool = { k: 2, s: 2, pads: [0, 0, 0, 0], includePad: false };
  await check([1, 2, 4, 6], o, "AveragePool", (g, x) => avgPool(g, x, 2));
});

Deno.test("avg pool grad: unpadded k x k over a size k does not divide (the padded entry's rule)", async () => {
  const o: Pool = { k: 2, s: 2, pads: [0, 0, 0, 0], includePad: false };
  await check([1, 2, 5, 7], o, "AveragePoolPadded", (g, x) => avgPool(g, x, 2));
});

Deno.test("avg pool grad: count_include_pad=1 divides by k² everywhere", async () => {
  const o: Pool = { k: 3, s: 2, pads: [1, 1, 1, 1], includePad: true };
  await check([1, 2, 5, 5], o, "AveragePoolPadded", (g, x) =>
    g.addNode("AveragePool", [x], {
      kernel_shape: ints([3, 3]),
      strides: ints([2, 2]),
      pads: ints(o.pads),
      count_include_pad: int(1),
    }, [{ dtype: x.dtype, shape: [1, 2, 3, 3] }])[0]);
});
