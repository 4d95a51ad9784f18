/**
 * PNG output: write 8-bit RGB pixels as a PNG file (atomically), and lay out
 * batches of float images as grids — e.g. originals above their
 * reconstructions — the way torchvision's `make_grid` does (`pad` pixels
 * between and around cells, `padValue` in [0, 1]).
 *
 * @example
 * ```ts
 * import { gridRows, writePng } from "./png.ts";
 * import { loadImages } from "./batch.ts";
 * const originals = await loadImages(["a.png", "b.png"], 256);
 * const reconstructions = originals; // a tokenizer's output in real use
 * const grid = gridRows([originals, reconstructions], { columns: 8 });
 * await writePng("report/grid.png", grid.data, grid.width, grid.height);
 * ```
 * @module
 */
import sharp from "sharp";
import { check, UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import type { Tensor } from "../tensor.ts";
import { toUint8Image } from "./batch.ts";
import { drawText, fitText, GLYPH_H } from "./font.ts";
import type { RgbImage } from "./image.ts";

function checkPixels(rgb: Uint8Array, width: number, height: number, what: string): void {
  check(
    Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0,
    () => `${what}: size must be positive integers, got ${width}×${height}`,
  );
  check(
    rgb.length === width * height * 3,
    () => `${what}: ${width}×${height} RGB needs ${width * height * 3} bytes, got ${rgb.length}`,
  );
}

/**
 * Encodes 8-bit RGB pixels (HWC) as PNG bytes.
 *
 * @example
 * ```ts
 * const png = await encodePng(new Uint8Array(2 * 2 * 3), 2, 2);
 * ```
 */
export async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  checkPixels(rgb, width, height, "encodePng");
  const buf = await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Writes 8-bit RGB pixels (HWC) to a PNG file atomically, creating folders.
 *
 * @example
 * ```ts
 * import { decodeImage } from "./image.ts";
 * const img = await decodeImage("in.jpg");
 * await writePng("out/in.png", img.data, img.width, img.height);
 * ```
 */
export async function writePng(path: string, rgb: Uint8Array, width: number, height: number): Promise<void> {
  const bytes = await encodePng(rgb, width, height);
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    throw new UsageError(`${path}: cannot write PNG (${(e as Error).message})`);
  }
}

/** Layout options of {@link makeGrid} and {@link gridRows}. */
export interface GridOptions {
  /** Cells per line (makeGrid default 8, as torchvision; gridRows default: the whole batch). */
  columns?: number;
  /** Pixels between and around cells (default 2). */
  pad?: number;
  /** Colour of the padding, in [0, 1] (default 0, black). */
  padValue?: number;
  /** Integer nearest-neighbour enlargement of every cell (default 1), so small images stay judgeable. */
  scale?: number;
  /**
   * gridRows: a caption under each cell, `labels[batch][item]` (white on black, 5×7 font, cut to
   * the cell's width); a batch without labels gets an empty strip so that rows stay aligned.
   */
  labels?: (string[] | undefined)[];
}

/** Height of a caption strip under a cell. */
export const LABEL_STRIP = GLYPH_H + 4;

/** Smallest on-screen size of a grid tile: smaller images are enlarged (nearest-neighbour) to at least this. */
export const MIN_GRID_TILE = 128;

/** Enlarges `img` k× by repeating pixels (nearest neighbour). */
export function upscaleNearest(img: RgbImage, k: number): RgbImage {
  if (k === 1) return img;
  const width = img.width * k, height = img.height * k;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const src = Math.floor(y / k) * img.width;
    for (let x = 0; x < width; x++) {
      data.set(
        img.data.subarray((src + Math.floor(x / k)) * 3, (src + Math.floor(x / k)) * 3 + 3),
        (y * width + x) * 3,
      );
    }
  }
  return { data, width, height };
}

/** `img` with a black strip below it holding `label` in white. */
function captioned(img: RgbImage, label: string | undefined): RgbImage {
  const out = { width: img.width, height: img.height + LABEL_STRIP, data: new Uint8Array(0) };
  out.data = new Uint8Array(out.width * out.height * 3);
  out.data.set(img.data);
  if (label) drawText(out, fitText(label, img.width - 2), 1, img.height + 2, [255, 255, 255]);
  return out;
}

function cellsOf(t: Tensor, what: string): { cells: RgbImage[]; h: number; w: number } {
  if (t.shape.length !== 4 || t.shape[1] !== 3) {
    throw new UsageError(`${what}: expects image batches of shape [B, 3, H, W], got [${t.shape}]`);
  }
  const cells = Array.from({ length: t.shape[0] }, (_, i) => toUint8Image(t, i));
  return { cells, h: t.shape[2], w: t.shape[3] };
}

