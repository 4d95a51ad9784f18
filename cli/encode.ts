/**
 * `tok1d encode` and `tok1d reconstruct`: image files, folders, shards or
 * brace patterns stream through the dataset reader (decode workers, one batch
 * in memory) into the family's encode (or adaptive encode) program; tokens go
 * to `tokens.npy` + `tokens.json` as they come, reconstructions to
 * `<out>/images/<source name>.png`, and `grid.png` sits beside that folder.
 * `--shard K/N` encodes one contiguous part; `tok1d encode merge` joins the
 * parts into what one process would have written.
 *
 * @example
 * ```sh
 * tok1d encode --model titok/s128 --weights w.bin --out tok/part-3 --shard 3/8 imagenet/train
 * tok1d encode merge --out tok/all tok/part-*
 * ```
 * @module
 */
import { join } from "node:path";
import { BadImages } from "../core/data/bad_images.ts";
import { type ClipBatch, VideoStitcher } from "../core/data/video_clips.ts";
import type { VideoSource } from "../core/data/video_sources.ts";
import { parseShardFlag } from "../core/data/shard_slice.ts";
import { UsageError } from "../core/errors.ts";
import type { EncodeOptions } from "../core/plugin.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Tokenizer } from "../core/tokenizer.ts";
import { TokenWriter } from "../core/tokens_file.ts";
import type { Tokens } from "../core/tokens.ts";
import { configHash, intFlag, type ModelFlags, outDir, tokenizerFromFlags } from "./common.ts";
import { type FamilyFlags, familyParams } from "./family_options.ts";
import { ReconstructionSink } from "./reconstruct_sink.ts";
import { openSource, skippedSummary, streamInputs } from "./stream_inputs.ts";

/** Flags of encode and reconstruct. */
export interface EncodeFlags extends ModelFlags, FamilyFlags {
  out: string;
  shard?: string;
  budget?: string;
  length?: string;
  adaptive?: boolean;
  threshold?: string;
  workers?: string;
  npy?: boolean;
  /** false (`--no-resize`): centre-crop without resizing. */
  resize?: boolean;
  fps?: string;
  /** `--strict`: stop at the first bad image instead of skipping it (core/data/bad_images.ts). */
  strict?: boolean;
}

/** What the sidecar says about the model and the run. */
export function sidecarMeta(tok: Tokenizer, f: EncodeFlags, extra: Record<string, unknown> = {}) {
  const info = tok.info;
  return {
    family: info.family,
    variant: info.variant,
    model: f.model,
    weights: f.weights ?? tok.model.weights ?? null,
    randomWeights: tok.randomWeights,
    configHash: configHash(tok.model.config),
    tokensPerItem: info.tokensPerItem,
    vocabulary: info.vocabulary ?? null,
    input: info.input,
    ...extra,
  };
}

function encodeOptions(tok: Tokenizer, f: EncodeFlags): EncodeOptions {
  const o: EncodeOptions = { params: familyParams(tok.model.plugin, f) };
  if (f.budget !== undefined && f.length !== undefined) {
    throw new UsageError("--length: the same as --budget; pass one");
  }
  if (f.budget !== undefined) o.budget = intFlag(f.budget, "--budget");
  if (f.length !== undefined) o.budget = intFlag(f.length, "--length");
  if (f.threshold !== undefined) {
    const t = Number(f.threshold);
    if (!Number.isFinite(t) || t < 0) {
      throw new UsageError(`--threshold: expected a number ≥ 0, got '${f.threshold}'`);
    }
    o.threshold = t;
  }
  if (f.adaptive && o.threshold === undefined) {
    throw new UsageError("--adaptive: also pass --threshold <value>");
  }
  if (f.adaptive && !tok.programs.encodeAdaptive) {
    throw new UsageError(`--adaptive: ${tok.info.family} has no adaptive encode`);
  }
  if (o.budget !== undefined && !tok.info.budgets.includes(o.budget)) {
    throw new UsageError(
      `--budget ${o.budget}: ${tok.info.family} encodes at ${tok.info.budgets.join(", ")} tokens`,
    );
  }
  return o;
}

function checkShard(f: EncodeFlags) {
  return f.shard === undefined ? undefined : parseShardFlag(f.shard);
}

/** `tok1d encode`. */
export async function encodeCommand(inputs: string[], f: EncodeFlags): Promise<void> {
  if (!f.model) {
    throw new UsageError("--model: required (a preset, config file, HF-style folder or 'default')");
  }
  if (!f.out) throw new UsageError("--out: required (the folder for tokens.npy and tokens.json)");
  if (!inputs.length) throw new UsageError("encode: name image files, folders or shards after the flags");
  const shard = checkShard(f);
  const bad = new BadImages(!!f.strict);
  const source = await openSource(inputs, f, bad);
  const dir = outDir(f.out);
  const tok = await tokenizerFromFlags(f, [f.adaptive ? "encodeAdaptive" : "encode"]);
  const writer = new TokenWriter(dir, tok.info.tokensPerItem);
  try {
    const o = encodeOptions(tok, f);
    const streamed = await streamInputs(source, tok, f, "encode", bad, async (images, _keys, sources) => {
      const t: Tokens = f.adaptive ? await tok.encodeAdaptive(images, o) : await tok.encode(images, o);
      writer.append(t, sources);
    });
    const side = writer.close(sidecarMeta(tok, f, {
      ...(o.budget !== undefined ? { budget: o.budget } : {}),
      ...(f.adaptive ? { adaptive: { threshold: o.threshold } } : {}),
      ...(shard ? { shard } : {}),
    }));
    const npy = join(dir, "tokens.npy");
    const videos = streamed.videos === undefined ? {} : { videos: streamed.videos };
    if (f.json) {
      console.log(JSON.stringify({ tokens: npy, ...side, ...videos, badImages: bad.summary() }, null, 2));
    } else {
      console.log(
        `wrote ${npy} (${side.tokenDtype} [${side.tokenShape}]) and tokens.json` +
          (streamed.videos === undefined
            ? ""
            : `: ${streamed.items} clips of ${streamed.videos} video${streamed.videos === 1 ? "" : "s"}`),
      );
    }
    const skipped = skippedSummary(bad, streamed);
    if (skipped) console.error(skipped);
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    await tok.release();
  }
}

