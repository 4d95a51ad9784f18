/**
 * Resource budgets of every loader, stated once. A file that would make a
 * loader exceed one (a tiny file that inflates to gigabytes, a pickle integer
 * of megabytes, a tensor view expanded far past its storage, a tar header
 * announcing more bytes than the file holds, an image declaring more pixels
 * than fit in memory) is refused with a {@link UsageError} from
 * {@link overBudget} that names the file, what exceeded and which budget —
 * before the work or the allocation happens, at the place the bytes are read.
 *
 * Each value is generous for every real file of its kind (torch checkpoints,
 * numpy archives, webdataset shards, photos) and small enough that a hostile
 * file cannot take more than a few hundred MB or a few seconds beyond its own
 * size. Only the image pixel budget is meant to be raised by users (huge
 * scans, panoramas): `TOK1D_MAX_IMAGE_PIXELS=<n>` or the `maxPixels` option of
 * `decodeImage`.
 *
 * @example
 * ```ts
 * import { BUDGETS, overBudget } from "./budgets.ts";
 * if (12_000 > BUDGETS.pickleIntBytes) throw overBudget("m.pth", "a pickle integer of 12000 bytes", "pickleIntBytes");
 * ```
 * @module
 */
import { UsageError } from "./errors.ts";

/** The budgets; see each field. */
export const BUDGETS = {
  /**
   * Bytes of one pickle integer (LONG1/LONG4). torch pickles use ≤ 10 (the
   * legacy magic number); a multi-MB LONG4 would take minutes to convert.
   */
  pickleIntBytes: 1024,
  /** Items on a pickle's stack plus its MARK-saved stacks. */
  pickleStack: 1 << 22,
  /** Entries of a pickle's memo (a torch checkpoint uses ~6 per tensor). */
  pickleMemo: 1 << 20,
  /** Nesting depth of containers in an unpickled value (deeper: the walkers after it would overflow). */
  pickleDepth: 256,
  /**
   * Values an unpickled object holds, counting a value shared by many
   * containers once per container (what a walker that flattens it visits):
   * shared lists nested 40 deep hold 2^40 values in a few hundred bytes.
   */
  pickleNodes: 1 << 24,
  /**
   * Bytes a zip (`.pth`, `.npz`) member may inflate to, and all the members
   * one read inflates together. A member also never inflates past the size
   * its directory entry declares, and entries that overlap are refused.
   */
  inflatedBytes: 1 << 30,
  /**
   * Bytes a strided tensor view may expand to beyond its storage's own size
   * (a stride-0 `expand`): past its storage, a view is refused above this.
   */
  expandBytes: 1 << 28,
  /** Bytes of a safetensors JSON header (the reference crate's limit). */
  safetensorsHeaderBytes: 100_000_000,
  /** Bytes of a tar PAX or GNU long-name header (metadata only; real ones are < 1 KB). */
  tarHeaderBytes: 1 << 20,
  /**
   * Bytes of one video member of a webdataset shard, copied to a temporary
   * file for ffmpeg (core/data/video_members.ts): generous for a clip of
   * minutes, and what a hostile shard can make tok1d write to disk at once.
   */
  videoMemberBytes: 1 << 30,
  /** Bytes of a `.npy` header (numpy writes ~128; tok1d writes format 2.0 above 64 KiB). */
  npyHeaderBytes: 1 << 20,
  /** Pixels above which decoding an image warns (Pillow's `MAX_IMAGE_PIXELS`). */
  imageWarnPixels: 89_478_485,
  /**
   * Pixels above which an image is refused from its header, before decoding
   * (Pillow's DecompressionBombError threshold, twice the warning). Raise
   * with `TOK1D_MAX_IMAGE_PIXELS` or `decodeImage(…, { maxPixels })`.
   */
  imagePixels: 178_956_970,
  /** Largest accepted image side, pixels. */
  imageSide: 1 << 14,
} as const;

/** Name of one budget. */
export type BudgetName = keyof typeof BUDGETS;

/**
 * The refusal: `<file>: <what> exceeds the <name> budget of <value> (tok1d's
 * limit for …)`.
 *
 * @example
 * ```ts
 * overBudget("x.npz", "member 'mu' inflating past 2147483648 bytes", "inflatedBytes").message;
 * ```
 */
export function overBudget(source: string, what: string, name: BudgetName, limit?: number): UsageError {
  return new UsageError(
    `${source}: ${what} exceeds the ${name} budget of ${limit ?? BUDGETS[name]} ` +
      `(a limit tok1d sets so that a small or damaged file cannot exhaust time or memory)`,
  );
}

/**
 * The image pixel budget: `TOK1D_MAX_IMAGE_PIXELS` when set to a positive
 * integer, else {@link BUDGETS}.imagePixels. A malformed value is a UsageError.
 */
export function imagePixelBudget(): number {
  let raw: string | undefined;
  try {
    raw = Deno.env.get("TOK1D_MAX_IMAGE_PIXELS");
  } catch {
    raw = undefined; // no --allow-env: the default
  }
  if (raw === undefined || raw === "") return BUDGETS.imagePixels;
  if (!/^\d+$/.test(raw.trim()) || !(Number(raw) > 0) || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`TOK1D_MAX_IMAGE_PIXELS must be a positive integer, got '${raw}'`);
  }
  return Number(raw);
}

/**
 * A short, safe description of any unpickled value for error messages
 * (`JSON.stringify` throws on bigints and cycles).
 *
 * @example
 * ```ts
 * describeValue([1n, "a", [2]]); // "[1, \"a\", [2]]"
 * ```
 */
export function describeValue(x: unknown, depth = 0): string {
  if (typeof x === "bigint") return String(x);
  if (typeof x === "string") return JSON.stringify(x.length > 40 ? x.slice(0, 40) + "…" : x);
  if (Array.isArray(x)) {
    if (depth >= 2) return "[…]";
    const items = x.slice(0, 8).map((v) => describeValue(v, depth + 1));
    return `[${items.join(", ")}${x.length > 8 ? ", …" : ""}]`;
  }
  if (x === null || typeof x !== "object") return String(x);
  return `<${x.constructor?.name ?? "object"}>`;
}
