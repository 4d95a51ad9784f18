/**
 * `tok1d train --init <file>`: initialises a run's parameters from another
 * network's checkpoint (a foundation encoder) through the family's
 * {@link InitMapper}, after the seeded random init and before `--weights`.
 * Reports what it did — the layout read, how many parameters came from the
 * file, the file's unused keys, the parameters the mapper filled and those it
 * left at their random init — on stderr and in the run's result (`--json`).
 * A mapped tensor whose shape differs from the model's is a UsageError naming
 * the file and the key; so is a family without a mapper.
 *
 * @example
 * ```ts
 * const report = applyInit(plugin, config, shapes, weights, { path: "dino_vitbase16_pretrain.pth" });
 * report.unused; // ["head.bias", "head.weight"]
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Plugin } from "../plugin.ts";
import type { Tensor } from "../tensor.ts";
import { loadCheckpoint } from "../weights/checkpoint.ts";

/** Where `--init` reads from and how. */
export interface InitFrom {
  path: string;
  /** `--pos-embed` (one of the family's choices; default its first). */
  posEmbed?: string;
}

/** What `--init` did. */
export interface InitReport {
  file: string;
  layout: string;
  posEmbed?: string;
  /** Parameters set from the file (including those the mapper filled). */
  initialised: number;
  /** File keys with no slot in the model. */
  unused: string[];
  /** Parameters the file lacks that the mapper filled (the family's init, e.g. zeros). */
  filled: string[];
  /** Model parameters the file does not cover (they keep their random init), by top-level module and count. */
  untouched: Record<string, number>;
}

const shape = (s: readonly number[]) => `(${s.join(", ")})`;

/** The `--pos-embed` value a family takes (its default when not given); refused where it has no choice. */
export function posEmbedMode(plugin: Plugin<unknown>, given?: string): string | undefined {
  const choices = plugin.init?.posEmbed;
  if (given === undefined) return choices?.[0];
  if (!plugin.init) throw new UsageError("--pos-embed: only with --init <file>");
  if (!choices) {
    throw new UsageError(`--pos-embed: the ${plugin.name} family has no positional-embedding choice`);
  }
  if (!choices.includes(given)) {
    throw new UsageError(`--pos-embed ${given}: expected one of ${choices.join(", ")}`);
  }
  return given;
}

/** Refuses `--init` where the family has no mapper and a bad `--pos-embed`, before any heavy work. */
export function checkInitFrom(plugin: Plugin<unknown>, init: InitFrom): void {
  if (!plugin.init) {
    throw new UsageError(`--init: the ${plugin.name} family has no initialisation from other checkpoints`);
  }
  posEmbedMode(plugin, init.posEmbed);
}

/** Maps `init.path` onto `weights` (parameters by name; `shapes` are the run's). */
export function applyInit(
  plugin: Plugin<unknown>,
  config: unknown,
  shapes: Map<string, number[]>,
  weights: Map<string, Tensor>,
  init: InitFrom,
): InitReport {
  checkInitFrom(plugin, init);
  const posEmbed = posEmbedMode(plugin, init.posEmbed);
  const file = loadCheckpoint(init.path).tensors;
  let mapped;
  try {
    mapped = plugin.init!.map(file, config, { posEmbed });
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`--init ${init.path}: ${e.message}`);
    throw e;
  }
  const unused = [...mapped.unused];
  let initialised = 0;
  for (const [k, t] of mapped.tensors) {
    const want = shapes.get(k);
    if (!want) {
      unused.push(k);
      continue;
    }
    if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
      throw new UsageError(
        `--init ${init.path}: ${k} is ${shape(t.shape)} from the file but ${shape(want)} in the model ` +
          `(a checkpoint of another size?)`,
      );
    }
    weights.set(k, t);
    initialised++;
  }
  const untouched: Record<string, number> = {};
  for (const k of shapes.keys()) {
    if (mapped.tensors.has(k)) continue;
    const top = k.split(".")[0];
    untouched[top] = (untouched[top] ?? 0) + 1;
  }
  return {
    file: init.path,
    layout: mapped.layout,
    posEmbed,
    initialised,
    unused: unused.sort(),
    filled: mapped.filled,
    untouched,
  };
}

/** The report as stderr lines. */
export function initLines(r: InitReport): string[] {
  const lines = [
    `--init: ${r.initialised} parameters from ${r.file} (layout ${r.layout}` +
    `${r.posEmbed ? `, positions ${r.posEmbed}` : ""})`,
  ];
  if (r.filled.length) lines.push(`--init: filled (not in the file): ${r.filled.join(", ")}`);
  if (r.unused.length) {
    lines.push(`--init: unused keys of the file (${r.unused.length}): ${r.unused.join(", ")}`);
  }
  const rest = Object.entries(r.untouched).map(([m, n]) => `${m}.* (${n})`).join(", ");
  if (rest) lines.push(`--init: random init kept for ${rest}`);
  return lines;
}
