/**
 * Conv gradients (grouped and depthwise), by Conv's rule, element by element
 * against a direct loop over the convolution sum: dx[n,i,·] and dw[o,i,·] collect
 * dy[n,o,y,x] times the weight / input pixel each output pixel used.
 */
import { ok } from "node:assert";
import { Graph } from "../../graph/graph.ts";
import { conv, type ConvOptions } from "../conv.ts";
import { OPS } from "../mod.ts";
import { nodeGradients } from "../registry.ts";
import { rnd } from "../op.ts";
import { Session } from "../../runtime/session.ts";
import type { Tensor } from "../../tensor.ts";

/** dx and dw of L = Σ dy·conv(x, w) by the definition of the convolution. */
function direct(x: Tensor, w: Tensor, dy: Tensor, o: Required<Omit<ConvOptions, "dilations">>) {
  const [n, ci, h, wd] = x.shape;
  const [co, ig, kh, kw] = w.shape;
  const [, , oh, ow] = dy.shape;
  const og = co / o.group;
  const [xv, wv, dv] = [x.data, w.data, dy.data] as Float32Array[];
  const dx = new Float64Array(xv.length);
  const dw = new Float64Array(wv.length);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < co; oc++) {
      const grp = Math.floor(oc / og);
      for (let i = 0; i < ig; i++) {
        const c = grp * ig + i;
        for (let y = 0; y < oh; y++) {
          for (let xx = 0; xx < ow; xx++) {
            const d = dv[((b * co + oc) * oh + y) * ow + xx];
            for (let a = 0; a < kh; a++) {
              for (let e = 0; e < kw; e++) {
                const r = y * o.strides[0] + a - o.pads[0];
                const q = xx * o.strides[1] + e - o.pads[1];
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                const xi = ((b * ci + c) * h + r) * wd + q;
                const wi = ((oc * ig + i) * kh + a) * kw + e;
                dx[xi] += d * wv[wi];
                dw[wi] += d * xv[xi];
              }
            }
          }
        }
      }
    }
  }
  return { dx, dw };
}

async function check(xShape: number[], wShape: number[], o: Required<Omit<ConvOptions, "dilations">>) {
  const x = rnd(xShape, 1);
  const w = rnd(wShape, 2);
  const g = new Graph("conv_grad");
  const xv = g.input("x", "float32", xShape);
  const wv = g.input("w", "float32", wShape);
  const y = conv(g, xv, wv, undefined, o);
  const dy = rnd(y.shape as number[], 3);
  const [dx, dw] = nodeGradients(g, OPS, y, g.constant(dy, "dy"))!;
  g.output(dx!, "dx");
  g.output(dw!, "dw");
  const s = await Session.create(g, new Map(), { threads: 1 });
  const got = await s.run({ x, w });
  await s.release();
  const want = direct(x, w, dy, o);
  for (const [name, ref] of [["dx", want.dx], ["dw", want.dw]] as const) {
    const v = got[name].data as Float32Array;
    ok(v.length === ref.length, `${name}: ${v.length} values, want ${ref.length}`);
    for (let i = 0; i < ref.length; i++) {
      ok(
        Math.abs(v[i] - ref[i]) < 1e-4 * Math.max(1, Math.abs(ref[i])),
        `${name}[${i}]: ${v[i]} vs ${ref[i]}`,
      );
    }
  }
}

Deno.test("conv grad: 2 groups, 3x3, stride 2, pad 1", () =>
  check([2, 4, 7, 6], [6, 2, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1], group: 2 }));

Deno.test("conv grad: ConvNeXt depthwise 7x7 pad 3", () =>
  check([2, 4, 9, 9], [4, 1, 7, 7], { strides: [1, 1], pads: [3, 3, 3, 3], group: 4 }));

Deno.test("conv grad: blur pool 4x4 stride 2, pads [1,1,2,2], depthwise", () =>
  check([1, 3, 9, 8], [3, 1, 4, 4], { strides: [2, 2], pads: [1, 1, 2, 2], group: 3 }));

Deno.test("conv grad: depth multiplier 2 (groups = in channels, 2 outputs each)", () =>
  check([1, 2, 5, 5], [4, 1, 3, 3], { strides: [1, 1], pads: [1, 1, 1, 1], group: 2 }));

Deno.test("conv grad: ungrouped stride 2 (unchanged path)", () =>
  check([2, 3, 6, 5], [2, 3, 3, 3], { strides: [2, 2], pads: [0, 1, 1, 0], group: 1 }));

Deno.test("conv grad: stride 1, 2 groups of 3 outputs × 2 inputs, asymmetric pads (flipped-kernel Conv)", () =>
  check([2, 4, 6, 5], [6, 2, 3, 3], { strides: [1, 1], pads: [0, 1, 2, 1], group: 2 }));

Deno.test("conv grad: stride 1 dense 3x2 kernel, pads [1,0,1,1]", () =>
  check([1, 3, 5, 6], [4, 3, 3, 2], { strides: [1, 1], pads: [1, 0, 1, 1], group: 1 }));

Deno.test("conv grad: stride 1 with padding past the kernel (ConvTranspose fallback)", () =>
  check([1, 2, 3, 3], [3, 2, 1, 1], { strides: [1, 1], pads: [1, 1, 1, 1], group: 1 }));
