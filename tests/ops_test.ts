/**
 * Runs every forward case of every registered op through ONNX Runtime and
 * compares with the hand-computed expected values. An op without a case fails.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../core/graph/graph.ts";
import { OPS } from "../core/ops/mod.ts";
import { Session } from "../core/runtime/session.ts";
import type { Tensor } from "../core/tensor.ts";
import { gradCheck } from "../core/autodiff/gradcheck.ts";

function close(got: Tensor, want: Tensor, tol: number, where: string) {
  deepStrictEqual(got.shape, want.shape, `${where}: shape`);
  deepStrictEqual(got.dtype, want.dtype, `${where}: dtype`);
  for (let i = 0; i < want.data.length; i++) {
    const a = Number(got.data[i]);
    const b = Number(want.data[i]);
    ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${where}[${i}]: got ${a}, want ${b}`);
  }
}

for (const [type, def] of Object.entries(OPS)) {
  Deno.test(`op ${type}: forward cases`, async () => {
    ok(def.cases.length > 0, `${type} has no forward case`);
    // A registry key is the ONNX type, or starts with it when one type has several entries (ResizeLinear).
    ok(type === def.key, `registry key ${type} is not its entry's key ${def.key}`);
    ok(type.startsWith(def.type), `registry key ${type} does not start with its ONNX type ${def.type}`);
    for (const c of def.cases) {
      const g = new Graph(`${type}_${c.name}`);
      const ins = c.inputs.map((t, i) => g.input(`x${i}`, t.dtype, t.shape));
      const outs = def.emit(g, ins, c.options);
      outs.forEach((v, i) => g.output(v, `y${i}`));
      deepStrictEqual(outs.map((o) => o.shape), c.expected.map((e) => e.shape), `${c.name}: static shape`);
      const s = await Session.create(g, new Map(), { threads: 1 });
      const feeds = Object.fromEntries(c.inputs.map((t, i) => [`x${i}`, t]));
      const res = await s.run(feeds);
      c.expected.forEach((e, i) => close(res[`y${i}`], e, c.tolerance ?? 1e-6, `${type} ${c.name} y${i}`));
      await s.release();
    }
  });
}

for (const [key, def] of Object.entries(OPS)) {
  Deno.test(`op ${key}: gradient checks against central differences`, async () => {
    if (def.vjp === null) {
      ok(def.gradCases.length === 0, `${key} declares no gradient but has grad cases`);
      return;
    }
    ok(def.gradCases.length > 0, `${key} has a vjp rule but no grad-check case`);
    for (const c of def.gradCases) {
      const r = await gradCheck(def, c);
      const tol = r.dtype === "float64" ? 1e-6 : 2e-2;
      ok(
        r.relativeError < tol,
        `${key} ${c.name} (${r.dtype}): analytic ${r.analytic} vs numeric ${r.numeric} (rel. error ${r.relativeError})`,
      );
    }
  });
}
