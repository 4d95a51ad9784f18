/**
 * Learning-rate schedules: the generator's warm-up + cosine, and the
 * discriminator's, which restarts at the GAN start and spans steps − start
 * (upstream's LambdaLR factor applied to the discriminator's own rate).
 */
import { deepStrictEqual, ok } from "node:assert";
import { constantLr, cosineLr, discriminatorLr, emaDecay } from "./schedule.ts";

const close = (a: number, b: number) =>
  ok(Math.abs(a - b) < 1e-12 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

Deno.test("schedule: cosine with linear warm-up reaches the peak after warm-up and the end rate at the last step", () => {
  const s = { lr: 1e-4, endLr: 1e-5, warmup: 4, steps: 14 };
  close(cosineLr(s, 0), 2.5e-5);
  close(cosineLr(s, 3), 1e-4);
  close(cosineLr(s, 4), 1e-4);
  close(cosineLr(s, 9), 1e-5 + 0.5 * 9e-5); // halfway through the 10 decay steps
  close(cosineLr(s, 14), 1e-5);
  close(emaDecay(0), 0.1);
  close(emaDecay(10_000), 0.999);
});

Deno.test("schedule: the discriminator's rate restarts at the GAN start, scaled to its own peak", () => {
  // Generator peak 1e-4 → end 1e-5; discriminator peak 2e-4 (so its end is 2e-5); start 6 of 16 steps: span 10.
  const s = { lr: 2e-4, baseLr: 1e-4, endLr: 1e-5, warmup: 2, steps: 16 };
  close(discriminatorLr(s, 6, 6), 1e-4); // warm-up step 1 of 2
  close(discriminatorLr(s, 6, 8), 2e-4); // the peak
  close(discriminatorLr(s, 6, 12), 2e-5 + 0.5 * 1.8e-4); // halfway through its 8 decay steps
  close(discriminatorLr(s, 6, 16), 2e-5);
});

Deno.test("schedule: warm-up then constant is torch's LambdaLR min(s/warmup, 1): rate 0 at the first step", () => {
  const s = { lr: 1e-4, warmup: 4 };
  [0, 2.5e-5, 5e-5, 7.5e-5, 1e-4, 1e-4].forEach((want, i) =>
    close(constantLr(s, [0, 1, 2, 3, 4, 100][i]), want)
  );
  deepStrictEqual(constantLr({ lr: 1e-4, warmup: 0 }, 0), 1e-4);
});
