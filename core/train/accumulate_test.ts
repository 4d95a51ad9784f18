/**
 * Accumulation's pieces: a `final` train step carries its `partial` twin
 * (gradient sums in, sums out, no optimiser inputs), the sums restart at each
 * step's first micro-batch, and logged values are micro-batch means.
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { buildTrainStep } from "../autodiff/train_step.ts";
import { f32, mul, reduceSum } from "../ops/mod.ts";
import { Session } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import { GradientSums, microStep, TermMeans } from "./accumulate.ts";

const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clipNorm: 0 };

function steps(accumulate?: "final") {
  return buildTrainStep(
    "acc",
    (g) => {
      const x = g.input("x", "float32", [2]);
      const w = g.param("w", [2]);
      const total = reduceSum(g, mul(g, mul(g, w, w), x), [0], false); // d/dw = 2·w·x
      return { terms: {}, total };
    },
    () => true,
    ADAM,
    { accumulate },
  );
}

Deno.test("accumulate: the partial twin adds scale·gradient to the sums it is fed; the final step updates once", async () => {
  const final = steps("final");
  const partial = microStep(final, false);
  deepStrictEqual([final.accumulate, partial.accumulate, microStep(final, true)], [
    "final",
    "partial",
    final,
  ]);
  const inputs = (s: typeof final) => s.graph.inputs.map((v) => v.name).sort();
  deepStrictEqual(inputs(partial), ["accum_scale", "grad_acc.w", "x"]);
  ok(inputs(final).includes("grad_acc.w") && inputs(final).includes("adam_m.w"));
  deepStrictEqual(partial.outputs, []);
  ok(
    partial.graph.outputs.some((o) => o.name === "new.grad_acc.w") &&
      !partial.graph.outputs.some((o) => o.name === "new.w"),
  );
  throws(
    () => microStep(steps(), false) && microStep({ ...final, partial: undefined }, false),
    /built without/,
  );
  const sums = new GradientSums(2);
  const w = f32([2], [1, 2]);
  const feeds: Record<string, Tensor> = { x: f32([2], [3, 5]), w };
  sums.feed(feeds, partial, true);
  deepStrictEqual([...feeds["grad_acc.w"].data], [0, 0]);
  deepStrictEqual(feeds.accum_scale.data[0], 0.5);
  const s = await Session.create(partial.graph, new Map(), { threads: 1 });
  const r = await s.run(feeds);
  await s.release();
  deepStrictEqual([...r["new.grad_acc.w"].data], [3, 10]); // ½ · 2·w·x
  sums.keep(r, partial);
  const next: Record<string, Tensor> = {};
  sums.feed(next, partial, false);
  deepStrictEqual([...next["grad_acc.w"].data], [3, 10], "kept across micro-batches");
  sums.feed(next, partial, true);
  deepStrictEqual([...next["grad_acc.w"].data], [0, 0], "restarted by the next step");
});

Deno.test("accumulate: logged terms are the means over a step's micro-batches", () => {
  const m = new TermMeans();
  m.add({ loss: 1, l1: 4 });
  m.add({ loss: 3, l1: 2 });
  deepStrictEqual(m.mean(), { loss: 2, l1: 3 });
});
