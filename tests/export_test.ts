/**
 * `tok1d export`: the written .onnx files load from disk in ONNX Runtime
 * (external data pointing into model.safetensors) and give the same outputs
 * as tok1d's in-memory sessions.
 */
import { deepStrictEqual, ok } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXPORT_FILES, type ExportManifest, exportOnnx, graphFile } from "../core/export.ts";
import { readNpy } from "../core/data/npy.ts";
import { OnnxFileSession } from "../core/runtime/mod.ts";
import { loadTokenizer } from "../core/tokenizer.ts";

const DATA = new URL("./testdata/titok/", import.meta.url).pathname;

for (const name of ["vq_two_stage", "vae"]) {
  Deno.test(`export ${name}: encoder/decoder .onnx files reproduce the in-memory outputs`, async () => {
    // The in-memory sessions as exported: no CPU fusions (core/runtime/fusion_pass.ts), which move the
    // last bits (the exported graphs are the plain ONNX ones), so that the outputs are bit-identical.
    const tok = await loadTokenizer(`${DATA}${name}`, { threads: 1, fuse: false });
    const dir = mkdtempSync(join(tmpdir(), "tok1d-export-"));
    exportOnnx(tok, dir);
    // Weights live only in model.safetensors: the graphs stay small.
    ok(statSync(join(dir, graphFile("encoder"))).size < 200_000, "encoder.onnx holds no weights");
    // Every graph the family declares is written, and the manifest says how programs chain them.
    const manifest: ExportManifest = JSON.parse(readFileSync(join(dir, EXPORT_FILES.manifest), "utf8"));
    deepStrictEqual(Object.keys(manifest.graphs).sort(), ["decode_tokens", "decoder", "encoder"]);
    for (const g of Object.values(manifest.graphs)) ok(existsSync(join(dir, g.file)), g.file);
    deepStrictEqual(manifest.programs.encode.graphs, ["encoder"]);
    deepStrictEqual(manifest.programs.reconstruct.graphs, ["encoder", "decoder"]);
    deepStrictEqual(manifest.graphs.encoder.inputs.map((v) => v.name), ["image"]);
    const x = readNpy(`${DATA}${name}/input.npy`);
    const want = await tok.encode(x);
    const enc = await OnnxFileSession.open(join(dir, graphFile("encoder")), { threads: 1 });
    const got = await enc.run({ image: x });
    deepStrictEqual(got.tokens.data, want.tokens.data);
    const dec = await OnnxFileSession.open(join(dir, graphFile("decode_tokens")), { threads: 1 });
    const image = (await dec.run({ tokens: got.tokens })).image;
    deepStrictEqual(image.data, (await tok.decode(want.tokens)).data);
    await Promise.all([enc.release(), dec.release(), tok.release()]);
  });
}
