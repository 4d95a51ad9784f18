/**
 * Decoding in parallel: a pool of Web Workers, each running
 * `decode_worker.ts` (decode + Pillow-exact transform + ToTensor), so that
 * feeding a training step is not bound to one core. With 0 workers the same
 * work runs on the calling thread. Results do not depend on which worker ran
 * a job: every job carries its own seed.
 *
 * @example
 * ```ts
 * import { DecodePool } from "./decode_pool.ts";
 * const pool = new DecodePool(2);
 * const chw = await pool.decode("a.jpg", "a.jpg", 1234, { size: 256 }); // Float32Array(3 * 256 * 256)
 * pool.close();
 * ```
 * @module
 */
import { Rng } from "../init.ts";
import { decodeRgb } from "./decode_fast.ts";
import { type TransformOptions, transformToChw } from "./transform.ts";

/** A message to a worker. */
export interface DecodeJob {
  id: number;
  /** Image bytes, or a path the worker reads. */
  source: string | Uint8Array;
  /** Name for error messages. */
  name: string;
  seed: number;
  transform: TransformOptions;
}

/** A worker's answer. */
export type DecodeReply = { id: number; data: Float32Array } | { id: number; error: string };

/** A worker died or could not start: a fault of the machine or the program, never of one image. */
export class DecodeWorkerError extends Error {
  override name = "DecodeWorkerError";
}

interface Pending {
  resolve: (data: Float32Array) => void;
  reject: (e: Error) => void;
  worker: number;
}

/** Decodes and transforms images on `workers` threads (0 = the calling thread). */
export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(readonly size: number) {
    for (let w = 0; w < size; w++) {
      const worker = new Worker(new URL("./decode_worker.ts", import.meta.url), { type: "module" });
      worker.onmessage = (e: MessageEvent<DecodeReply>) => this.settle(e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.fail(w, new DecodeWorkerError(`decode worker ${w} failed: ${e.message}`));
      };
      this.workers.push(worker);
      this.load.push(0);
    }
  }

  private settle(reply: DecodeReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    this.load[p.worker]--;
    if ("error" in reply) p.reject(new Error(reply.error));
    else p.resolve(reply.data);
  }

  private fail(worker: number, error: Error): void {
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      this.load[worker]--;
      p.reject(error);
    }
  }

  /** Decodes `source`, applies `transform` with a generator seeded by `seed`: float32 `[3, S, S]`. */
  decode(
    source: string | Uint8Array,
    name: string,
    seed: number,
    transform: TransformOptions,
  ): Promise<Float32Array> {
    if (!this.workers.length) {
      return decodeRgb(source, name).then((img) => transformToChw(img, transform, new Rng(seed)));
    }
    let w = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i] < this.load[w]) w = i;
    const id = this.nextId++;
    this.load[w]++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      const job: DecodeJob = { id, source, name, seed, transform };
      const owned = typeof source !== "string" && source.byteOffset === 0 &&
        source.byteLength === source.buffer.byteLength && source.buffer instanceof ArrayBuffer;
      this.workers[w].postMessage(job, owned ? [(source as Uint8Array).buffer as ArrayBuffer] : []);
    });
  }

  /** Stops the workers; jobs still pending are rejected. */
  close(): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new Error("decode pool closed"));
    }
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}