/** `tok1d reconstruct`: encode → decode; returns what it wrote (for tests and the demo). */
export async function reconstructCommand(inputs: string[], f: EncodeFlags, gridItems = 8) {
  if (!inputs.length) {
    throw new UsageError("reconstruct: name image files, folders or shards after the flags");
  }
  const shard = checkShard(f);
  const bad = new BadImages(!!f.strict);
  const source = await openSource(inputs, f, bad);
  const dir = outDir(f.out);
  // Images reconstruct in one program; videos and adaptive encodes run encode, then decode.
  const tok = await tokenizerFromFlags(
    f,
    f.adaptive ? ["encodeAdaptive", "decode"] : "files" in source ? ["encode", "decode"] : ["reconstruct"],
  );
  const writer = new TokenWriter(dir, tok.info.tokensPerItem);
  if ("files" in source) return await reconstructVideos(source, tok, f, dir, writer, bad);
  const sink = new ReconstructionSink(dir, { perItem: tok.info.tokensPerItem, npy: f.npy, gridItems });
  try {
    const o = encodeOptions(tok, f);
    await streamInputs(source, tok, f, "reconstruct", bad, async (images, keys, sources) => {
      let r: { tokens: Tokens; images: Tensor };
      if (f.adaptive) {
        const tokens = await tok.encodeAdaptive(images, o);
        r = { tokens, images: await tok.decode(tokens) };
      } else r = await tok.reconstruct(images, o);
      writer.append(r.tokens, sources);
      await sink.add(images, r.images, keys, sources, r.tokens);
    });
    writer.close(sidecarMeta(tok, f, shard ? { shard } : {}));
    const summary = { ...await sink.finish(), badImages: bad.summary() };
    if (f.json) console.log(JSON.stringify({ tokens: join(dir, "tokens.npy"), ...summary }, null, 2));
    else {
      console.log(
        `wrote ${summary.images} reconstructions to ${summary.folder} and ${summary.grid} ` +
          `(originals above reconstructions); mean PSNR ${summary.psnr.toFixed(2)} dB`,
      );
    }
    const skipped = bad.line();
    if (skipped) console.error(skipped);
    return summary;
  } catch (e) {
    writer.abort();
    sink.abort();
    throw e;
  } finally {
    await tok.release();
  }
}

/** PSNR (dB) of a clip batch in [0,1] against its clamped reconstruction, per clip over its real frames. */
function clipPsnr(b: ClipBatch, recon: Tensor): number[] {
  const per = b.video.data.length / b.sources.length;
  const fr = per / b.video.shape[1];
  const [x, y] = [b.video.data, recon.data as Float32Array];
  return b.frames.map((frames, i) => {
    let se = 0;
    for (let k = i * per; k < i * per + frames * fr; k++) {
      const d = Math.min(1, Math.max(0, y[k])) - x[k];
      se += d * d;
    }
    return 10 * Math.log10(1 / Math.max(se / (frames * fr), 1e-12));
  });
}

/** reconstruct on video files: tokens per clip, `<out>/<name>.mp4` per file (ground truth above reconstruction). */
async function reconstructVideos(
  source: VideoSource,
  tok: Tokenizer,
  f: EncodeFlags,
  dir: string,
  writer: TokenWriter,
  bad: BadImages,
) {
  const stitcher = new VideoStitcher(
    dir,
    tok.info.input.height,
    f.fps === undefined ? 24 : intFlag(f.fps, "--fps"),
  );
  const psnrs: number[] = [];
  try {
    const o = encodeOptions(tok, f);
    const streamed = await streamInputs(
      source,
      tok,
      f,
      "reconstruct",
      bad,
      async (video, _keys, sources, clips) => {
        const tokens = f.adaptive ? await tok.encodeAdaptive(video, o) : await tok.encode(video, o);
        writer.append(tokens, sources);
        const recon = await tok.decode(tokens);
        psnrs.push(...clipPsnr(clips!, recon));
        await stitcher.add(clips!, recon);
      },
    );
    writer.close(sidecarMeta(tok, f));
    const videos = await stitcher.finish();
    const psnr = psnrs.reduce((a, b) => a + b, 0) / Math.max(1, psnrs.length);
    const n = streamed.items;
    const summary = {
      folder: dir,
      grid: videos[0],
      npy: null,
      images: n,
      psnr,
      perImage: [],
      videos,
      badImages: bad.summary(),
    };
    if (f.json) console.log(JSON.stringify({ tokens: join(dir, "tokens.npy"), ...summary }, null, 2));
    else {
      console.log(
        `wrote ${videos.join(", ")} (originals above reconstructions) and tokens of ${n} clips; ` +
          `mean PSNR ${psnr.toFixed(2)} dB`,
      );
    }
    const skipped = skippedSummary(bad, streamed);
    if (skipped) console.error(skipped);
    return summary;
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    await tok.release();
  }
}
