/**
 * Several inputs named on a command line — image files, folders of images,
 * shards — as one source. A single spec resolves as the dataset reader always
 * has (core/data/sources.ts); a list of files and folders becomes one flat,
 * unlabelled list in the order given (folders expanded in sorted order), each
 * item keyed by its file name without extension, made unique with `-2`, `-3`…
 * so outputs named after sources never collide. Shards must come alone (one
 * spec, folder or brace pattern): they are streamed, not listed.
 *
 * @example
 * ```ts
 * const src = resolveSources(["a.jpg", "photos/"]); // kind "folder", a.jpg then photos' images
 * ```
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { basename, resolve as resolvePath } from "node:path";
import { UsageError } from "../errors.ts";
import { IMAGE_NAME, type ResolvedSource, resolveSource } from "./sources.ts";

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/** One spec → as the reader resolves it; several → one flat list of image files. */
export function resolveSources(specs: string | readonly string[]): ResolvedSource {
  const list = typeof specs === "string" ? [specs] : specs;
  if (!list.length) throw new UsageError("no inputs: name image files, folders or shards");
  if (list.length === 1 && (!isFile(list[0]) || list[0].endsWith(".tar"))) return resolveSource(list[0]);
  const missing = list.find((s) => !existsSync(s));
  if (missing) throw new UsageError(`${missing}: no such file or folder`);
  const files: { path: string; rel: string }[] = [];
  for (const spec of list) {
    if (isFile(spec)) {
      if (spec.endsWith(".tar")) {
        throw new UsageError(
          `${spec}: shards must be the only input (one .tar, a folder of them, or a pattern)`,
        );
      }
      if (!IMAGE_NAME.test(spec)) throw new UsageError(`${spec}: not a .jpg/.jpeg/.png/.webp image`);
      files.push({ path: resolvePath(spec), rel: basename(spec) });
      continue;
    }
    const src = resolveSource(spec);
    if (src.kind === "shards") {
      throw new UsageError(
        `${spec}: shards must be the only input (one .tar, a folder of them, or a pattern)`,
      );
    }
    for (const f of src.files!) files.push({ path: f.path, rel: f.rel });
  }
  // Keys (file names without extension) must be unique: they name the outputs.
  const seen = new Map<string, number>();
  const unique = files.map((f) => {
    const key = f.rel.replace(/\.[^./]*$/, "");
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const ext = f.rel.slice(key.length);
    return n === 1 ? f : { ...f, rel: `${key}-${n}${ext}` };
  });
  return { kind: "folder", spec: list.join(" "), files: unique, count: unique.length };
}