function scaleOf(o: GridOptions): number {
  const k = o.scale ?? 1;
  check(
    Number.isInteger(k) && k >= 1 && k <= 64,
    () => `grid: scale must be an integer in [1, 64], got ${k}`,
  );
  return k;
}

/** Places cells (null = empty) on a grid of `columns` cells per line. */
function layout(
  cells: (RgbImage | null)[],
  columns: number,
  h: number,
  w: number,
  opts: GridOptions,
): RgbImage {
  const pad = opts.pad ?? 2;
  check(Number.isInteger(pad) && pad >= 0, () => `grid: pad must be a non-negative integer, got ${pad}`);
  const lines = Math.max(1, Math.ceil(cells.length / columns));
  const width = columns * (w + pad) + pad;
  const height = lines * (h + pad) + pad;
  const fill = Math.round(Math.min(1, Math.max(0, opts.padValue ?? 0)) * 255);
  const data = new Uint8Array(width * height * 3).fill(fill);
  cells.forEach((cell, i) => {
    if (!cell) return;
    const x0 = (i % columns) * (w + pad) + pad;
    const y0 = Math.floor(i / columns) * (h + pad) + pad;
    for (let y = 0; y < h; y++) {
      data.set(cell.data.subarray(y * w * 3, (y + 1) * w * 3), ((y0 + y) * width + x0) * 3);
    }
  });
  return { data, width, height };
}

/**
 * Lays out a float batch `[B, 3, H, W]` in [0, 1] as one RGB picture,
 * `columns` images per line (torchvision's `make_grid(nrow=columns)`).
 *
 * @example
 * ```ts
 * import { loadImages } from "./batch.ts";
 * const batch = await loadImages(["a.png", "b.png", "c.png"], 64);
 * const grid = makeGrid(batch, { columns: 4, pad: 2 });
 * ```
 */
export function makeGrid(images: Tensor, options: GridOptions = {}): RgbImage {
  const { cells: raw, h: h0, w: w0 } = cellsOf(images, "makeGrid");
  const k = scaleOf(options);
  const cells = raw.map((c) => upscaleNearest(c, k));
  const [h, w] = [h0 * k, w0 * k];
  const columns = Math.min(options.columns ?? 8, Math.max(1, cells.length));
  check(Number.isInteger(columns) && columns > 0, () => `makeGrid: columns must be a positive integer`);
  return layout(cells, columns, h, w, options);
}

/**
 * Stacks several batches of the same shape as rows: for every block of
 * `columns` images, one line per batch — `gridRows([originals, reconstructions])`
 * puts each reconstruction under its original.
 *
 * @example
 * ```ts
 * import { loadImages } from "./batch.ts";
 * const originals = await loadImages(["1.png", "2.png", "3.png", "4.png", "5.png", "6.png", "7.png", "8.png"], 64);
 * const reconstructions = originals; // a tokenizer's output in real use
 * const grid = gridRows([originals, reconstructions], { columns: 4 }); // 8 images → 4 lines of 4
 * ```
 */
export function gridRows(rows: Tensor[], options: GridOptions = {}): RgbImage {
  check(rows.length > 0, "gridRows: needs at least one batch");
  const batches = rows.map((t) => cellsOf(t, "gridRows"));
  const b = batches[0].cells.length;
  for (const [i, t] of rows.entries()) {
    check(
      t.shape[0] === b && t.shape[2] === batches[0].h && t.shape[3] === batches[0].w,
      () => `gridRows: batch ${i} has shape [${t.shape}], batch 0 has [${rows[0].shape}]`,
    );
  }
  const k = scaleOf(options);
  const labels = options.labels;
  check(
    !labels || labels.length === rows.length,
    () => `gridRows: ${labels?.length} label rows for ${rows.length} batches`,
  );
  for (const [bi, batch] of batches.entries()) {
    batch.cells = batch.cells.map((c, i) => {
      const big = upscaleNearest(c, k);
      return labels ? captioned(big, labels[bi]?.[i]) : big;
    });
  }
  const w = batches[0].w * k;
  const h = batches[0].h * k + (labels ? LABEL_STRIP : 0);
  const columns = options.columns ?? Math.max(1, b);
  check(Number.isInteger(columns) && columns > 0, () => `gridRows: columns must be a positive integer`);
  const cells: (RgbImage | null)[] = [];
  for (let s = 0; s < Math.max(b, 1); s += columns) {
    for (const { cells: row } of batches) {
      for (let c = 0; c < columns; c++) cells.push(row[s + c] ?? null);
    }
  }
  return layout(cells, columns, h, w, options);
}
