/**
 * Listing image folders the way torchvision's `ImageFolder` does: class =
 * immediate subfolder, files found recursively below it, symlinks followed
 * (ALIT's ImageNet100 is a tree of symlinked class folders), everything in
 * sorted order. Unlike `os.walk(followlinks=True)`, a symlink loop does not
 * recurse forever: it and other unreadable entries come back as problems, in
 * their sorted place, so that a conversion can count and list them.
 *
 * @example
 * ```ts
 * import { scanClassFolders } from "./scan.ts";
 * const { classes, files } = scanClassFolders("imagenet/val");
 * console.log(classes.length, files[0]); // 1000 { rel: "n01440764/ILSVRC2012_val_00000293.JPEG", ... }
 * ```
 * @module
 */
import { type Dirent, readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.ts";

/** A file found (or an entry that could not be used, with `error`). */
export interface FoundFile {
  /** Path relative to the scanned folder, with '/' separators. */
  rel: string;
  /** The path to open. */
  path: string;
  /** Class folder name, for files inside one. */
  className?: string;
  error?: string;
}

/** Python's default sort (code points); for ASCII names the same as JS's. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function entryKind(path: string): { kind: "file" | "dir" | "other"; error?: string } {
  try {
    const st = statSync(path);
    return { kind: st.isFile() ? "file" : st.isDirectory() ? "dir" : "other" };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return {
      kind: "other",
      error: code === "ELOOP"
        ? "symlink loop"
        : code === "ENOENT"
        ? "broken symlink"
        : `unreadable (${code})`,
    };
  }
}

/**
 * Every file below `dir` (recursive, sorted, symlinks followed), with
 * problems (loops, broken links, unreadable folders, sockets) as entries
 * carrying `error`. `ancestors` are the real paths of the folders above.
 */
export function walkFiles(dir: string, relBase = "", ancestors: Set<string> = new Set()): FoundFile[] {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return [{ rel: relBase, path: dir, error: "unreadable folder" }];
  }
  if (ancestors.has(real)) {
    return [{ rel: relBase, path: dir, error: "symlink loop (folder links to its own ancestor)" }];
  }
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => byCodePoint(a.name, b.name));
  } catch (e) {
    return [{ rel: relBase, path: dir, error: `unreadable folder (${(e as { code?: string }).code})` }];
  }
  const inner = new Set(ancestors).add(real);
  const out: FoundFile[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const rel = relBase ? `${relBase}/${entry.name}` : entry.name;
    // Only symlinks need a stat; the listing already knows plain files and folders.
    const { kind, error } = entry.isFile()
      ? { kind: "file" }
      : entry.isDirectory()
      ? { kind: "dir" }
      : entryKind(path);
    if (kind === "dir") out.push(...walkFiles(path, rel, inner));
    else if (kind === "file") out.push({ rel, path });
    else out.push({ rel, path, error: error ?? "not a regular file" });
  }
  return out;
}

/** Sorted names of the immediate subfolders of `dir` (following symlinks). */
export function subfolders(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new UsageError(`${dir}: not a readable folder (${(e as { code?: string }).code ?? e})`);
  }
  return names.filter((n) => entryKind(join(dir, n)).kind === "dir").sort(byCodePoint);
}

/**
 * An ImageNet-style split folder (`<class>/<files...>`): the sorted class
 * names and every file, class by class. Entries directly in `dir` (not in a
 * class folder) come back as problems. Class folders that `keep` rejects are
 * not walked; `excluded` counts the entries directly inside them.
 */
export function scanClassFolders(dir: string, keep?: (className: string) => boolean): {
  classes: string[];
  files: FoundFile[];
  excluded: number;
} {
  const classes = subfolders(dir);
  const isClass = new Set(classes);
  const files: FoundFile[] = [];
  let excluded = 0;
  let top: string[];
  try {
    top = readdirSync(dir).sort(byCodePoint);
  } catch (e) {
    throw new UsageError(`${dir}: not a readable folder (${(e as { code?: string }).code ?? e})`);
  }
  const ancestors = new Set([realpathSync(dir)]);
  for (const name of top) {
    const path = join(dir, name);
    if (!isClass.has(name)) {
      const { kind, error } = entryKind(path);
      files.push({
        rel: name,
        path,
        error: error ?? (kind === "file" ? "not inside a class folder" : "not a regular file"),
      });
    } else if (keep && !keep(name)) {
      excluded += readdirSync(path).length;
    } else {
      for (const f of walkFiles(path, name, ancestors)) files.push({ ...f, className: name });
    }
  }
  return { classes, files, excluded };
}
