import { deepStrictEqual, throws } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPython } from "../data/_testutil.ts";
import { UsageError } from "../errors.ts";
import { writeSafetensors } from "../weights/safetensors.ts";
import { buildInception } from "./inception.ts";
import { loadInceptionWeights, randomInceptionWeights } from "./inception_weights.ts";
import { isLegacyTorch, parseLegacyTorch, pickleEnd } from "./torch_legacy.ts";

const FILE = new URL("../../tests/testdata/metrics/legacy/legacy_state_dict.pth", import.meta.url).pathname;

Deno.test("torch legacy: a torch 1.13 _use_new_zipfile_serialization=False state dict", () => {
  const bytes = Deno.readFileSync(FILE);
  deepStrictEqual(isLegacyTorch(bytes), true);
  deepStrictEqual(pickleEnd(bytes, 0), 15); // the magic-number pickle
  const t = parseLegacyTorch(bytes, FILE);
  const values = (k: string) => [...t.get(k)!.data].map(Number);
  deepStrictEqual(t.get("conv.weight")!.shape, [2, 3]);
  deepStrictEqual(values("conv.weight"), [1.5, -2, 3.25, 0, 4, -1]);
  deepStrictEqual(values("transposed"), [0, 3, 1, 4, 2, 5]); // a transposed view, made contiguous
  deepStrictEqual(values("x1"), [2, 3, 4]); // two views of one storage at offsets 2 and 5
  deepStrictEqual(values("x2"), [5, 6, 7, 8, 9]);
  deepStrictEqual(values("bn.num_batches_tracked"), [7]);
  deepStrictEqual([t.get("nested.k")!.dtype, values("nested.k")], ["int64", [1, 2]]);
  deepStrictEqual([t.get("nested.d")!.dtype, values("nested.d")], ["float64", [0.5]]);
  throws(() => parseLegacyTorch(bytes.subarray(0, bytes.length - 3), FILE), /truncated/);
  throws(() => parseLegacyTorch(new Uint8Array(8), FILE), UsageError);
});

const torch = findPython(["torch"]);
Deno.test({
  name: "inception weights: the full random Inception saved by torch as a legacy .pth loads key by key",
  ignore: !torch,
  fn: () => {
    const g = buildInception();
    const w = randomInceptionWeights(g, 3);
    const dir = mkdtempSync(join(tmpdir(), "tok1d-inception-"));
    writeSafetensors(join(dir, "w.safetensors"), w);
    // torch.save in the legacy format, with the classifier and BN counters pytorch-fid's file also holds.
    const py = `
import json, struct, sys, collections, numpy as np, torch
b = open(sys.argv[1] + "/w.safetensors", "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
sd = collections.OrderedDict()
for k, v in h.items():
    if k == "__metadata__": continue
    s, e = v["data_offsets"]; sd[k] = torch.from_numpy(np.frombuffer(b[8 + n + s:8 + n + e], "<f4").reshape(v["shape"]).copy())
    if k.endswith("bn.running_var"): sd[k[:-11] + "num_batches_tracked"] = torch.tensor(0)
sd["fc.weight"] = torch.zeros(1008, 2048); sd["fc.bias"] = torch.zeros(1008)
torch.save(sd, sys.argv[1] + "/inception.pth", _use_new_zipfile_serialization=False)`;
    execFileSync(torch!, ["-c", py, dir]);
    const back = loadInceptionWeights(join(dir, "inception.pth"), g);
    deepStrictEqual(back.size, w.size);
    for (const [k, t] of w) deepStrictEqual(back.get(k)!.data, t.data, k);
    throws(
      () => loadInceptionWeights(join(dir, "missing.pth"), g),
      (e: Error) =>
        e instanceof UsageError &&
        /pt_inception-2015-12-05-6726825d\.pth.*releases\/download\/fid_weights/.test(e.message),
    );
  },
});
