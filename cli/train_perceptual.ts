/**
 * The perceptual part of `tok1d train`: which loss a stage uses (upstream's,
 * or `--perceptual <spec>`), its weight (`--perceptual-weight`), and the
 * pretrained networks' weights from the files the user brings
 * (`--perceptual-weights vgg=<file>,lpips=<file>,convnext=<file>`). Without
 * the files, training stops with a message naming each one and where it is
 * published, unless `--no-perceptual` is given.
 * @module
 */
import { UsageError } from "../core/errors.ts";
import { parsePerceptualSpec, PERCEPTUAL_SCOPE, perceptualLoss } from "../core/losses/perceptual.ts";
import {
  loadPerceptualWeights,
  PERCEPTUAL_FILES,
  type PerceptualFileKind,
} from "../core/losses/perceptual_weights.ts";
import type { ImageLossTerm, TrainHooks } from "../core/plugin.ts";
import type { Tensor } from "../core/tensor.ts";

/** The perceptual flags of `tok1d train` (`perceptual` is false for `--no-perceptual`). */
export interface PerceptualFlags {
  perceptual?: string | boolean;
  perceptualWeight?: string;
  perceptualWeights?: string;
}

/** What the run gets: the loss term, the frozen weights (never checkpointed) and a line for the checkpoint's metadata. */
export interface PerceptualRun {
  term?: ImageLossTerm;
  weights: Map<string, Tensor>;
  meta: string;
}

/** Whether a parameter belongs to the perceptual networks (always frozen). */
export const isPerceptualParam = (name: string) => name.startsWith(`${PERCEPTUAL_SCOPE}.`);

const KINDS = Object.keys(PERCEPTUAL_FILES) as PerceptualFileKind[];

/** Parses `vgg=a.pth,lpips=b.pth,convnext=c.pth`. */
export function parsePerceptualFiles(list: string): Partial<Record<PerceptualFileKind, string>> {
  const files: Partial<Record<PerceptualFileKind, string>> = {};
  for (const item of list.split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf("=");
    const kind = item.slice(0, eq) as PerceptualFileKind;
    if (eq < 0 || !KINDS.includes(kind)) {
      throw new UsageError(
        `--perceptual-weights: '${item}' is not <kind>=<file>; kinds are ${KINDS.join(", ")} ` +
          `(e.g. convnext=${PERCEPTUAL_FILES.convnext.file})`,
      );
    }
    if (files[kind]) throw new UsageError(`--perceptual-weights: ${kind} is given twice`);
    files[kind] = item.slice(eq + 1);
  }
  return files;
}

/** Resolves the stage's perceptual loss from the hooks and flags, loading the weight files. */
export function perceptualRun<C>(
  hooks: TrainHooks<C>,
  config: C,
  stage: string,
  f: PerceptualFlags,
): PerceptualRun {
  const upstream = hooks.perceptual?.(config, stage);
  const off = { weights: new Map<string, Tensor>(), meta: "off" };
  if (f.perceptual === false) {
    if (f.perceptualWeights || f.perceptualWeight) {
      const flag = f.perceptualWeights ? "--perceptual-weights" : "--perceptual-weight";
      throw new UsageError(`${flag}: contradicts --no-perceptual`);
    }
    return off;
  }
  const override = typeof f.perceptual === "string" ? f.perceptual : undefined;
  if (!upstream && !override) {
    if (f.perceptualWeights || f.perceptualWeight) {
      const flag = f.perceptualWeights ? "--perceptual-weights" : "--perceptual-weight";
      throw new UsageError(`${flag}: stage ${stage} has no perceptual loss (it is not trained on pixels)`);
    }
    return off;
  }
  if (!upstream) {
    throw new UsageError(`--perceptual: stage ${stage} has no perceptual loss (it is not trained on pixels)`);
  }
  const spec = override ?? upstream.spec;
  const parsed = parsePerceptualSpec(spec);
  let weight = upstream.weight;
  if (f.perceptualWeight !== undefined) {
    weight = Number(f.perceptualWeight);
    if (!Number.isFinite(weight) || weight < 0) {
      throw new UsageError(
        `--perceptual-weight: expected a non-negative number, got '${f.perceptualWeight}'`,
      );
    }
  }
  let weights: Map<string, Tensor>;
  try {
    weights = loadPerceptualWeights(spec, parsePerceptualFiles(f.perceptualWeights ?? ""));
  } catch (e) {
    if (!(e instanceof UsageError) || f.perceptualWeights) throw e;
    throw new UsageError(
      `stage ${stage} trains with a perceptual loss: ${e.message}; ` +
        `or train without it: --no-perceptual`,
    );
  }
  return {
    term: { weight, build: (g, real, fake) => perceptualLoss(g, real, fake, parsed) },
    weights,
    meta: JSON.stringify({ spec, weight }),
  };
}
