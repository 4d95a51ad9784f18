/**
 * Clip + AdamW + EMA graph nodes against torch's update written out literally
 * in float64 (clip_grad_norm_, then AdamW: decay p·(1 − lr·wd), m, v, bias
 * corrections, p − lr/bc₁ · m/(√v/√bc₂ + ε); then the EMA), over three steps
 * with the clip active and inactive, with and without weight decay.
 */
import { ok } from "node:assert";
import { Graph, type Value } from "../graph/graph.ts";
import { rnd } from "../ops/op.ts";
import { Session } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import { adamwUpdate, clipByGlobalNorm, emaUpdate, TITOK_ADAMW } from "./optimizer.ts";

const SHAPES = [[3, 4], [5]];
const DECAY = [true, false];

/** One step of torch's recipe on float64 copies; mutates the state arrays. */
function reference(
  state: { p: number[][]; m: number[][]; v: number[][]; ema: number[][] },
  grads: number[][],
  t: number,
  lr: number,
  emaDecay: number,
  clipNorm: number,
): number {
  const o = TITOK_ADAMW;
  const norm = Math.sqrt(grads.flat().reduce((s, d) => s + d * d, 0));
  const coef = clipNorm ? Math.min(1, clipNorm / (norm + 1e-6)) : 1;
  grads.forEach((d, i) => {
    for (let j = 0; j < d.length; j++) {
      const gr = d[j] * coef;
      if (DECAY[i]) state.p[i][j] *= 1 - lr * o.weightDecay;
      state.m[i][j] = o.beta1 * state.m[i][j] + (1 - o.beta1) * gr;
      state.v[i][j] = o.beta2 * state.v[i][j] + (1 - o.beta2) * gr * gr;
      const bc1 = 1 - o.beta1 ** t;
      const bc2 = 1 - o.beta2 ** t;
      state.p[i][j] -= (lr / bc1) * state.m[i][j] / (Math.sqrt(state.v[i][j]) / Math.sqrt(bc2) + o.eps);
      state.ema[i][j] = emaDecay * state.ema[i][j] + (1 - emaDecay) * state.p[i][j];
    }
  });
  return norm;
}

async function check(clipNorm: number, gradScale: number) {
  const g = new Graph("adamw");
  const ds = SHAPES.map((s, i) => g.input(`d${i}`, "float32", s));
  const ps = SHAPES.map((s, i) => g.input(`p${i}`, "float32", s));
  const ms = SHAPES.map((s, i) => g.input(`m${i}`, "float32", s));
  const vs = SHAPES.map((s, i) => g.input(`v${i}`, "float32", s));
  const emas = SHAPES.map((s, i) => g.input(`ema${i}`, "float32", s));
  const [step, lr, decay] = ["step", "lr", "decay"].map((n) => g.input(n, "float32", []));
  const o = { ...TITOK_ADAMW, clipNorm };
  const clipped = clipByGlobalNorm(g, ds, o.clipNorm);
  g.output(clipped.norm, "norm");
  SHAPES.forEach((_, i) => {
    const u = adamwUpdate(g, ps[i], clipped.grads[i], ms[i], vs[i], step, lr, o, DECAY[i]);
    const out = (v: Value, n: string) => g.output(v, `${n}${i}`);
    out(u.p, "new_p");
    out(u.m, "new_m");
    out(u.v, "new_v");
    out(emaUpdate(g, emas[i], u.p, decay), "new_ema");
  });
  const session = await Session.create(g, new Map());
  const f32 = (a: number[], shape: number[]): Tensor => ({
    dtype: "float32",
    shape,
    data: Float32Array.from(a),
  });
  const init = (seed: number) => SHAPES.map((s, i) => [...rnd(s, seed + i).data as Float32Array]);
  const ref = {
    p: init(10),
    m: SHAPES.map((s) => new Array(s.reduce((a, b) => a * b)).fill(0)),
    v: [] as number[][],
    ema: init(10),
  };
  ref.v = ref.m.map((x) => [...x]);
  const cur = {
    p: ref.p.map((x) => [...x]),
    m: ref.m.map((x) => [...x]),
    v: ref.v.map((x) => [...x]),
    ema: ref.ema.map((x) => [...x]),
  };
  for (let t = 1; t <= 3; t++) {
    const grads = SHAPES.map((s, i) =>
      [...rnd(s, 20 * t + i).data as Float32Array].map((x) => x * gradScale)
    );
    const feeds: Record<string, Tensor> = { step: f32([t], []), lr: f32([0.01], []), decay: f32([0.9], []) };
    SHAPES.forEach((s, i) => {
      feeds[`d${i}`] = f32(grads[i], s);
      feeds[`p${i}`] = f32(cur.p[i], s);
      feeds[`m${i}`] = f32(cur.m[i], s);
      feeds[`v${i}`] = f32(cur.v[i], s);
      feeds[`ema${i}`] = f32(cur.ema[i], s);
    });
    const r = await session.run(feeds);
    const norm = reference(ref, grads, t, 0.01, 0.9, clipNorm);
    ok(Math.abs(Number(r.norm.data[0]) - norm) < 1e-5 * norm, `norm ${r.norm.data[0]} vs ${norm}`);
    for (const [key, n] of [["p", "new_p"], ["m", "new_m"], ["v", "new_v"], ["ema", "new_ema"]] as const) {
      SHAPES.forEach((_, i) => {
        const got = [...r[`${n}${i}`].data as Float32Array];
        const want = ref[key][i];
        const scale = Math.max(...want.map(Math.abs));
        const err = Math.max(...got.map((x, j) => Math.abs(x - want[j])));
        ok(err <= 2e-6 * scale, `step ${t} ${n}${i}: max error ${err} (max |value| ${scale})`);
        cur[key][i] = got;
      });
    }
  }
  await session.release();
}

Deno.test("AdamW + clip + EMA: torch's update over 3 steps, clip active (norm ≫ 1)", () => check(1, 3));
Deno.test("AdamW + clip + EMA: torch's update over 3 steps, clip inactive (norm < 1)", () => check(1, 0.05));
Deno.test("AdamW + EMA without clipping", () => check(0, 3));
