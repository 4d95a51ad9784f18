import { deepStrictEqual, ok } from "node:assert";
import { readNpy } from "../data/npy.ts";
import type { Tensor } from "../tensor.ts";
import { InceptionFeatures } from "./features.ts";
import { buildInception, FID_PROTOCOLS } from "./inception.ts";

const DIR = new URL("../../tests/testdata/metrics/inception/", import.meta.url).pathname;

function maxAbsDiff(got: Tensor, want: Tensor): number {
  deepStrictEqual(got.shape, want.shape);
  let d = 0;
  for (let i = 0; i < want.data.length; i++) {
    d = Math.max(d, Math.abs(Number(got.data[i]) - Number(want.data[i])));
  }
  return d;
}

/** Rows 8…55 of every image: a 48×64 (non-square) batch. */
function cropRows(t: Tensor): Tensor {
  const [b, c, h, w] = t.shape;
  const out = new Float32Array(b * c * 48 * w);
  for (let p = 0; p < b * c; p++) {
    out.set((t.data as Float32Array).subarray((p * h + 8) * w, (p * h + 56) * w), p * 48 * w);
  }
  return { dtype: "float32", shape: [b, c, 48, w], data: out };
}

Deno.test("inception: graph has pytorch-fid's 470 parameters (94 BasicConv2d) and 2048-d output", () => {
  const g = buildInception();
  deepStrictEqual(g.params.size, 94 * 5);
  deepStrictEqual(g.params.get("Mixed_6e.branch7x7dbl_2.conv.weight")?.shape, [192, 192, 7, 1]);
  deepStrictEqual(g.outputs.map((o) => [o.name, o.shape]), [["features", ["batch", 2048]]]);
  deepStrictEqual(Object.keys(FID_PROTOCOLS), ["pytorch-fid", "torch-fidelity"]);
});

Deno.test("inception: pool3 features match pytorch-fid and torch-fidelity (random weights, seed 2015) within 1e-4", async () => {
  const images = readNpy(`${DIR}/images.npy`);
  const pf = await InceptionFeatures.create("random:2015", { protocol: "pytorch-fid", threads: 2 });
  const d1 = maxAbsDiff(await pf.extract(images), readNpy(`${DIR}/features_pytorch_fid.npy`));
  const d2 = maxAbsDiff(await pf.extract(cropRows(images)), readNpy(`${DIR}/features_pytorch_fid_crop.npy`));
  await pf.release();
  const tf = await InceptionFeatures.create("random:2015", {
    protocol: "torch-fidelity",
    threads: 2,
    batchSize: 2,
  });
  const d3 = maxAbsDiff(await tf.extract(images), readNpy(`${DIR}/features_torch_fidelity.npy`));
  await tf.release();
  ok(
    d1 < 1e-4 && d2 < 1e-4 && d3 < 1e-4,
    `max |Δ|: pytorch-fid ${d1}, 48×64 crop ${d2}, torch-fidelity ${d3}`,
  );
});
