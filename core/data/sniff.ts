/**
 * A fast structural check of image bytes, without decoding pixels: the format
 * (from the signature, not the file name), the size (from the JPEG SOF, PNG
 * IHDR or WebP chunk header), and whether the file is complete (a JPEG has its
 * EOI marker after the first scan, a PNG its IEND chunk, a WebP all the bytes
 * its RIFF header announces). It is what copy-mode conversion runs on every
 * file: about a hundred times cheaper than a decode, and it catches the usual
 * damage (empty files, text or HTML saved as .jpg, cut downloads, absurd
 * sizes). Damage inside the compressed data needs a real decode
 * (`--verify decode`).
 *
 * @example
 * ```ts
 * import { sniffImage } from "./sniff.ts";
 * const info = sniffImage(await Deno.readFile("photo.jpg"));
 * if ("error" in info) console.log(info.error);
 * else console.log(info.format, info.width, info.height);
 * ```
 * @module
 */
import { imagePixelBudget } from "../budgets.ts";
import { MAX_SIDE } from "./image.ts";

/** What the header says. */
export interface ImageInfo {
  format: "jpeg" | "png" | "webp";
  /** File extension for the format: jpg, png or webp. */
  ext: "jpg" | "png" | "webp";
  width: number;
  height: number;
  /** Colour channels stored (JPEG components; PNG: from the colour type), when known. */
  channels?: number;
  /** Bits per sample (JPEG precision, PNG bit depth), when known. */
  depth?: number;
}

/** Result of {@link sniffImage}: the header facts, or the reason the bytes are not a usable image. */
export type SniffResult = ImageInfo | { error: string };

const OTHER_SIGNATURES: [string, number[]][] = [
  ["GIF", [0x47, 0x49, 0x46, 0x38]],
  ["BMP", [0x42, 0x4d]],
  ["TIFF", [0x49, 0x49, 0x2a, 0x00]],
  ["TIFF", [0x4d, 0x4d, 0x00, 0x2a]],
];

const starts = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);
const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number) =>
  ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
const le24 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const le32 = (b: Uint8Array, i: number) => (le24(b, i) + b[i + 3] * 2 ** 24) >>> 0;

function jpeg(b: Uint8Array): SniffResult {
  let at = 2;
  let info: ImageInfo | undefined;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return { error: `corrupt JPEG: no marker at byte ${at}` };
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    if (marker === 0xd9) break;
    const len = be16(b, at + 2);
    if (len < 2) return { error: `corrupt JPEG: bad segment length at byte ${at}` };
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && !info) {
      if (at + 10 > b.length) break;
      info = {
        format: "jpeg",
        ext: "jpg",
        depth: b[at + 4],
        height: be16(b, at + 5),
        width: be16(b, at + 7),
        channels: b[at + 9],
      };
    }
    if (marker === 0xda) {
      if (!info) return { error: "corrupt JPEG: scan before frame header (no SOF)" };
      // Complete when an EOI marker follows the first scan (EXIF thumbnails carry their own EOI earlier).
      const scanStart = at + 2 + len;
      for (let i = b.length - 2; i >= scanStart; i--) {
        if (b[i] === 0xff && b[i + 1] === 0xd9) return info;
      }
      return { error: "truncated JPEG: no end-of-image marker after the scan data" };
    }
    at += 2 + len;
  }
  return { error: info ? "truncated JPEG: ends before the scan data" : "truncated JPEG: no frame header" };
}

function png(b: Uint8Array): SniffResult {
  if (b.length < 33 || !starts(b, [0x49, 0x48, 0x44, 0x52], 12)) {
    return { error: "corrupt PNG: no IHDR chunk" };
  }
  const depth = b[24], colorType = b[25];
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (channels === undefined) return { error: `corrupt PNG: colour type ${colorType}` };
  const info: ImageInfo = {
    format: "png",
    ext: "png",
    width: be32(b, 16),
    height: be32(b, 20),
    channels,
    depth,
  };
  // IEND (length 0, type, CRC) normally ends the file; accept trailing bytes after it.
  const iend = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
  for (let i = b.length - 8; i >= 33; i--) if (b[i] === 0x49 && starts(b, iend, i)) return info;
  return { error: "truncated PNG: no IEND chunk" };
}

function webp(b: Uint8Array): SniffResult {
  const riffEnd = le32(b, 4) + 8;
  if (riffEnd > b.length) return { error: `truncated WebP: ${b.length} of ${riffEnd} bytes` };
  const chunk = String.fromCharCode(b[12], b[13], b[14], b[15]);
  let width = 0, height = 0;
  if (chunk === "VP8X" && b.length >= 30) {
    width = le24(b, 24) + 1;
    height = le24(b, 27) + 1;
  } else if (chunk === "VP8L" && b.length >= 25 && b[20] === 0x2f) {
    const bits = le32(b, 21);
    width = (bits & 0x3fff) + 1;
    height = ((bits >>> 14) & 0x3fff) + 1;
  } else if (chunk === "VP8 " && b.length >= 30 && starts(b, [0x9d, 0x01, 0x2a], 23)) {
    width = (b[26] | (b[27] << 8)) & 0x3fff;
    height = (b[28] | (b[29] << 8)) & 0x3fff;
  } else return { error: `corrupt WebP: unknown first chunk '${chunk.replace(/[^\x20-\x7e]/g, "?")}'` };
  return { format: "webp", ext: "webp", width, height };
}

/**
 * Format, size and completeness of image bytes, or why they are unusable
 * (including a size past the image budgets, `maxPixels` defaulting to
 * `TOK1D_MAX_IMAGE_PIXELS` or `BUDGETS.imagePixels`).
 *
 * @example
 * ```ts
 * sniffImage(new Uint8Array(0)); // { error: "empty file (0 bytes)" }
 * ```
 */
export function sniffImage(bytes: Uint8Array, maxPixels?: number): SniffResult {
  if (bytes.length === 0) return { error: "empty file (0 bytes)" };
  let r: SniffResult;
  if (starts(bytes, [0xff, 0xd8, 0xff])) r = jpeg(bytes);
  else if (starts(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) r = png(bytes);
  else if (
    bytes.length >= 16 && starts(bytes, [0x52, 0x49, 0x46, 0x46]) &&
    starts(bytes, [0x57, 0x45, 0x42, 0x50], 8)
  ) {
    r = webp(bytes);
  } else {
    const other = OTHER_SIGNATURES.find(([, sig]) => starts(bytes, sig));
    if (other) return { error: `${other[0]} images are not supported (use JPEG, PNG or WebP)` };
    const head = bytes.subarray(0, 64);
    const text = head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128);
    return { error: text ? "not an image: the file starts with text" : "not an image: unknown signature" };
  }
  if ("error" in r) return r;
  if (r.width <= 0 || r.height <= 0) return { error: `image header gives no size (${r.width}×${r.height})` };
  const limit = maxPixels ?? imagePixelBudget();
  if (r.width > MAX_SIDE || r.height > MAX_SIDE || r.width * r.height > limit) {
    return {
      error: `absurd dimensions ${r.width}×${r.height} (limit ${MAX_SIDE} a side, ${limit} pixels: ` +
        `the imageSide and imagePixels budgets; TOK1D_MAX_IMAGE_PIXELS raises the second)`,
    };
  }
  return r;
}
