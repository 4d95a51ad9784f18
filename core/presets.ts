/**
 * A family's presets: the YAML files of one folder under configs/, by name.
 *
 * @example
 * ```ts
 * const presets = presetsIn(new URL("../../configs/titok/", import.meta.url));
 * presets["tiny"]; // the parsed YAML of configs/titok/tiny.yaml
 * ```
 * @module
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { readConfigFile } from "./config.ts";

/** Preset name → raw config object (upstream layout), for every `*.yaml` in `dir`, sorted. */
export function presetsIn(dir: URL): Record<string, unknown> {
  const path = fileURLToPath(dir);
  return Object.fromEntries(
    readdirSync(path).filter((f) => f.endsWith(".yaml")).sort().map((f) => [
      f.replace(/\.yaml$/, ""),
      readConfigFile(join(path, f)),
    ]),
  );
}
