/**
 * Messages for a `--model` that names nothing on disk: a preset typo gets
 * "did you mean", and a Hugging Face repo id (tok1d never downloads) gets
 * the files to fetch and the folder layout to put them in, from the
 * plugins' {@link UpstreamCheckpoints}. Core stays family-agnostic: every
 * repo id and file name comes from a plugin.
 * @module
 */
import type { CheckpointSource } from "./plugin.ts";
import { didYouMean } from "./suggest.ts";
import { PLUGINS } from "../plugins/mod.ts";

/** Every declared source with its `family/preset`. */
export function checkpointSources(): { preset: string; source: CheckpointSource }[] {
  return Object.values(PLUGINS).flatMap((p) =>
    Object.entries(p.checkpoints?.presets ?? {}).flatMap(([name, sources]) =>
      sources.map((source) => ({ preset: `${p.name}/${name}`, source }))
    )
  );
}

/** Looks like `owner/name` with no path of its own (and is not a `family/preset`). */
export function looksLikeRepoId(spec: string): boolean {
  const [owner] = spec.split("/");
  return /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(spec) && !(owner in PLUGINS) &&
    !/\.(ya?ml|json|safetensors|bin|pth|ckpt)$/i.test(spec);
}

/** The folder layout as an indented tree. */
const tree = (folder: string, files: readonly string[]) =>
  [`  ${folder}/`, ...files.map((f) => `    ${f}`)].join("\n");

/** Why `spec` (an HF-style repo id that is not a local folder) cannot load, and what to do instead. */
export function repoIdMessage(spec: string): string {
  const folder = spec.split("/")[1];
  const known = checkpointSources().find((s) => s.source.where.toLowerCase() === spec.toLowerCase());
  if (known) {
    const use = known.source.use.replace("<folder>", folder);
    return `--model ${spec}: not a local folder, and tok1d never downloads. Fetch ${
      known.source.files.join(" and ")
    } from the Hugging Face repo ${spec} into a folder laid out as\n${tree(folder, known.source.files)}\n` +
      `(e.g. \`huggingface-cli download ${spec} ${known.source.files.join(" ")} --local-dir ${folder}\`), ` +
      `then run with ${use}.`;
  }
  const ids = checkpointSources().filter((s) => !s.source.where.includes("://")).map((s) => s.source.where);
  return `--model ${spec}: not a local folder, file or preset; if it is a Hugging Face repo id, tok1d never ` +
    `downloads: fetch its config.json and model.safetensors (or pytorch_model.bin) into a folder laid out as\n` +
    `${tree(folder, ["config.json", "model.safetensors"])}\nand pass --model ${folder}${
      didYouMean(spec, ids)
    }. \`tok1d list\` shows the repos of every preset.`;
}
