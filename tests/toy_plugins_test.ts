/**
 * The plugin contract carries families that are not TiTok-shaped, with no
 * change in core: two toy plugins defined only under tests/toy_plugins run
 * through the generic driver, the token files, export and the eval curve.
 */
import { deepStrictEqual, ok } from "node:assert";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExportManifest, exportOnnx } from "../core/export.ts";
import { openImageSource } from "../core/data/reader.ts";
import { evaluateTokenizer } from "../core/metrics/evaluate.ts";
import type { Plugin } from "../core/plugin.ts";
import type { Tensor } from "../core/tensor.ts";
import { openTokenizer } from "../core/tokenizer.ts";
import { readTokens, writeTokens } from "../core/tokens_file.ts";
import { tokenCounts } from "../core/tokens.ts";
import { blocksToy } from "./toy_plugins/blocks.ts";
import { iterativeToy } from "./toy_plugins/iterative.ts";

// deno-lint-ignore no-explicit-any
function open(plugin: Plugin<any>) {
  const p = plugin as Plugin<unknown>;
  const config = p.schema.parse(p.presets.tiny);
  return openTokenizer({ plugin: p, config, variant: "tiny", configSource: "test" }, {
    threads: 1,
    batchSize: 2,
  });
}

/** Three 16×16 images: flat, split top/bottom, split into quadrants. */
function images(): Tensor<"float32"> {
  const n = 3 * 256;
  const data = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const at = c * 256 + y * 16 + x;
        data[at] = 0.4;
        data[n + at] = y < 8 ? 0.2 : 0.8;
        data[2 * n + at] = (y < 8 ? 0.2 : 0.8) * (x < 8 ? 1 : 0.5);
      }
    }
  }
  return { dtype: "float32", shape: [3, 3, 16, 16], data };
}

Deno.test("toy iterative family: a host loop gives each image its own length; decode uses each length", async () => {
  const tok = await open(iterativeToy);
  const x = images();
  const t = await tok.encodeAdaptive(x, { threshold: 0.02 });
  // Flat and top/bottom images are exact with 2 tokens; only the quadrant image needs 4.
  deepStrictEqual(t.lengths, [2, 2, 4]);
  deepStrictEqual([...t.tokens.data as BigInt64Array].slice(0, 8), [6n, 6n, -1n, -1n, 3n, 12n, -1n, -1n]);
  deepStrictEqual(tokenCounts(t, 4), [2, 2, 4]);
  const y = await tok.decode(t);
  const err = (y.data as Float32Array).reduce(
    (a, v, i) => Math.max(a, Math.abs(v - (x.data as Float32Array)[i])),
    0,
  );
  ok(err <= 0.5 / 15 + 1e-6, `every image reconstructs to within one id step (max error ${err})`);
  // A fixed budget runs only that iteration's encoder.
  deepStrictEqual((await tok.encode(x, { budget: 2 })).lengths, [2, 2, 2]);
  // The token file round trip keeps the lengths, and the padded file decodes each item at its length.
  const dir = mkdtempSync(join(tmpdir(), "tok1d-toy-"));
  const side = writeTokens(dir, t, ["a", "b", "c"], { family: "toy_iterative" }, 4);
  deepStrictEqual(side.lengths, [2, 2, 4]);
  deepStrictEqual(side.tokenCounts, [2, 2, 4]);
  const back = readTokens(dir).tokens;
  deepStrictEqual(back.lengths, [2, 2, 4]);
  deepStrictEqual((await tok.decode(back)).data, y.data);
  // Export writes every graph and says how the adaptive program chains them.
  const out = join(dir, "onnx");
  exportOnnx(tok, out);
  const m: ExportManifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  deepStrictEqual(Object.keys(m.graphs).sort(), ["decode_2", "decode_4", "encode_2", "encode_4"]);
  deepStrictEqual(m.programs.encodeAdaptive.graphs, ["encode_2", "decode_2", "encode_4"]);
  for (const g of Object.values(m.graphs)) ok(existsSync(join(out, g.file)));
  await tok.release();
});

Deno.test("toy iterative family: eval draws the quality-against-tokens curve by encoding at each budget", async () => {
  const tok = await open(iterativeToy);
  const photos = new URL("./testdata/photos/", import.meta.url).pathname;
  const source = await openImageSource(photos);
  const e = await evaluateTokenizer(tok, source, { fid: false, batchSize: 2 });
  deepStrictEqual(e.curve?.map((p) => p.tokensPerImage), [2, 4]);
  ok(e.curve![1].psnr > e.curve![0].psnr, `4 tokens beat 2: ${e.curve![1].psnr} vs ${e.curve![0].psnr}`);
  deepStrictEqual(e.psnr, e.curve![1].psnr);
  deepStrictEqual(e.images, source.count);
  await tok.release();
});

Deno.test("toy block family: the stateful block-by-block decode equals full recomputation", async () => {
  const tok = await open(blocksToy);
  deepStrictEqual(tok.info.input, { kind: "video", frames: 4, height: 2, width: 2 });
  const b = 3;
  const video: Tensor = {
    dtype: "float32",
    shape: [b, 4, 3, 2, 2],
    data: Float32Array.from({ length: b * 48 }, (_, i) => ((i * 37) % 101) / 100),
  };
  const t = await tok.encode(video);
  deepStrictEqual(t.tokens.shape, [b, 1, 4]);
  deepStrictEqual(t.blockCounts, [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]);
  const cached = await tok.decode(t);
  // Only the one-block graph ran; the full graph is built now, for the comparison.
  const s = await (await import("../core/runtime/mod.ts")).Session.create(
    tok.graph("decode_full"),
    tok.weights,
    {
      threads: 1,
    },
  );
  const full = (await s.run({ tokens: t.tokens })).video;
  deepStrictEqual(cached.shape, full.shape);
  const d = (cached.data as Float32Array).reduce(
    (a, v, i) => Math.max(a, Math.abs(v - (full.data as Float32Array)[i])),
    0,
  );
  ok(d < 1e-6, `cached and full decode differ by ${d}`);
  // Frame j is the mean of the first j+1 ids: check one item by hand.
  const ids = [...t.tokens.data as BigInt64Array].slice(0, 4).map(Number);
  const want = ids.map((_, j) => ids.slice(0, j + 1).reduce((a, v) => a + v, 0) / (15 * (j + 1)));
  for (let j = 0; j < 4; j++) {
    ok(
      Math.abs((cached.data[j * 12] as number) - want[j]) < 1e-6,
      `frame ${j}: ${cached.data[j * 12]} vs ${want[j]}`,
    );
  }
  await s.release();
  await tok.release();
});
