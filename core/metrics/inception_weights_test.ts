import { deepStrictEqual, ok, throws } from "node:assert";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findPython, scratchDir } from "../data/_testutil.ts";
import { UsageError } from "../errors.ts";
import { writeSafetensors } from "../weights/safetensors.ts";
import { buildInception, INCEPTION_WEIGHTS } from "./inception.ts";
import {
  inceptionFileWarning,
  inceptionWeights,
  loadInceptionWeights,
  missingInceptionMessage,
  randomInceptionWeights,
} from "./inception_weights.ts";

Deno.test("inception weights: seeded random weights are reproducible, BN variances positive", () => {
  const g = buildInception();
  const [a, b] = [randomInceptionWeights(g, 5), randomInceptionWeights(g, 5)];
  deepStrictEqual(
    a.get("Mixed_7c.branch_pool.conv.weight")!.data,
    b.get("Mixed_7c.branch_pool.conv.weight")!.data,
  );
  for (const [k, t] of a) {
    if (k.endsWith("running_var")) ok((t.data as Float32Array).every((v) => v >= 0.5 && v <= 1.5), k);
  }
  ok(inceptionWeights(g, "random:5") === inceptionWeights(g, "random:5"), "the last random set is reused");
});

Deno.test("inception weights: safetensors with a missing key, a misnamed file and no file are UsageErrors", () => {
  const g = buildInception();
  const dir = scratchDir("tok1d-inception-");
  const w = randomInceptionWeights(g, 1);
  w.delete("Conv2d_1a_3x3.bn.running_mean");
  writeSafetensors(join(dir, "partial.safetensors"), w);
  throws(
    () => loadInceptionWeights(join(dir, "partial.safetensors"), g),
    /missing 1 key \(e\.g\. Conv2d_1a_3x3\.bn\.running_mean \[32\]\)/,
  );
  // A file under the standard name must carry the published SHA-256 prefix.
  writeFileSync(join(dir, INCEPTION_WEIGHTS.file), "not the weights");
  throws(() => loadInceptionWeights(join(dir, INCEPTION_WEIGHTS.file), g), /does not start with 6726825d/);
  throws(
    () => inceptionWeights(g, undefined),
    (e: Error) => e instanceof UsageError && e.message.includes(INCEPTION_WEIGHTS.url),
  );
});

const torch = findPython(["torch"]);
Deno.test({
  name: "inception weights: the full random Inception saved by torch as a legacy .pth loads key by key",
  ignore: !torch,
  fn: () => {
    const g = buildInception();
    const w = randomInceptionWeights(g, 3);
    const dir = scratchDir("tok1d-inception-");
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

Deno.test("inception weights: a file that is not the official one loads with a warning; a missing one names --no-fid", () => {
  const g = buildInception();
  const dir = scratchDir("tok1d-inception-");
  const path = join(dir, "my_inception.safetensors");
  writeSafetensors(path, randomInceptionWeights(g, 2));
  const warning = inceptionFileWarning(path)!;
  ok(
    warning.startsWith(`Inception weights ${path} are not the official ${INCEPTION_WEIGHTS.file} (SHA-256 `),
    warning,
  );
  ok(warning.includes("expected 6726825d…") && warning.includes("not with published ones"));
  deepStrictEqual(inceptionFileWarning("random:3"), undefined);
  const said: string[] = [];
  const e = console.error;
  console.error = (...a: unknown[]) => said.push(a.join(" "));
  try {
    deepStrictEqual(loadInceptionWeights(path, g).size, g.params.size);
  } finally {
    console.error = e;
  }
  deepStrictEqual(said, [`warning: ${warning}`]);
  ok(missingInceptionMessage("x.pth").includes("--no-fid"));
});
