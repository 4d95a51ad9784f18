/**
 * Training sessions update the optimizer state in place where that is safe,
 * and a step run that way equals a copying one — also when clipping is off
 * and a weight's update could run before the backward is done with it.
 */
import { deepStrictEqual, ok } from "node:assert";
import { buildTrainStep, stateUpdates, type TrainStep } from "../autodiff/train_step.ts";
import { TITOK_ADAMW } from "../autodiff/optimizer.ts";
import { f32, matmul, mul, reduceSum, transpose } from "../ops/mod.ts";
import { Session } from "../runtime/session.ts";
import type { Tensor } from "../tensor.ts";
import { StepSessions } from "./sessions.ts";

/** loss = Σ (W₂·W₁·x)²: the backward reads W₂ to reach W₁. */
function twoLayers(clipNorm: number): TrainStep {
  return buildTrainStep(
    "two_layers",
    (g) => {
      const x = g.input("x", "float32", [3, 2]);
      const w1 = g.param("w1", [4, 2]);
      const w2 = g.param("w2", [2, 4]);
      const h = matmul(g, x, transpose(g, w1, [1, 0]));
      const y = matmul(g, h, transpose(g, w2, [1, 0]));
      return { terms: {}, total: reduceSum(g, mul(g, y, y), [0, 1], false) };
    },
    () => true,
    { ...TITOK_ADAMW, clipNorm },
  );
}

const initial = (): Record<string, Tensor> => ({
  w1: f32([4, 2], [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]),
  w2: f32([2, 4], [0.2, 0.1, -0.3, 0.5, 0.4, -0.6, 0.2, 0.1]),
});

function feedsFor(step: TrainStep, s: number): Record<string, Tensor> {
  const init = initial();
  const feeds: Record<string, Tensor> = {
    x: f32([3, 2], [1, 2, -1, 0.5, 0.25, -2]),
    step: f32([], [s]),
    lr: f32([], [0.05]),
    ema_decay: f32([], [0.9]),
  };
  for (const p of step.trainable) {
    feeds[p.name] = init[p.name];
    feeds[`adam_m.${p.name}`] = f32(p.shape, new Array(init[p.name].data.length).fill(0));
    feeds[`adam_v.${p.name}`] = f32(p.shape, new Array(init[p.name].data.length).fill(0));
    feeds[`ema.${p.name}`] = f32(p.shape, [...init[p.name].data] as number[]);
  }
  return feeds;
}

/** Three steps, each fed the previous step's outputs; returns the final state. */
async function threeSteps(step: TrainStep, session: Session): Promise<Record<string, number[]>> {
  let feeds = feedsFor(step, 1);
  for (let s = 1; s <= 3; s++) {
    const r = await session.run({ ...feeds, step: f32([], [s]) });
    const next = { ...feeds };
    for (const [input, output] of stateUpdates(step)) next[input] = r[output];
    feeds = next;
  }
  return Object.fromEntries(
    stateUpdates(step).map(([input]) => [input, [...feeds[input].data as Float32Array]]),
  );
}

Deno.test("StepSessions: with clipping by global norm every piece of state is updated in place", async () => {
  const step = twoLayers(1);
  const sessions = new StepSessions(new Map(), { threads: 1 });
  const session = await sessions.get("plain", "0", () => step);
  deepStrictEqual([...session.inPlace.values()].sort(), stateUpdates(step).map(([i]) => i).sort());
  // Cached within the phase; another phase releases it.
  deepStrictEqual(await sessions.get("plain", "0", () => step), session);
  await sessions.release();
});

for (const clipNorm of [1, 0]) {
  Deno.test(`in-place state: three steps equal a copying session's (clip ${clipNorm})`, async () => {
    const step = twoLayers(clipNorm);
    const copying = await Session.create(step.graph, new Map(), { threads: 1 });
    const inPlace = await Session.create(step.graph, new Map(), { threads: 1, inPlace: stateUpdates(step) });
    if (clipNorm === 0) {
      // W₂'s update needs only dW₂, so it could be written before dh = dy·W₂ reads W₂: refused.
      ok(!inPlace.inPlace.has("new.w2"), "w2 must not be updated in place without clipping");
      ok(inPlace.inPlace.has("new.adam_m.w2") && inPlace.inPlace.has("new.ema.w1"));
    } else {
      deepStrictEqual(inPlace.inPlace.size, stateUpdates(step).length);
    }
    const a = await threeSteps(step, copying);
    const b = await threeSteps(step, inPlace);
    deepStrictEqual(b, a);
    ok(a.w2.some((v, i) => v !== initial().w2.data[i]), "the weights moved");
    await copying.release();
    await inPlace.release();
  });
}
