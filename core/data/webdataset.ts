/**
 * webdataset's sample rules: a member `dir/key.ext` belongs to sample
 * `dir/key` under field `ext`, split at the first dot after the last slash
 * (`base_plus_ext` in webdataset's `tariterators.py`, regex
 * `^((?:.*\/|)[^.]+)[.]([^/]*)$`, slash escaped here); consecutive members with the same key form
 * one sample; a member whose name has no such split is not part of any sample.
 *
 * Member names are never used as file-system paths. Names that would escape
 * an extraction folder (absolute, or with `..` segments) are refused here all
 * the same, so that a crafted shard cannot smuggle keys like `../x` into
 * whatever a caller builds from keys.
 *
 * @example
 * ```ts
 * import { splitKey } from "./webdataset.ts";
 * splitKey("train/00000001.seg.png"); // { key: "train/00000001", ext: "seg.png" }
 * ```
 * @module
 */
import type { TarMember } from "./tar_read.ts";

/** webdataset's `base_plus_ext`: the sample key and the field name, or undefined. */
export function splitKey(name: string): { key: string; ext: string } | undefined {
  const m = /^((?:.*\/|)[^.]+)[.]([^/]*)$/.exec(name);
  return m ? { key: m[1], ext: m[2] } : undefined;
}

/** True when `name` is a relative path with no `..` segment (safe to use as a key). */
export function isSafeMemberName(name: string): boolean {
  return name !== "" && !name.startsWith("/") && !name.includes("\0") && !name.includes("\\") &&
    !name.split("/").includes("..");
}

/** One webdataset sample: its key and its fields (extension → bytes), lower-cased extensions. */
export interface Sample {
  key: string;
  fields: Map<string, Uint8Array>;
}

/** Why a member was not used. */
export interface MemberProblem {
  name: string;
  reason: string;
}

/**
 * Groups an archive's members into samples (consecutive members sharing a
 * key), reporting members that cannot belong to a sample through `onProblem`.
 *
 * @example
 * ```ts
 * import { readTar } from "./tar_read.ts";
 * for await (const s of groupSamples(readTar("a.tar"), (p) => console.warn(p.reason))) {
 *   console.log(s.key, [...s.fields.keys()]);
 * }
 * ```
 */
export async function* groupSamples(
  members: AsyncIterable<TarMember>,
  onProblem: (p: MemberProblem) => void = () => {},
): AsyncGenerator<Sample> {
  let current: Sample | undefined;
  for await (const m of members) {
    if (m.type !== "file") {
      if (m.type !== "directory") onProblem({ name: m.name, reason: `not a regular file (${m.type})` });
      continue;
    }
    if (!isSafeMemberName(m.name)) {
      onProblem({ name: m.name, reason: "unsafe member name (absolute or with '..')" });
      continue;
    }
    const parts = splitKey(m.name);
    if (!parts) {
      onProblem({ name: m.name, reason: "no extension: not part of a sample" });
      continue;
    }
    if (current && current.key !== parts.key) {
      yield current;
      current = undefined;
    }
    current ??= { key: parts.key, fields: new Map() };
    const ext = parts.ext.toLowerCase();
    if (current.fields.has(ext)) onProblem({ name: m.name, reason: `duplicate field '${ext}' in sample` });
    else current.fields.set(ext, m.data);
  }
  if (current) yield current;
}

/** Image fields in the order webdataset's TiTok reader looks for them ("jpg;png;jpeg;webp"). */
export const IMAGE_FIELDS = ["jpg", "png", "jpeg", "webp"] as const;

/** The image bytes of a sample (first of {@link IMAGE_FIELDS}), or undefined. */
export function sampleImage(sample: Sample): Uint8Array | undefined {
  for (const f of IMAGE_FIELDS) {
    const b = sample.fields.get(f);
    if (b) return b;
  }
  return undefined;
}

/** The class index in a sample's `cls` field (ASCII integer), or undefined when absent or not an integer. */
export function sampleClass(sample: Sample): number | undefined {
  const b = sample.fields.get("cls");
  if (!b) return undefined;
  const s = new TextDecoder().decode(b).trim();
  return /^-?\d+$/.test(s) ? Number(s) : undefined;
}
