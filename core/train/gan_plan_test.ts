import { deepStrictEqual } from "node:assert";
import { ganWeightAt, planStep } from "./gan_plan.ts";

const ALIT = {
  start: 21 * 10,
  weight: 0.2,
  weights: [{ from: 101 * 10, weight: 0.8 }],
  period: 9,
  epochSteps: 10,
};

Deno.test("planStep: without a GAN every step updates the generator, variants cycling per step", () => {
  deepStrictEqual(
    [0, 1, 7, 8, 9].map((s) => planStep(s, { variants: 8 }).variant),
    [0, 1, 7, 0, 1],
  );
  deepStrictEqual(planStep(3, { variants: 1 }), {
    variant: 0,
    generator: true,
    discriminator: false,
    adversarial: false,
    weight: 0,
  });
});

Deno.test("planStep: TiTok's GAN updates both networks every step from the start, at a fixed weight", () => {
  const gan = { start: 5, weight: 0.1 };
  deepStrictEqual(planStep(4, { variants: 1, gan }).adversarial, false);
  deepStrictEqual(planStep(5, { variants: 1, gan }), {
    variant: 0,
    generator: true,
    discriminator: true,
    adversarial: true,
    weight: 0.1,
  });
});

Deno.test("planStep: ALIT's cadence — 8 discriminator steps, then the generator, per epoch; variant per generator update", () => {
  // Upstream: gan_optimizer_idx = 1 - ((t + 1) % 9 == 0); current_repeatition_iter += 1 after generator steps only;
  // both counters restart each epoch (here 20 steps per epoch, GAN from epoch 1).
  const gan = { start: 20, weight: 0.2, period: 9, epochSteps: 20 };
  const upstream = (t: number, counter: { k: number }) => {
    const generator = (t + 1) % 9 === 0;
    const variant = counter.k % 8;
    if (generator) counter.k++;
    return { generator, variant };
  };
  for (const epoch of [1, 2]) {
    const counter = { k: 0 };
    for (let t = 0; t < 20; t++) {
      const p = planStep(epoch * 20 + t, { variants: 8, gan });
      const u = upstream(t, counter);
      deepStrictEqual(
        [p.generator, p.discriminator, p.variant],
        [u.generator, !u.generator, u.variant],
        `t ${t}`,
      );
    }
  }
  // Epoch 0 (GAN off): the generator every step, variant = t mod 8, restarting at each epoch.
  deepStrictEqual([0, 7, 8, 19].map((s) => planStep(s, { variants: 8, gan }).variant), [0, 7, 0, 3]);
});

Deno.test("ganWeightAt: 0.2 from epoch 21, 0.8 from epoch 101 (upstream's `epoch <= 20 / <= 100` rule)", () => {
  deepStrictEqual([210, 1009, 1010, 5000].map((s) => ganWeightAt(ALIT, s)), [0.2, 0.2, 0.8, 0.8]);
  deepStrictEqual(planStep(209, { variants: 8, gan: ALIT }).weight, 0);
});
