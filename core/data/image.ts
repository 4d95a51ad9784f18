/**
 * Image decoding: PNG, JPEG or WebP bytes → 8-bit RGB pixels (HWC), with the
 * same values as upstream's `PIL.Image.open(f).convert("RGB")` (checked
 * bit-exact against Debian python3-pil 9.4.0 in `image_test.ts`).
 *
 * Conversions, each as PIL does them:
 * - grayscale (and 1/2/4-bit) → R = G = B;
 * - alpha is dropped, not composited (gray+alpha, RGBA, palette with tRNS);
 * - 16-bit RGB, RGBA and gray+alpha PNGs keep the high byte (`v >> 8`);
 *   16-bit gray PNGs open in PIL as mode "I" whose conversion to RGB
 *   *clamps* to 0..255, so any value ≥ 255 becomes white: reproduced here;
 * - CMYK JPEGs: PIL's naive, profile-free formula
 *   `R = 255 - K - C·(255 - K)/255` (rounded as PIL's MULDIV255), assuming
 *   Adobe-inverted data as PIL does;
 * - embedded ICC profiles are ignored (PIL does not apply them; sharp would);
 * - the EXIF orientation tag is NOT applied (PIL's `open` ignores it; call
 *   `ImageOps.exif_transpose` upstream to get it), so width × height are the
 *   stored ones.
 *
 * Only this folder touches image codecs. Bad input (zero bytes, truncated or
 * corrupt data, another format, more than 2^14 pixels a side or more pixels
 * than the image budget) is a {@link UsageError} naming the file; sizes are
 * checked from the header before any pixel is decoded. The pixel budget is
 * Pillow's decompression-bomb guard (core/budgets.ts): above 89 M pixels a
 * warning, above 179 M a refusal — raise it with `TOK1D_MAX_IMAGE_PIXELS` or
 * the `maxPixels` option.
 *
 * @example
 * ```ts
 * import { decodeImage } from "./image.ts";
 * const img = await decodeImage("photo.jpg");
 * console.log(img.width, img.height, img.data.length); // w, h, w*h*3
 * ```
 * @module
 */
import { readFile } from "node:fs/promises";
import sharp, { type Metadata, type Sharp } from "sharp";
import { UsageError } from "../errors.ts";
import { BUDGETS, imagePixelBudget, overBudget } from "../budgets.ts";

/** 8-bit RGB pixels, row-major HWC (`data.length === width * height * 3`). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Largest accepted side (pixels): `BUDGETS.imageSide`. */
export const MAX_SIDE: number = BUDGETS.imageSide;
/** Largest accepted area (pixels) by default: `BUDGETS.imagePixels` (raise with `TOK1D_MAX_IMAGE_PIXELS`). */
export const MAX_PIXELS: number = BUDGETS.imagePixels;
/** Container formats accepted (sniffed from the bytes, not the file name). */
export const IMAGE_FORMATS = ["jpeg", "png", "webp"] as const;

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /** Name used in error messages when the input is bytes (default `<image bytes>`). */
  name?: string;
  /** Pixel budget (default: `TOK1D_MAX_IMAGE_PIXELS` or `BUDGETS.imagePixels`). */
  maxPixels?: number;
  /** Where the large-image warning goes (default: stderr). */
  warn?: (message: string) => void;
}

/**
 * Checks an image's header size against the side and pixel budgets, before
 * any decoding: a UsageError above them, a warning above
 * `BUDGETS.imageWarnPixels`. Returns the pixel budget in force.
 *
 * @example
 * ```ts
 * checkImageSize("scan.png", 20000, 20000); // throws: … exceeds the imageSide budget …
 * ```
 */
export function checkImageSize(
  name: string,
  width: number,
  height: number,
  options: Pick<DecodeOptions, "maxPixels" | "warn"> = {},
): number {
  const limit = options.maxPixels ?? imagePixelBudget();
  if (width > MAX_SIDE || height > MAX_SIDE) {
    throw overBudget(name, `an image of ${width}×${height} pixels`, "imageSide");
  }
  if (width * height > limit) {
    throw overBudget(
      name,
      `an image of ${width}×${height} = ${width * height} pixels (set TOK1D_MAX_IMAGE_PIXELS to read it)`,
      "imagePixels",
      limit,
    );
  }
  if (width * height > BUDGETS.imageWarnPixels) {
    (options.warn ?? ((m: string) => console.error(`warning: ${m}`)))(
      `${name}: a large image (${width}×${height} = ${width * height} pixels, over ` +
        `${BUDGETS.imageWarnPixels}); decoding it needs ${
          Math.round((width * height * 6) / 2 ** 20)
        } MB or more`,
    );
  }
  return limit;
}

