/**
 * A family's presets: the YAML files of one folder under configs/, by name.
 *
 * Two kinds live there side by side: upstream's configs (whose released
 * weights load with `--weights`, or that upstream publishes none for) and
 * tok1d's **training recipes**: configs made to be trained from scratch on a
 * CPU (`titok/small`, `alit/small_recipe`, …), which no one publishes weights
 * for. A recipe says so in its header comment, with the command that trains
 * it (`#   deno task tok1d train --model titok/small --data photos/ … \`);
 * {@link presetRecipe} reads that command back, so `tok1d list` can show the
 * recipe as one, and no registry of recipe names has to be kept in step.
 *
 * @example
 * ```ts
 * const presets = presetsIn(new URL("../../configs/titok/", import.meta.url));
 * presets["tiny"]; // the parsed YAML of configs/titok/tiny.yaml
 * presetRecipe(presets["small"])?.train; // "deno task tok1d train --model titok/small --data photos/ …"
 * ```
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { readConfigFile } from "./config.ts";

/** A training recipe: a preset to train from scratch (no released weights). */
export interface PresetRecipe {
  /** The command its header gives to train it, continuation lines joined. */
  train: string;
  /** The trained model that command leaves (`<--out>/model`), to pass as `--model`. */
  model: string;
}

/** Recipes by the parsed config object a plugin holds (its `presets[name]`). */
const RECIPES = new WeakMap<object, PresetRecipe>();

/** A line of the header that starts the training command of the preset named `name`. */
const TRAIN_LINE = /^(?:deno task )?tok1d train --model (\S+)/;

/**
 * The training command in a YAML file's leading comment block that trains
 * `preset` (`family/name`), or undefined: a header that mentions `tok1d train`
 * only in passing, or gives another preset's command, is not a recipe.
 */
export function recipeCommand(text: string, preset: string): string | undefined {
  const header: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith("#")) break;
    header.push(line.replace(/^#\s?/, "").trim());
  }
  const start = header.findIndex((l) => TRAIN_LINE.exec(l)?.[1] === preset);
  if (start < 0) return undefined;
  const parts: string[] = [];
  for (let i = start; i < header.length; i++) {
    const continued = header[i].endsWith("\\");
    parts.push(continued ? header[i].slice(0, -1).trim() : header[i]);
    if (!continued) break;
  }
  return parts.join(" ");
}

/** The recipe a preset's config is, or undefined for an upstream config (or a config not read by {@link presetsIn}). */
export function presetRecipe(raw: unknown): PresetRecipe | undefined {
  return raw !== null && typeof raw === "object" ? RECIPES.get(raw) : undefined;
}

/** Preset name → raw config object (upstream layout), for every `*.yaml` in `dir`, sorted. */
export function presetsIn(dir: URL): Record<string, unknown> {
  const path = fileURLToPath(dir);
  // The folder is the family's name (configs/<family>/), as recipe commands name it.
  const family = path.replace(/\/+$/, "").split("/").pop();
  return Object.fromEntries(
    readdirSync(path).filter((f) => f.endsWith(".yaml")).sort().map((f) => {
      const name = f.replace(/\.yaml$/, "");
      const raw = readConfigFile(join(path, f));
      const train = recipeCommand(readFileSync(join(path, f), "utf8"), `${family}/${name}`);
      if (train && raw !== null && typeof raw === "object") {
        RECIPES.set(raw, { train, model: `${/ --out (\S+)/.exec(train)?.[1] ?? "<out>"}/model` });
      }
      return [name, raw];
    }),
  );
}
