/**
 * The train-step graph's interface: trainable, frozen and fed parameters,
 * batch inputs apart from carried state, extra outputs, and the optional
 * weight EMA — checked on a one-weight loss whose update is worked by hand.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Session } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import { add, mul, reduceSum } from "../ops/mod.ts";
import { buildTrainStep, type LossBuilder } from "./train_step.ts";

const t = (shape: number[], data: number[]): Tensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(data),
});

// loss = Σ a·x·b + c; state `count` → count + 1; output `ax` = a·x.
const loss: LossBuilder = (g) => {
  const x = g.input("x", "float32", [2]);
  const count = g.input("count", "float32", [1]);
  const ax = mul(g, g.param("a", [2]), x);
  const total = add(
    g,
    reduceSum(g, mul(g, ax, g.param("b", [2])), [0], false),
    reduceSum(g, g.param("c", [1]), [0], false),
  );
  return { terms: {}, total, outputs: { ax }, state: { count: add(g, count, count) } };
};
const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clipNorm: 0 };

Deno.test("train step: fed parameters are inputs, state and extra outputs are named, EMA is optional", async () => {
  const step = buildTrainStep("t", loss, (n) => n === "a", ADAM, { isFed: (n) => n === "b", ema: false });
  deepStrictEqual(step.trainable.map((p) => p.name), ["a"]);
  deepStrictEqual(step.fed.map((p) => p.name), ["b"]);
  deepStrictEqual(step.frozen.map((p) => p.name), ["c"]);
  deepStrictEqual(step.batchInputs.map((v) => v.name), ["x"]);
  deepStrictEqual(step.stateInputs.map((v) => v.name), ["count"]);
  deepStrictEqual(step.outputs, ["ax"]);
  ok(!step.graph.inputs.some((v) => v.name === "ema_decay" || v.name.startsWith("ema.")));
  // Only the frozen weight is an initializer; `b` is fed like the trained `a`.
  const s = await Session.create(step.graph, new Map([["c", t([1], [5])]]));
  const r = await s.run({
    x: t([2], [1, 2]),
    count: t([1], [3]),
    a: t([2], [1, 1]),
    b: t([2], [0.5, -1]),
    "adam_m.a": t([2], [0, 0]),
    "adam_v.a": t([2], [0, 0]),
    step: t([], [1]),
    lr: t([], [0.1]),
  });
  await s.release();
  deepStrictEqual([...r.loss.data], [1 * 0.5 - 2 + 5]);
  deepStrictEqual([...r["new.count"].data], [6]);
  deepStrictEqual([...r.ax.data], [1, 2]);
  // d loss/d a = x·b = (0.5, −2); Adam's first step moves each weight by lr·sign.
  const a = [...r["new.a"].data as Float32Array];
  ok(Math.abs(a[0] - 0.9) < 1e-6 && Math.abs(a[1] - 1.1) < 1e-6, `${a}`);
});

Deno.test("train step: restarted rows replace the updated parameter and restart their moments; draws are inputs", async () => {
  // loss = Σ w·x over a (2,2) weight; row 1 is restarted onto `rows` (mask [0, 1]); `pick` is a draw input.
  const step = buildTrainStep(
    "restart",
    (g) => {
      const x = g.input("x", "float32", [2, 2]);
      const pick = g.input("pick", "int64", [2]);
      const w = g.param("w", [2, 2]);
      const total = reduceSum(g, mul(g, w, x), [0, 1], false);
      const rows = g.constant(t([2, 2], [0, 0, 7, 8]), "rows");
      const mask = g.constant(t([2, 1], [0, 1]), "mask");
      return {
        terms: {},
        total,
        outputs: { picked: add(g, pick, pick) },
        restarts: { w: { rows, mask } },
        draws: { pick: 5 },
      };
    },
    () => true,
    ADAM,
  );
  deepStrictEqual(step.batchInputs.map((v) => v.name), ["x"]);
  deepStrictEqual(step.draws.map((d) => [d.input.name, d.high]), [["pick", 5]]);
  const s = await Session.create(step.graph, new Map());
  const r = await s.run({
    x: t([2, 2], [1, -1, 1, 1]),
    pick: { dtype: "int64", shape: [2], data: BigInt64Array.of(1n, 4n) },
    w: t([2, 2], [1, 1, 1, 1]),
    "adam_m.w": t([2, 2], [0, 0, 0, 0]),
    "adam_v.w": t([2, 2], [0, 0, 0, 0]),
    "ema.w": t([2, 2], [1, 1, 1, 1]),
    step: t([], [1]),
    lr: t([], [0.1]),
    ema_decay: t([], [0]),
  });
  await s.release();
  // Row 0 takes Adam's first step (−lr·sign(x)); row 1 is the restart target, with zero moments.
  const w = [...r["new.w"].data as Float32Array];
  ok([0.9, 1.1, 7, 8].every((v, i) => Math.abs(w[i] - v) < 1e-6), `${w}`);
  const m = [...r["new.adam_m.w"].data as Float32Array];
  ok(m[0] !== 0 && m[1] !== 0 && m[2] === 0 && m[3] === 0, `${m}`);
  deepStrictEqual([...r["new.ema.w"].data as Float32Array].slice(2), [7, 8]);
  deepStrictEqual([...r.picked.data], [2n, 8n]);
});
