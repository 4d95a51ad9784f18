/**
 * The one policy for images that cannot be used (unreadable, corrupt, not an
 * image, past the size budgets), shared by `encode`, `reconstruct`, `eval`
 * and `train`: each is skipped with a warning naming the file and the
 * reason, and counted for the command's summary and `--json`; with
 * `--strict` the first one stops the command (a UsageError, exit 2).
 *
 * @example
 * ```ts
 * const bad = new BadImages(f.strict);
 * const src = await openImageSource("photos/", { badImages: bad });
 * // … after the run:
 * console.log(JSON.stringify({ badImages: bad.summary() }));
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";

/** One skipped image. */
export interface SkippedImage {
  source: string;
  reason: string;
}

/** Collects the images a run skips (or stops at the first, when strict). */
export class BadImages {
  readonly skipped: SkippedImage[] = [];
  private readonly seen = new Set<string>();
  /** What the skipped samples were ("image", "video"), for the summary line. */
  private readonly nouns = new Set<string>();

  constructor(
    readonly strict = false,
    private readonly warn: (message: string) => void = (m) => console.error(`warning: ${m}`),
  ) {}

  /**
   * A sample that cannot be used: throws when strict, else warns once per source and counts it.
   * `noun` names it in the messages (a video reader says "video").
   */
  report(source: string, message: string, noun = "image"): void {
    // Decoder messages usually start with the file name already.
    const reason = message.startsWith(`${source}: `) ? message.slice(source.length + 2) : message;
    if (this.strict) throw new UsageError(`${source}: ${reason} (--strict stops at the first bad ${noun})`);
    if (this.seen.has(source)) return; // a later epoch meets it again
    this.seen.add(source);
    this.nouns.add(noun);
    this.skipped.push({ source, reason });
    this.warn(`skipped bad ${noun} ${source}: ${reason}`);
  }

  get count(): number {
    return this.skipped.length;
  }

  /** For `--json` and metrics.json: `{ count, files: [{ source, reason }] }`. */
  summary(): { count: number; files: SkippedImage[] } {
    return { count: this.count, files: [...this.skipped] };
  }

  /**
   * The summary line ("skipped 2 bad images (see the warnings above); --strict stops instead"), or
   * undefined; it names what was skipped (videos, or "inputs" when images and videos were).
   */
  line(): string | undefined {
    const noun = this.nouns.size > 1 ? "input" : [...this.nouns][0] ?? "image";
    return skippedLine(this.count, { noun });
  }
}

/**
 * The summary line for `count` skipped inputs, or undefined for none: `noun`
 * names them (default "image"), `of` the inputs there were in all.
 */
export function skippedLine(count: number, o: { noun?: string; of?: number } = {}): string | undefined {
  if (!count) return undefined;
  return `skipped ${count} bad ${o.noun ?? "image"}${count === 1 ? "" : "s"}${
    o.of === undefined ? "" : ` of ${o.of}`
  } (see the warnings above); --strict stops at the first instead`;
}
