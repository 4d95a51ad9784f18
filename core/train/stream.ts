/**
 * Training batches from any dataset the reader opens (webdataset shards,
 * brace patterns, ImageNet-style trees): upstream's train transform (shorter
 * side → size, random crop, horizontal flip; resized with the family's
 * `Plugin.inputTransform` where it declares one, as encode resizes), epochs
 * reshuffled by seed.
 * The batch of step s is the s-th batch of this seeded stream, so a resumed
 * run skips the batches already seen and continues identically.
 * @module
 */
import type { BadImages } from "../data/bad_images.ts";
import { type ImageBatch, openImageSource } from "../data/reader.ts";
import { UsageError } from "../errors.ts";
import type { InputTransform } from "../plugin.ts";
import type { Tensor } from "../tensor.ts";

/** A step-indexed view of a seeded batch stream. */
export class StreamSampler {
  private iterator?: AsyncIterator<ImageBatch>;
  private epoch = 0;
  private next = 0;

  constructor(
    private readonly spec: string,
    private readonly size: number,
    private readonly batch: number,
    private readonly seed: number,
    private readonly shuffleBuffer = 1000,
    private readonly workers = 1,
    private readonly badImages?: BadImages,
    private readonly transform: InputTransform = {},
  ) {}

  private async open(): Promise<void> {
    const src = await openImageSource(this.spec, { badImages: this.badImages });
    this.iterator = src.batches(this.batch, {
      size: this.size,
      crop: "random",
      flip: true,
      ...this.transform,
      seed: this.seed,
      epoch: this.epoch,
      shuffleBuffer: this.shuffleBuffer,
      workers: this.workers,
      dropLast: true,
    })[Symbol.asyncIterator]();
  }

  /** Stops the reader (its decoding workers keep the process alive otherwise). */
  async close(): Promise<void> {
    await this.iterator?.return?.();
    this.iterator = undefined;
  }

  /** The images of step `s`; steps must be asked for in order (after a resume, from the resumed step). */
  async batchAt(s: number): Promise<Tensor<"float32">> {
    if (s < this.next) throw new Error(`stream sampler: step ${s} was already consumed`);
    let images: Tensor<"float32"> | undefined;
    while (this.next <= s) {
      if (!this.iterator) await this.open();
      const r = await this.iterator!.next();
      if (r.done) {
        if (this.next === 0 && this.epoch === 0) {
          throw new UsageError(`--data ${this.spec}: fewer images than one batch`);
        }
        this.epoch++;
        this.iterator = undefined;
        continue;
      }
      images = r.value.images;
      this.next++;
    }
    return images!;
  }
}
