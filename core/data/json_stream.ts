/**
 * Streaming the elements of a top-level JSON array from a file, one
 * `JSON.parse` per element. BDD100K's label files are arrays of per-frame
 * objects and the full training file (with every polygon) is larger than a
 * JavaScript string can hold, so it cannot go through one `JSON.parse`.
 *
 * @example
 * ```ts
 * import { streamJsonArray } from "./json_stream.ts";
 * for await (const frame of streamJsonArray("bdd100k_labels_images_val.json")) {
 *   console.log((frame as { name: string }).name);
 * }
 * ```
 * @module
 */
import { open } from "node:fs/promises";
import { UsageError } from "../errors.ts";

const OPEN_SQUARE = 0x5b, CLOSE_SQUARE = 0x5d, OPEN_CURLY = 0x7b, CLOSE_CURLY = 0x7d;
const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Yields each element of the JSON array in `path`; malformed JSON is a UsageError naming the file. */
export async function* streamJsonArray(path: string, chunkSize = 1 << 22): AsyncGenerator<unknown> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw new UsageError(`${path}: cannot open (${(e as { code?: string }).code ?? e})`);
  }
  const decoder = new TextDecoder();
  const buf = new Uint8Array(chunkSize);
  let state: "before" | "between" | "element" | "done" = "before";
  let depth = 0, inString = false, escaped = false;
  let parts: Uint8Array[] = [];
  let offset = 0;
  const fail = (what: string): never => {
    throw new UsageError(`${path}: not a JSON array of objects (${what} near byte ${offset})`);
  };
  const emit = () => {
    const total = parts.reduce((s, p) => s + p.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    parts = [];
    try {
      return JSON.parse(decoder.decode(all));
    } catch (e) {
      return fail((e as Error).message);
    }
  };
  try {
    while (state !== "done") {
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      let start = -1; // where the current element's bytes begin in this chunk
      for (let i = 0; i < chunk.length; i++, offset++) {
        const c = chunk[i];
        if (state === "element") {
          if (inString) {
            if (escaped) escaped = false;
            else if (c === BACKSLASH) escaped = true;
            else if (c === QUOTE) inString = false;
            continue;
          }
          if (c === QUOTE) inString = true;
          else if (c === OPEN_CURLY || c === OPEN_SQUARE) depth++;
          else if (c === CLOSE_CURLY || c === CLOSE_SQUARE) {
            if (depth === 0) { // the array's own ']' after a scalar element
              parts.push(chunk.slice(start < 0 ? 0 : start, i));
              yield emit();
              state = "done";
              break;
            }
            depth--;
          } else if (c === COMMA && depth === 0) {
            parts.push(chunk.slice(start < 0 ? 0 : start, i));
            start = -1;
            yield emit();
            state = "between";
          }
          continue;
        }
        if (isSpace(c)) continue;
        if (state === "before") {
          if (c !== OPEN_SQUARE) fail("does not start with '['");
          state = "between";
        } else if (state === "between") {
          if (c === CLOSE_SQUARE) {
            state = "done";
            break;
          }
          if (c === COMMA) continue;
          state = "element";
          start = i;
          i--; // rescan this byte as part of the element
          offset--;
        }
      }
      if (state === "element") parts.push(chunk.slice(start < 0 ? 0 : start));
    }
    if (state !== "done") fail("ends before the closing ']'");
  } finally {
    await fh.close();
  }
}
