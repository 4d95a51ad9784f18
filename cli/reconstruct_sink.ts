/**
 * Where `tok1d reconstruct` puts what it makes, batch by batch: each
 * reconstruction as `<out>/images/<source name>.png`, optionally
 * `<out>/images.npy` (float32, before clamping, streamed), per-image PSNR and
 * token counts, and `<out>/grid.png` of the first items — beside the images
 * folder, never inside it, so `tok1d fid originals/ <out>/images` counts only
 * reconstructions. Grid tiles are at least `MIN_GRID_TILE` (core/data/png.ts) px on screen
 * (nearest-neighbour enlargement of small models' images), each original
 * captioned with its file name and each reconstruction with its PSNR.
 *
 * @example
 * ```ts
 * const sink = new ReconstructionSink("out/rec", { perItem: 32, npy: true });
 * await sink.add(originals, reconstructions, keys, sources, tokens);
 * const summary = await sink.finish(); // { folder, grid, images, psnr, perImage }
 * ```
 * @module
 */
import { mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { toUint8Image } from "../core/data/batch.ts";
import { NpyStreamWriter } from "../core/data/npy_stream.ts";
import { gridRows, MIN_GRID_TILE, writePng } from "../core/data/png.ts";
import { psnr } from "../core/metrics/psnr.ts";
import type { Tensor } from "../core/tensor.ts";
import { concatBatch, sliceBatch, tokenCounts, type Tokens } from "../core/tokens.ts";

/** One reconstructed item. */
export interface ReconstructedItem {
  source: string;
  file: string;
  psnr: number;
  tokens: number;
}

function clamp01(t: Tensor): Tensor<"float32"> {
  const d = Float32Array.from(t.data as Float32Array, (v) => (v > 0 ? (v < 1 ? v : 1) : 0));
  return { dtype: "float32", shape: t.shape, data: d };
}

/** Writes reconstructions as they come; keeps only the grid's first items in memory. */
export class ReconstructionSink {
  readonly folder: string;
  private readonly npy?: NpyStreamWriter;
  private readonly items: ReconstructedItem[] = [];
  private originals: Tensor[] = [];
  private recons: Tensor[] = [];
  private captions: [string[], string[]] = [[], []];
  private kept = 0;

  constructor(
    readonly dir: string,
    private readonly o: { perItem: number; npy?: boolean; gridItems?: number; gridColumns?: number },
  ) {
    this.folder = join(dir, "images");
    mkdirSync(this.folder, { recursive: true });
    if (o.npy) this.npy = new NpyStreamWriter(join(dir, "images.npy"));
  }

  /** Adds a batch: originals and reconstructions (B,3,H,W), source keys and names, their tokens. */
  async add(
    originals: Tensor,
    recon: Tensor,
    keys: string[],
    sources: string[],
    tokens: Tokens,
  ): Promise<void> {
    this.npy?.append(recon);
    const clamped = clamp01(recon);
    const scores = psnr(originals, clamped);
    const counts = tokenCounts(tokens, this.o.perItem);
    for (let i = 0; i < keys.length; i++) {
      const img = toUint8Image(clamped, i);
      const file = join(this.folder, `${keys[i]}.png`);
      mkdirSync(dirname(file), { recursive: true });
      await writePng(file, img.data, img.width, img.height);
      this.items.push({ source: sources[i], file, psnr: scores[i], tokens: counts[i] });
    }
    const room = Math.min((this.o.gridItems ?? 8) - this.kept, keys.length);
    if (room > 0) {
      this.originals.push(sliceBatch(originals, 0, room));
      this.recons.push(sliceBatch(clamped, 0, room));
      this.captions[0].push(...sources.slice(0, room).map((s) => basename(s)));
      // The caption font has capitals only (core/data/font.ts): "dB" would read "DB", so the unit is left out.
      this.captions[1].push(...[...scores.slice(0, room)].map((p) => `PSNR ${p.toFixed(2)}`));
      this.kept += room;
    }
  }

  /** Writes the grid and the npy; returns the summary (per-image rows worst PSNR first). */
  async finish() {
    this.npy?.close();
    const grid = join(this.dir, "grid.png");
    const originals = concatBatch(this.originals);
    const g = gridRows([originals, concatBatch(this.recons)], {
      columns: Math.min(this.o.gridColumns ?? 8, this.kept),
      scale: Math.max(1, Math.ceil(MIN_GRID_TILE / (originals.shape[3] as number))),
      labels: this.captions,
    });
    await writePng(grid, g.data, g.width, g.height);
    const finite = this.items.map((r) => r.psnr).filter(Number.isFinite);
    const mean = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : Infinity;
    return {
      folder: this.folder,
      grid,
      npy: this.npy ? this.npy.path : null,
      images: this.items.length,
      psnr: mean,
      perImage: [...this.items].sort((a, b) => a.psnr - b.psnr),
    };
  }

  /** Drops the streamed npy of a failed run. */
  abort(): void {
    this.npy?.abort();
  }
}
