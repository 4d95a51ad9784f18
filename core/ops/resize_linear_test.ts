/**
 * The Resize gradients (linear and nearest), through the registry's dispatch
 * (which entry takes each node is part of what is tested), element by element
 * against the Jacobian that ONNX Runtime's own forward Resize has: resizing
 * each basis image e_k gives column k, so dx[k] = ⟨resize(e_k), dy⟩.
 */
import { ok, strictEqual } from "node:assert";
import { Graph, type Value } from "../graph/graph.ts";
import { Session } from "../runtime/session.ts";
import { resizeBilinear, type ResizeCoordinates } from "./resize_linear.ts";
import { upsampleNearest } from "./resize.ts";
import { OPS } from "./mod.ts";
import { entryFor, nodeGradients } from "./registry.ts";
import { nodeContext, producer } from "./_grad/rule.ts";
import { f32, rnd } from "./op.ts";

function run(shape: number[], build: (g: Graph, x: Value) => Value, withGrad: boolean, dy?: Float32Array) {
  const g = new Graph("resize_grad");
  const x = g.input("x", "float32", shape);
  const y = build(g, x);
  if (withGrad) {
    const dyc = g.constant(f32(y.shape as number[], Array.from(dy!)), "dy");
    g.output(nodeGradients(g, OPS, y, dyc)![0]!, "out");
  } else g.output(y, "out");
  return { g, y };
}

/** dx of `build`'s Resize node by the rule of the entry that takes it (`entry`), against the Jacobian. */
async function check(h: number, w: number, entry: string, build: (g: Graph, x: Value) => Value) {
  const n = h * w;
  // Forward on the n basis images (a batch), then the rule's gradient on one random image.
  const basis = f32([n, 1, h, w], Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)));
  const fwd = run([n, 1, h, w], build, false);
  const s1 = await Session.create(fwd.g, new Map(), { threads: 1 });
  const columns = (await s1.run({ x: basis })).out.data as Float32Array;
  await s1.release();
  const [, , oh, ow] = fwd.y.shape as number[];
  const dy = rnd([1, 1, oh, ow], 9).data as Float32Array;
  const bwd = run([1, 1, h, w], build, true, dy);
  const node = producer(bwd.g, bwd.y)!;
  strictEqual(entryFor(OPS, node, nodeContext(bwd.g, node))?.key, entry);
  const s2 = await Session.create(bwd.g, new Map(), { threads: 1 });
  const dx = (await s2.run({ x: rnd([1, 1, h, w], 3) })).out.data as Float32Array;
  await s2.release();
  for (let k = 0; k < n; k++) {
    let want = 0;
    for (let j = 0; j < oh * ow; j++) want += columns[k * oh * ow + j] * dy[j];
    ok(Math.abs(dx[k] - want) < 1e-5, `dx[${k}]: ${dx[k]} vs ${want}`);
  }
}

const bilinear = (oh: number, ow: number, c: ResizeCoordinates) => (g: Graph, x: Value) =>
  resizeBilinear(g, x, oh, ow, c);

Deno.test("resize grad: bilinear half pixel upsampling 3x4 → 7x9", () =>
  check(3, 4, "ResizeLinear", bilinear(7, 9, "pytorch_half_pixel")));

Deno.test("resize grad: bilinear half pixel downsampling 6x7 → 4x3", () =>
  check(6, 7, "ResizeLinear", bilinear(4, 3, "pytorch_half_pixel")));

Deno.test("resize grad: bilinear asymmetric upsampling 4x3 → 8x5", () =>
  check(4, 3, "ResizeLinear", bilinear(8, 5, "asymmetric")));

Deno.test("resize grad: bilinear asymmetric downsampling 7x6 → 3x4", () =>
  check(7, 6, "ResizeLinear", bilinear(3, 4, "asymmetric")));

Deno.test("resize grad: nearest 2x (AdaptiveMaxPool 8 → 16) sums each block", () =>
  check(4, 3, "Resize", (g, x) => upsampleNearest(g, x, 2)));
