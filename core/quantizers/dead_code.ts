/**
 * Dead-code restart for VQ codebooks (as in lucidrains/vector-quantize-pytorch's
 * `threshold_ema_dead_code`; Dhariwal et al., Jukebox, https://arxiv.org/abs/2005.00341):
 * an EMA of how often each code is picked, and codes whose EMA falls below a
 * threshold are moved onto encoder outputs sampled from the current batch.
 *
 * Why: a VQ tokenizer trained from scratch on pixels alone tends to collapse —
 * at random init the encoder's outputs are dominated by the per-position latent
 * token, so every image picks the same code at a position, the decoder learns
 * the mean image and the commitment term pins the encoder there. Restarting
 * unused codes onto real encoder outputs keeps several codes inside the cloud
 * of outputs, so small differences between images select different codes.
 *
 * Everything here is graph nodes without gradient: the train step applies the
 * result after the optimizer update (rows where `mask` is 1 replace the
 * codebook's updated rows, and their AdamW moments restart from zero). `pick` is fed by the caller: for
 * each code, the index of a batch vector to restart it on (a seeded random
 * draw per step keeps resumed runs identical).
 *
 * @example
 * ```ts
 * const r = deadCodeRestart(g, 1024, zFlat, indices, usage, pick, { decay: 0.99, threshold: 0.01 });
 * g.output(r.usage, "new.state.usage"); // the EMA is train state
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import {
  add,
  cast,
  f32,
  gather,
  greater,
  mul,
  oneHot,
  reduceSum,
  stopGradient,
  sub,
  unsqueeze,
} from "../ops/mod.ts";

/** Settings of {@link deadCodeRestart}. */
export interface DeadCodeOptions {
  /** EMA decay of the per-code usage counts (per step). */
  decay: number;
  /** A code whose usage EMA (picks per step) falls below this is restarted. */
  threshold: number;
}

/** What a restart produces: the next usage EMA, the restarted rows and their mask. */
export interface DeadCodeResult {
  usage: Value;
  /** (K, C): the new vector of each restarted code, 0 elsewhere. */
  rows: Value;
  /** (K, 1) float: 1 where the row is restarted. */
  mask: Value;
}

const scalar = (g: Graph, v: number, hint: string) => g.constant(f32([], [v]), hint);

/**
 * K codes, batch vectors z (N,C) and their code indices (N) int64,
 * usage EMA (K), pick (K) int64 in [0, N). A restarted code's usage is reset
 * to the threshold, so it survives one step before it can be restarted again.
 */
export function deadCodeRestart(
  g: Graph,
  k: number,
  z: Value,
  indices: Value,
  usage: Value,
  pick: Value,
  o: DeadCodeOptions,
): DeadCodeResult {
  const counts = reduceSum(g, oneHot(g, stopGradient(g, indices), k), [0], false); // (K)
  const next = add(
    g,
    mul(g, usage, scalar(g, o.decay, "decay")),
    mul(g, counts, scalar(g, 1 - o.decay, "rate")),
  );
  const dead = cast(g, greater(g, scalar(g, o.threshold, "threshold"), next), "float32"); // (K)
  const keep = sub(g, scalar(g, 1, "one"), dead);
  const mask = unsqueeze(g, dead, [1]);
  const replacement = gather(g, stopGradient(g, z), pick, 0); // (K, C)
  return {
    usage: add(g, mul(g, next, keep), mul(g, dead, scalar(g, o.threshold, "reset"))),
    rows: mul(g, replacement, mask),
    mask,
  };
}
