/**
 * Flags of `tok1d train` that become typed training options: numbers, the
 * discriminator overrides, the perceptual networks' files
 * (`--perceptual-weights vgg=<file>,lpips=<file>,convnext=<file>`) and the
 * helper networks' files (`--helper <name>=<file>` and each family's own
 * flag for a helper, e.g. `--teacher`, taken from the plugins' declarations).
 * @module
 */
import { Option } from "commander";
import { UsageError } from "../core/errors.ts";
import { PERCEPTUAL_FILES, type PerceptualFileKind } from "../core/losses/perceptual_weights.ts";
import type { HelperNetwork, Plugin } from "../core/plugin.ts";
import type { DiscriminatorOptions } from "../core/train/settings.ts";
import { PLUGINS } from "../plugins/mod.ts";

/** The GAN flags (`gan` is false for `--no-gan`). */
export interface GanFlags {
  gan?: boolean;
  discriminatorStart?: string;
  discriminatorWeight?: string;
  lecamWeight?: string;
  discriminatorLr?: string;
}

/** A non-negative number flag. */
export function num(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new UsageError(`${flag}: expected a non-negative number, got '${v}'`);
  }
  return n;
}

const opt = (v: string | undefined, flag: string) => v === undefined ? undefined : num(v, flag);

/** `--discriminator-*` and `--lecam-weight` as overrides of the stage's GAN settings. */
export function discriminatorOptions(f: GanFlags): DiscriminatorOptions {
  return {
    start: opt(f.discriminatorStart, "--discriminator-start"),
    weight: opt(f.discriminatorWeight, "--discriminator-weight"),
    lecamWeight: opt(f.lecamWeight, "--lecam-weight"),
    lr: opt(f.discriminatorLr, "--discriminator-lr"),
  };
}

/** `--vq-restart <threshold>`: a positive usage threshold. */
export function vqRestartThreshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const threshold = Number(value);
  if (!(threshold > 0) || !Number.isFinite(threshold)) {
    throw new UsageError(`--vq-restart: expected a positive usage threshold (e.g. 0.01), got '${value}'`);
  }
  return threshold;
}

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

type AnyHelper = HelperNetwork<unknown>;
const declared = (): [Plugin<unknown>, string, AnyHelper][] =>
  Object.values(PLUGINS as Record<string, Plugin<unknown>>).flatMap((p) =>
    Object.entries(p.helpers ?? {}).map(([n, h]) => [p, n, h] as [Plugin<unknown>, string, AnyHelper])
  );

/** One option per helper flag the families declare (`--teacher <file>`), described from the declarations. */
export function helperFlagOptions(): Option[] {
  const byFlag = new Map<string, string[]>();
  const what = new Map<string, string>();
  for (const [p, , h] of declared()) {
    if (!h.flag) continue;
    byFlag.set(h.flag, [...(byFlag.get(h.flag) ?? []), `${p.name} ${h.stages.join("/")}`]);
    what.set(h.flag, `${h.what} (${h.file})`);
  }
  return [...byFlag].map(([flag, uses]) =>
    new Option(`${flag} <file>`, `${what.get(flag)} for ${uses.join(", ")}`)
  );
}

/** The helper files the flags give for `plugin`: `--helper name=file` (repeatable) and helper flags. */
export function helperFiles(
  plugin: Plugin<unknown>,
  list: string[] | undefined,
  f: Record<string, unknown>,
): Record<string, string> {
  const files: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0 || eq === item.length - 1) {
      throw new UsageError(`--helper ${item}: expected <name>=<file>`);
    }
    const name = item.slice(0, eq);
    if (files[name]) throw new UsageError(`--helper ${name}: given twice`);
    files[name] = item.slice(eq + 1);
  }
  for (const option of helperFlagOptions()) {
    const value = f[option.attributeName()];
    if (typeof value !== "string") continue;
    const mine = Object.entries(plugin.helpers ?? {}).find(([, h]) => h.flag === option.long);
    if (!mine) {
      throw new UsageError(`${option.long}: the ${plugin.name} family has no helper network taking it`);
    }
    if (files[mine[0]]) throw new UsageError(`${option.long}: ${mine[0]} is also given with --helper`);
    files[mine[0]] = value;
  }
  return files;
}
