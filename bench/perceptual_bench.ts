/**
 * Cost of the perceptual loss in a training step: the loss and its gradient
 * in the reconstruction (what a train step adds), against the loss alone,
 * for a batch of 2 at 64 and 256 px, on seeded random weights (the cost does
 * not depend on the values). ConvNeXt-S always sees 224×224 (both images are
 * resized), so its share hardly depends on the input size; LPIPS-VGG16 grows
 * with the pixel count.
 *
 *   deno bench -A bench/perceptual_bench.ts        # single thread (TOK1D_BENCH_THREADS to change)
 *
 * @module
 */
import { gradients } from "../core/autodiff/grad.ts";
import { Graph } from "../core/graph/graph.ts";
import { Rng } from "../core/init.ts";
import { perceptualLoss } from "../core/losses/perceptual.ts";
import { randomPerceptualWeights } from "../core/losses/perceptual_weights.ts";
import { Session } from "../core/runtime/mod.ts";
import type { Tensor } from "../core/tensor.ts";

const BATCH = 2;
const THREADS = Number(Deno.env.get("TOK1D_BENCH_THREADS") ?? 1);
const SPECS = ["lpips-convnext_s-1.0-0.1", "lpips", "convnext_s"];
const weights = randomPerceptualWeights("lpips-convnext_s-1.0-0.1", 1);

function image(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  return {
    dtype: "float32",
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.next()),
  };
}

async function build(spec: string, side: number, withGrad: boolean): Promise<Session> {
  const g = new Graph("perceptual_bench");
  const shape = [BATCH, 3, side, side];
  const loss = perceptualLoss(g, g.input("real", "float32", shape), g.input("fake", "float32", shape), spec);
  if (withGrad) g.output(gradients(g, loss, ["fake"]).get("fake")!, "grad");
  g.output(loss, "loss");
  const own = new Map([...g.params.keys()].map((k) => [k, weights.get(k)!]));
  return await Session.create(g, own, { threads: THREADS, spinning: false });
}

// One session alive at a time (each holds its own copy of up to 230 MB of weights): benches run in
// order, so a bench builds its session on its first (warm-up) call, outside the timed span.
let current: { name: string; session: Session } | undefined;
async function sessionFor(name: string, make: () => Promise<Session>): Promise<Session> {
  if (current?.name !== name) {
    await current?.session.release();
    current = { name, session: await make() };
  }
  return current.session;
}

for (const side of [64, 256]) {
  const feeds = { real: image([BATCH, 3, side, side], 1), fake: image([BATCH, 3, side, side], 2) };
  for (const spec of SPECS) {
    for (const withGrad of [true, false]) {
      const name = `${spec} ${withGrad ? "loss+grad" : "loss"} B=${BATCH} ${side}px`;
      Deno.bench({
        name,
        group: `${spec} ${side}px`,
        baseline: withGrad,
        n: 5,
        warmup: 1,
        fn: async (b) => {
          const s = await sessionFor(name, () => build(spec, side, withGrad));
          b.start();
          await s.run(feeds);
          b.end();
        },
      });
    }
  }
}
