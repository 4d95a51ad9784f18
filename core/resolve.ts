/**
 * Turns what a user names as a model — an HF-style folder, a config file, a
 * preset (`titok/s128`, `tiny`) or `default` — into a plugin, a parsed config
 * and a weights source.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkConfigBudgets, clipValue, parseConfig, readConfigFile } from "./config.ts";
import { UsageError } from "./errors.ts";
import { looksLikeRepoId, repoIdMessage } from "./model_hints.ts";
import { type PresetRecipe, presetRecipe } from "./presets.ts";
import { didYouMean } from "./suggest.ts";
import type { Plugin } from "./plugin.ts";
import { PLUGINS } from "../plugins/mod.ts";

/** A model named by the user, resolved. */
export interface ResolvedModel {
  plugin: Plugin<unknown>;
  config: unknown;
  variant: string;
  /** Where the config came from (file path or `preset:titok/tiny`). */
  configSource: string;
  /** Folder or file holding the weights, if any. */
  weights?: string;
  /** For a training recipe (core/presets.ts), which has no weights to fetch: how to train it. */
  recipe?: PresetRecipe;
}

/** Folder of the embedded default model. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL("../weights/default/", import.meta.url));

const CONFIG_NAMES = ["config.json", "config.yaml", "config.yml"];

/** The first key on the way to `model.vq_model`-like sections whose value is not a mapping, if any. */
function notAMapping(raw: unknown): string | undefined {
  const m = (raw as Record<string, unknown>)?.model;
  if (m !== undefined && (m === null || typeof m !== "object" || Array.isArray(m))) {
    return `model is ${clipValue(m)}, not a mapping`;
  }
  const vq = (m as Record<string, unknown> | undefined)?.vq_model;
  if (vq !== undefined && (vq === null || typeof vq !== "object" || Array.isArray(vq))) {
    return `model.vq_model is ${clipValue(vq)}, not a mapping`;
  }
}

/** The family that recognises a raw config most specifically (a tie between the best is an error). */
function detect(raw: unknown, source: string): Plugin<unknown> {
  checkConfigBudgets(raw, source);
  const score = (p: Plugin<unknown>) => {
    try {
      return p.recognises(raw);
    } catch {
      return 0;
    }
  };
  const scored = Object.values(PLUGINS).map((p) => ({ p, score: score(p) }))
    .filter((h) => h.score > 0).sort((a, b) => b.score - a.score);
  if (scored.length && (scored.length === 1 || scored[0].score > scored[1].score)) return scored[0].p;
  const why = notAMapping(raw);
  throw new UsageError(
    scored.length
      ? `config ${source} matches several families equally (${
        scored.filter((h) => h.score === scored[0].score).map((h) => h.p.name).join(", ")
      })`
      : `config ${source} is not a config of any known family (${Object.keys(PLUGINS).join(", ")})${
        why ? `: ${why}` : ""
      }`,
  );
}

function fromConfig(raw: unknown, source: string, variant: string, weights?: string): ResolvedModel {
  const plugin = detect(raw, source);
  return { plugin, config: parseConfig(plugin.schema, raw, source), variant, configSource: source, weights };
}

/** Lists presets as `family/name`. */
export function listPresets(): string[] {
  return Object.values(PLUGINS).flatMap((p) => Object.keys(p.presets).map((n) => `${p.name}/${n}`));
}

/** Resolves `spec` (folder, config file, preset or `default`). */
export function resolveModel(spec: string): ResolvedModel {
  if (spec === "default") {
    if (!existsSync(join(DEFAULT_MODEL_DIR, "config.yaml"))) {
      throw new UsageError(`--model default: ${DEFAULT_MODEL_DIR} has no config.yaml (a broken checkout?)`);
    }
    return resolveModel(DEFAULT_MODEL_DIR);
  }
  if (existsSync(spec)) {
    if (statSync(spec).isDirectory()) {
      const cfg = CONFIG_NAMES.map((n) => join(spec, n)).find((p) => existsSync(p));
      if (!cfg) throw new UsageError(`--model ${spec}: the folder has no ${CONFIG_NAMES.join(" / ")}`);
      return fromConfig(readConfigFile(cfg), cfg, basename(spec.replace(/\/+$/, "")), spec);
    }
    if (/\.(ya?ml|json)$/.test(spec)) {
      return fromConfig(readConfigFile(spec), spec, basename(spec).replace(/\.\w+$/, ""));
    }
    throw new UsageError(
      `--model ${spec}: a checkpoint file needs its config; pass the config (or a preset) as --model and the file as --weights`,
    );
  }
  const [family, name] = spec.includes("/") ? spec.split("/", 2) : [undefined, spec];
  const candidates = Object.values(PLUGINS).filter((p) =>
    (!family || p.name === family) && name in p.presets
  );
  if (candidates.length === 1) {
    const p = candidates[0];
    const recipe = presetRecipe(p.presets[name]);
    return {
      ...fromConfig(p.presets[name], `preset:${p.name}/${name}`, name),
      ...(recipe ? { recipe } : {}),
    };
  }
  const all = listPresets();
  if (candidates.length > 1) {
    throw new UsageError(
      `--model ${spec}: ambiguous preset; say which family: ${
        candidates.map((p) => `${p.name}/${name}`).join(" or ")
      }`,
    );
  }
  if (!family || !(family in PLUGINS)) {
    if (looksLikeRepoId(spec)) throw new UsageError(repoIdMessage(spec));
  }
  const near = didYouMean(spec, [...all, ...all.map((p) => p.split("/")[1]), "default"]);
  throw new UsageError(
    `--model ${spec}: no such folder, file or preset${near}; presets: \`tok1d list\``,
  );
}
