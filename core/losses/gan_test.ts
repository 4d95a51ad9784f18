/**
 * GAN losses by hand: hinge and LeCam on chosen logits, the generator term,
 * and the discriminator step's loss graph — its total, mean logits and the
 * LeCam EMA update against values computed here from its own logits.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { Session } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import { discriminatorWeights } from "../nn/discriminator.ts";
import { Rng } from "../init.ts";
import {
  discriminatorLoss,
  generatorAdversarialLoss,
  hingeDiscriminatorLoss,
  LECAM_STATE,
  lecamLoss,
} from "./gan.ts";

const t = (shape: number[], data: number[]): Tensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(data),
});
const close = (a: number, b: number, what: string) => ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);

Deno.test("gan losses: hinge, LeCam and the generator term on chosen logits", async () => {
  const g = new Graph("gan_losses");
  const real = g.input("real", "float32", [2, 1, 1, 2]);
  const fake = g.input("fake", "float32", [2, 1, 1, 2]);
  const emaReal = g.input("ema_real", "float32", [1]);
  const emaFake = g.input("ema_fake", "float32", [1]);
  g.output(hingeDiscriminatorLoss(g, real, fake), "hinge");
  g.output(generatorAdversarialLoss(g, fake), "gen");
  const realMean = g.input("real_mean", "float32", []);
  const fakeMean = g.input("fake_mean", "float32", []);
  g.output(lecamLoss(g, realMean, fakeMean, emaReal, emaFake), "lecam");
  const s = await Session.create(g, new Map());
  // real: relu(1 − r) = 0.5, 0, 2, 0.9 → mean 0.85; fake: relu(1 + f) = 0, 1.5, 3, 0.8 → mean 1.325.
  const r = await s.run({
    real: t([2, 1, 1, 2], [0.5, 3, -1, 0.1]),
    fake: t([2, 1, 1, 2], [-2, 0.5, 2, -0.2]),
    ema_real: t([1], [0.4]),
    ema_fake: t([1], [0.3]),
    real_mean: t([], [0.2]),
    fake_mean: t([], [-0.2]),
  });
  await s.release();
  close(r.hinge.data[0] as number, 0.5 * (0.85 + 1.325), "hinge");
  // mean fake = 0.075 → generator term −0.075.
  close(r.gen.data[0] as number, -0.075, "generator");
  // relu(0.2 − 0.3)² + relu(0.4 + 0.2)² = 0 + 0.36: the real side is clipped.
  close(r.lecam.data[0] as number, 0.36, "lecam");
});

Deno.test("gan losses: the discriminator step's total, mean logits and LeCam EMA update", async () => {
  const network = { hiddenChannels: 32, numStages: 1, poolSize: 16 };
  const g = new Graph("d_loss");
  const parts = discriminatorLoss({ batch: 2, imageSize: 32, network, lecamWeight: 0.5, lecamDecay: 0.9 })(g);
  for (const [k, v] of Object.entries(parts.terms)) g.output(v, k);
  g.output(parts.total, "total");
  for (const [k, v] of Object.entries(parts.state!)) g.output(v, `new.${k}`);
  const rng = new Rng(4);
  const img = () => t([2, 3, 32, 32], Array.from({ length: 2 * 3 * 32 * 32 }, () => rng.next()));
  const s = await Session.create(g, discriminatorWeights(g.params.values(), 9));
  const [emaReal, emaFake] = [0.05, -0.02];
  const r = await s.run({
    image: img(),
    reconstruction: img(),
    [LECAM_STATE[0]]: t([1], [emaReal]),
    [LECAM_STATE[1]]: t([1], [emaFake]),
  });
  await s.release();
  deepStrictEqual(Object.keys(parts.terms), ["hinge", "lecam", "logits_real", "logits_fake"]);
  const [mr, mf] = [r.logits_real.data[0] as number, r.logits_fake.data[0] as number];
  const lecam = Math.max(mr - emaFake, 0) ** 2 + Math.max(emaReal - mf, 0) ** 2;
  close(r.lecam.data[0] as number, lecam, "lecam");
  close(r.total.data[0] as number, (r.hinge.data[0] as number) + 0.5 * lecam, "total");
  close(r[`new.${LECAM_STATE[0]}`].data[0] as number, 0.9 * emaReal + 0.1 * mr, "ema real");
  close(r[`new.${LECAM_STATE[1]}`].data[0] as number, 0.9 * emaFake + 0.1 * mf, "ema fake");
  // Random images through a fresh discriminator: logits near zero, so the hinge is near 1.
  ok(Math.abs((r.hinge.data[0] as number) - 1) < 0.5, `hinge ${r.hinge.data[0]}`);
});