function sharpErrorText(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}

/**
 * Decodes an image file (or its bytes) to 8-bit RGB, as PIL's
 * `Image.open(f).convert("RGB")` would.
 *
 * @example
 * ```ts
 * const { data, width, height } = await decodeImage(await Deno.readFile("cat.png"), { name: "cat.png" });
 * ```
 */
export async function decodeImage(
  source: string | Uint8Array,
  options: DecodeOptions = {},
): Promise<RgbImage> {
  const name = typeof source === "string" ? source : options.name ?? "<image bytes>";
  let bytes: Uint8Array;
  if (typeof source === "string") {
    try {
      bytes = await readFile(source);
    } catch (e) {
      throw new UsageError(`${name}: cannot read image (${sharpErrorText(e)})`);
    }
  } else bytes = source;
  if (bytes.length === 0) throw new UsageError(`${name}: empty file (0 bytes), not an image`);

  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new UsageError(`${name}: not a readable PNG/JPEG/WebP image (${sharpErrorText(e)})`);
  }
  const format = String(meta.format);
  if (!(IMAGE_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`${name}: ${format} images are not supported (use ${IMAGE_FORMATS.join(", ")})`);
  }
  const { width, height } = meta;
  if (!width || !height) throw new UsageError(`${name}: image header has no size`);
  const limit = checkImageSize(name, width, height, options);

  const input = () => sharp(bytes, { limitInputPixels: limit, failOn: "truncated", ignoreIcc: true });
  try {
    if (meta.space === "cmyk") {
      return cmykToRgb(await raw(input().pipelineColourspace("cmyk").toColourspace("cmyk")));
    }
    if (meta.depth === "ushort" && meta.channels === 1) {
      const g = await raw(input().pipelineColourspace("grey16").toColourspace("grey16"), "ushort");
      return gray16ToRgb(g);
    }
    return toRgb(await raw(input()));
  } catch (e) {
    throw new UsageError(`${name}: corrupt or truncated ${format} image (${sharpErrorText(e)})`);
  }
}

interface Raw {
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  channels: number;
}

async function raw(pipe: Sharp, depth: "uchar" | "ushort" = "uchar"): Promise<Raw> {
  const { data, info } = await pipe.raw({ depth }).toBuffer({ resolveWithObject: true });
  const pixels = depth === "ushort"
    ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { data: pixels, width: info.width, height: info.height, channels: info.channels };
}

/** Keeps the first three channels (or replicates gray), dropping alpha. */
function toRgb({ data, width, height, channels }: Raw): RgbImage {
  if (channels === 3) return { data: data as Uint8Array, width, height };
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (channels >= 3) {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      out[3 * i] = data[j];
      out[3 * i + 1] = data[j + 1];
      out[3 * i + 2] = data[j + 2];
    }
  } else {
    for (let i = 0, j = 0; i < n; i++, j += channels) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = data[j];
  }
  return { data: out, width, height };
}

/** PIL mode "I" → "RGB": clamp each 16-bit gray value to 0..255. */
function gray16ToRgb({ data, width, height, channels }: Raw): RgbImage {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = Math.min(data[i * channels], 255);
    out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = v;
  }
  return { data: out, width, height };
}

/** PIL's `cmyk2rgb`: R = clip(255 - K - MULDIV255(C, 255 - K)). */
function cmykToRgb({ data, width, height, channels }: Raw): RgbImage {
  if (channels < 4) throw new Error(`CMYK image decoded with ${channels} channels`);
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    const nk = 255 - data[j + 3];
    for (let c = 0; c < 3; c++) {
      const t = data[j + c] * nk + 128;
      out[3 * i + c] = Math.max(0, nk - (((t >> 8) + t) >> 8));
    }
  }
  return { data: out, width, height };
}
