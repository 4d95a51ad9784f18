/**
 * Helper networks of a run (a family's {@link HelperNetwork}s: teachers, base
 * tokenizers, foundation encoders): which ones the stage's graph uses, their
 * weights from the files the user brings (through each helper's own key map),
 * or seeded random weights for tests. A missing file stops the run with the
 * family's own description of it. Helpers are always frozen and never
 * exported with the model.
 * @module
 */
import { UsageError } from "../errors.ts";
import { type InitScheme, randomWeights } from "../init.ts";
import type { HelperNetwork, Plugin } from "../plugin.ts";
import type { Tensor } from "../tensor.ts";
import { assertKeys, loadCheckpoint } from "../weights/checkpoint.ts";

/** A helper's weights: a checkpoint path, or tensors in the upstream file's layout. */
export type HelperSource = string | Map<string, Tensor>;

type Helpers = [string, HelperNetwork<unknown>][];
const helpersOf = (plugin: Plugin<unknown>): Helpers => Object.entries(plugin.helpers ?? {});

/** The flag that passes helper `name`'s file. */
export const helperFlag = (name: string, h: HelperNetwork<unknown>): string =>
  h.flag ?? `--helper ${name}=<file>`;

/** Whether a parameter belongs to one of the family's helper networks. */
export function helperParam(plugin: Plugin<unknown>): (name: string) => boolean {
  const prefixes = helpersOf(plugin).map(([, h]) => h.prefix);
  return (name) => prefixes.some((p) => name.startsWith(p));
}

/** Refuses helper names the family does not declare. */
export function checkHelperNames(plugin: Plugin<unknown>, given: Record<string, unknown>): void {
  const known = helpersOf(plugin).map(([n]) => n);
  for (const name of Object.keys(given)) {
    if (!known.includes(name)) {
      throw new UsageError(
        `--helper ${name}: the ${plugin.name} family has ${
          known.length ? `helpers ${known.join(", ")}` : "no helper networks"
        }`,
      );
    }
  }
}

/** Options of {@link loadHelpers}. */
export interface HelperLoadOptions {
  /** Files (or tensors) by helper name. */
  given: Record<string, HelperSource>;
  /** Seeded random weights for helpers not given (tests, benchmarks: outputs are meaningless). */
  random?: { seed: number; scheme: InitScheme };
  quiet?: boolean;
}

/**
 * The weights of every helper the stage's parameters (`shapes`) use, by
 * graph-parameter name; a helper the stage needs but nobody gave is a
 * UsageError built from the family's declaration.
 */
export function loadHelpers(
  plugin: Plugin<unknown>,
  config: unknown,
  stage: string,
  shapes: Map<string, number[]>,
  o: HelperLoadOptions,
): Map<string, Tensor> {
  checkHelperNames(plugin, o.given);
  const out = new Map<string, Tensor>();
  for (const [name, h] of helpersOf(plugin)) {
    const keys = [...shapes.keys()].filter((k) => k.startsWith(h.prefix));
    const src = o.given[name];
    if (!keys.length) {
      if (src !== undefined && !o.quiet) {
        console.error(`note: ${helperFlag(name, h)} is not used by stage ${stage}; ignored`);
      }
      continue;
    }
    if (!h.stages.includes(stage)) {
      throw new Error(
        `${plugin.name}: stage ${stage} uses helper ${name} (${keys[0]}), which it does not declare`,
      );
    }
    const expected = new Map(keys.map((k) => [k, shapes.get(k)!]));
    let mapped: Map<string, Tensor>;
    let source: string;
    if (src === undefined) {
      if (!o.random) {
        const flag = helperFlag(name, h);
        throw new UsageError(
          `${flag}: this stage needs the ${h.what} (${h.file}, published in ${h.published}); ` +
            `pass the file with ${flag}`,
        );
      }
      const specs = keys.map((k) => ({ name: k, shape: shapes.get(k)!, dtype: "float32" as const }));
      mapped = randomWeights(specs, o.random.seed + 1000, o.random.scheme);
      source = `random ${name}`;
    } else {
      const tensors = typeof src === "string" ? loadCheckpoint(src).tensors : src;
      source = typeof src === "string" ? src : `${name} tensors`;
      mapped = h.load ? h.load(tensors, config) : new Map([...tensors].map(([k, v]) => [h.prefix + k, v]));
    }
    assertKeys(expected, mapped, { source, allowUnexpected: (k) => !expected.has(k) });
    for (const k of keys) out.set(k, mapped.get(k)!);
  }
  return out;
}
