/**
 * A run's initial weights: seeded random ones, then checkpoints layered in
 * order (later files win), each optionally limited to keys with given
 * prefixes (`file@pixel_quantize.,pixel_decoder.`) — e.g. MARVEL's stage 2
 * starts from the stage-1 weights plus only the `pixel_*` tensors of
 * TiTok-L-32. Every file goes through the family's `load` (its key map:
 * fused projections, Flax layers, …) before its tensors are matched to the
 * graph's parameters, so upstream files load as they are. A key with the
 * wrong shape, or a file that supplies none of the model's parameters, is an
 * error naming it: a wrong file must not silently leave the model at its
 * random initialisation. An `aside` callback sees each file's raw tensors
 * first (the trainer takes a discriminator's from them).
 * @module
 */
import { existsSync } from "node:fs";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { loadCheckpoint } from "../weights/checkpoint.ts";

/** One weights source: a checkpoint path and, optionally, the parameter-name prefixes to take from it. */
export interface WeightsSource {
  path: string;
  prefixes?: string[];
}

/** Parses `path` or `path@prefix,prefix` (a path that exists as given wins over the split). */
export function parseWeightsSource(spec: string): WeightsSource {
  if (existsSync(spec)) return { path: spec };
  const at = spec.lastIndexOf("@");
  const path = at > 0 ? spec.slice(0, at) : spec;
  if (!existsSync(path)) throw new UsageError(`--weights: ${path} not found`);
  const prefixes = spec.slice(at + 1).split(",").map((p) => p.trim()).filter(Boolean);
  if (!prefixes.length) throw new UsageError(`--weights ${spec}: no key prefix after '@'`);
  return { path, prefixes };
}

/** A family's checkpoint conversion (plugin.load with its config bound). */
export type Convert = (tensors: Map<string, Tensor>) => Map<string, Tensor>;

/**
 * Overwrites `weights` with the sources' tensors, in order, converted by
 * `convert`, for every key that is a parameter in `shapes` (and matches the
 * source's prefixes); returns how many parameters each source set.
 */
export function applyWeights(
  weights: Map<string, Tensor>,
  shapes: Map<string, number[]>,
  sources: WeightsSource[],
  convert: Convert = (t) => t,
  aside?: (raw: Map<string, Tensor>, path: string) => number,
): number[] {
  return sources.map(({ path, prefixes }) => {
    if (!existsSync(path)) throw new UsageError(`--weights: ${path} not found`);
    const raw = loadCheckpoint(path).tensors;
    // Tensors the caller takes as they are (a discriminator's), counted as set.
    const taken = aside?.(raw, path) ?? 0;
    let tensors: Map<string, Tensor>;
    try {
      tensors = convert(raw);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(`--weights ${path}: ${e.message}`);
    }
    let set = 0;
    for (const [k, t] of tensors) {
      if (!shapes.has(k) || (prefixes && !prefixes.some((p) => k.startsWith(p)))) continue;
      const want = shapes.get(k)!;
      if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
        throw new UsageError(`--weights ${path}: ${k} has shape [${t.shape}], the model's is [${want}]`);
      }
      weights.set(k, t);
      set++;
    }
    if (!set && !taken) {
      const example = [...tensors.keys()][0];
      const filter = prefixes ? ` with prefix ${prefixes.join(" or ")}` : "";
      throw new UsageError(
        `--weights ${path}: none of its ${tensors.size} tensors${filter} is a parameter of this model` +
          (example ? ` (e.g. '${example}'; the model has '${[...shapes.keys()][0]}')` : ""),
      );
    }
    return set;
  });
}
