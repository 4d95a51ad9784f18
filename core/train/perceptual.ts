/**
 * The perceptual part of a run: which loss a stage uses (upstream's, from the
 * family's hooks, or an override spec), its weight, and the pretrained
 * networks' weights from the files the user brings. Without the files a stage
 * with a perceptual loss stops with a message naming each one and where it is
 * published, unless the loss is turned off (`perceptual: false`).
 * @module
 */
import { UsageError } from "../errors.ts";
import { parsePerceptualSpec, PERCEPTUAL_SCOPE, perceptualLoss } from "../losses/perceptual.ts";
import { loadPerceptualWeights, type PerceptualFileKind } from "../losses/perceptual_weights.ts";
import type { ImageLossTerm, TrainHooks } from "../plugin.ts";
import type { Tensor } from "../tensor.ts";

/** The perceptual options of a run. */
export interface PerceptualOptions {
  /** false: no perceptual loss; a spec string: this loss instead of the stage's; undefined: the stage's. */
  perceptual?: boolean | string;
  /** Weight of the term in the total (default: the stage's). */
  weight?: number;
  /** The pretrained networks' files by kind (`vgg`, `lpips`, `convnext`). */
  files?: Partial<Record<PerceptualFileKind, string>>;
}

/** What the run gets: the loss term, the frozen weights (never checkpointed) and a line for the checkpoint's metadata. */
export interface PerceptualRun {
  term?: ImageLossTerm;
  weights: Map<string, Tensor>;
  meta: string;
}

/** Whether a parameter belongs to the perceptual networks (always frozen). */
export const isPerceptualParam = (name: string): boolean => name.startsWith(`${PERCEPTUAL_SCOPE}.`);

/** Resolves the stage's perceptual loss from the hooks and options, loading the weight files. */
export function perceptualRun<C>(
  hooks: TrainHooks<C>,
  config: C,
  stage: string,
  o: PerceptualOptions,
): PerceptualRun {
  const upstream = hooks.perceptual?.(config, stage);
  const off = { weights: new Map<string, Tensor>(), meta: "off" };
  const flag = o.files ? "--perceptual-weights" : "--perceptual-weight";
  const extras = !!o.files || o.weight !== undefined;
  if (o.perceptual === false) {
    if (extras) throw new UsageError(`${flag}: contradicts --no-perceptual`);
    return off;
  }
  const override = typeof o.perceptual === "string" ? o.perceptual : undefined;
  if (!upstream && !override) {
    if (extras) {
      throw new UsageError(`${flag}: stage ${stage} has no perceptual loss (it is not trained on pixels)`);
    }
    return off;
  }
  if (!upstream) {
    throw new UsageError(`--perceptual: stage ${stage} has no perceptual loss (it is not trained on pixels)`);
  }
  const spec = override ?? upstream.spec;
  const parsed = parsePerceptualSpec(spec);
  const weight = o.weight ?? upstream.weight;
  // The range is the stage's (an override spec keeps it: it changes the networks, not the images).
  const lpipsRescale = upstream.lpipsRescale;
  if (!Number.isFinite(weight) || weight < 0) {
    throw new UsageError(`--perceptual-weight: expected a non-negative number, got '${weight}'`);
  }
  let weights: Map<string, Tensor>;
  try {
    weights = loadPerceptualWeights(spec, o.files ?? {});
  } catch (e) {
    if (!(e instanceof UsageError) || o.files) throw e;
    throw new UsageError(
      `stage ${stage} trains with a perceptual loss: ${e.message}; or train without it: --no-perceptual`,
    );
  }
  return {
    term: {
      weight,
      build: (g, real, fake) => perceptualLoss(g, real, fake, parsed, { rescale: lpipsRescale }),
    },
    weights,
    meta: JSON.stringify({ spec, weight, ...(lpipsRescale === false ? { lpips_rescale: false } : {}) }),
  };
}
