import { deepStrictEqual, ok, throws } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPython } from "../data/_testutil.ts";
import { UsageError } from "../errors.ts";
import { writeSafetensors } from "../weights/safetensors.ts";
import { isLegacyTorch } from "../weights/torch_legacy.ts";
import { fileWeights, fixtureWeights, FULL_SPEC } from "./_perceptual_fixture.ts";
import {
  loadPerceptualWeights,
  missingPerceptualMessage,
  PERCEPTUAL_FILES,
  type PerceptualFileKind,
  perceptualParamShapes,
  requiredPerceptualFiles,
} from "./perceptual_weights.ts";

const usage = (fn: () => unknown, re: RegExp) =>
  throws(fn, (e: Error) => {
    if (e instanceof UsageError && re.test(e.message)) return true;
    throw new Error(`expected a UsageError matching ${re}, got ${e.name}: ${e.message}`);
  });

/** Runs `fn` with the fixture weights written as the three files' safetensors in a fresh folder. */
function withSafetensorsFiles(fn: (dir: string, files: Record<PerceptualFileKind, string>) => void) {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-perceptual-"));
  try {
    const files = {
      vgg: join(dir, "vgg.safetensors"),
      lpips: join(dir, "lpips.safetensors"),
      convnext: join(dir, "convnext.safetensors"),
    };
    for (const kind of ["vgg", "lpips", "convnext"] as const) {
      writeSafetensors(files[kind], fileWeights(kind));
    }
    fn(dir, files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("perceptual weights: the files each spec needs, and a message naming them", () => {
  deepStrictEqual(requiredPerceptualFiles("lpips"), ["vgg", "lpips"]);
  deepStrictEqual(requiredPerceptualFiles("convnext_s"), ["convnext"]);
  deepStrictEqual(requiredPerceptualFiles(FULL_SPEC), ["vgg", "lpips", "convnext"]);
  const msg = missingPerceptualMessage("convnext_s", ["convnext"]);
  ok(msg.includes("convnext_small-0c510722.pth") && msg.includes(PERCEPTUAL_FILES.convnext.url), msg);
  ok(msg.includes("--perceptual-weights convnext=<file>"), msg);
  deepStrictEqual(perceptualParamShapes("lpips").size, 26 + 5);
  deepStrictEqual(perceptualParamShapes("convnext_s").size, 344);
});

Deno.test("perceptual weights: safetensors files load under the graph's names, checked key by key", () =>
  withSafetensorsFiles((dir, files) => {
    const w = loadPerceptualWeights(FULL_SPEC, files);
    const want = fixtureWeights();
    deepStrictEqual([...w.keys()].sort(), [...want.keys()].sort());
    for (const [k, t] of want) deepStrictEqual(w.get(k)!.data, t.data, k);
    // Only what the spec needs is read: LPIPS alone ignores a missing ConvNeXt file.
    deepStrictEqual(loadPerceptualWeights("lpips", { vgg: files.vgg, lpips: files.lpips }).size, 31);

    usage(
      () => loadPerceptualWeights("lpips", { vgg: files.vgg }),
      /needs vgg\.pth \(LPIPS linear heads.*lpips=<file>/,
    );
    usage(
      () => loadPerceptualWeights("convnext_s", { convnext: join(dir, "nope.pth") }),
      /nope\.pth not found.*convnext_small-0c510722\.pth/,
    );
    const partial = fileWeights("vgg");
    partial.delete("features.28.weight");
    writeSafetensors(join(dir, "partial.safetensors"), partial);
    usage(
      () => loadPerceptualWeights("lpips", { vgg: join(dir, "partial.safetensors"), lpips: files.lpips }),
      /partial\.safetensors does not match the model: missing 1 key \(e\.g\. features\.28\.weight \[512, 512, 3, 3\]\)/,
    );
    // The ConvNeXt file given where VGG16 belongs: VGG's keys are missing.
    usage(
      () => loadPerceptualWeights("lpips", { vgg: files.convnext, lpips: files.lpips }),
      /missing 26 keys \(e\.g\. features\.0\.weight \[64, 3, 3, 3\]/,
    );
    const heads = fileWeights("lpips");
    heads.set("lin2.model.1.weight", {
      dtype: "float32",
      shape: [1, 128, 1, 1],
      data: new Float32Array(128),
    });
    writeSafetensors(join(dir, "heads.safetensors"), heads);
    usage(
      () => loadPerceptualWeights("lpips", { vgg: files.vgg, lpips: join(dir, "heads.safetensors") }),
      /misshaped 1 key \(e\.g\. lin2\.model\.1\.weight \[1, 128, 1, 1\] in the checkpoint, \[1, 256, 1, 1\] in the model\)/,
    );
    // A file under the published name must carry the published SHA-256 prefix.
    writeFileSync(join(dir, "vgg16-397923af.pth"), "not the weights");
    usage(
      () => loadPerceptualWeights("lpips", { vgg: join(dir, "vgg16-397923af.pth"), lpips: files.lpips }),
      /does not start with 397923af/,
    );
  }));

const torch = findPython(["torch"]);
Deno.test({
  name:
    "perceptual weights: torch.save files as published (legacy VGG16 and LPIPS heads, zip ConvNeXt-S) load",
  ignore: !torch,
  fn: () =>
    withSafetensorsFiles((dir) => {
      // vgg16-397923af.pth (2017) and vgg.pth are legacy torch.save files; VGG16's also holds the classifier.
      const py = `
import json, struct, sys, collections, numpy as np, torch
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); sd = collections.OrderedDict()
    for k, v in h.items():
        if k == "__metadata__": continue
        s, e = v["data_offsets"]; sd[k] = torch.from_numpy(np.frombuffer(b[8 + n + s:8 + n + e], "<f4").reshape(v["shape"]).copy())
    return sd
d = sys.argv[1]
vgg = load(d + "/vgg.safetensors"); vgg["classifier.6.weight"] = torch.zeros(1000, 8); vgg["classifier.6.bias"] = torch.zeros(1000)
torch.save(vgg, d + "/vgg16.pth", _use_new_zipfile_serialization=False)
torch.save(load(d + "/lpips.safetensors"), d + "/vgg.pth", _use_new_zipfile_serialization=False)
torch.save(load(d + "/convnext.safetensors"), d + "/convnext_small.pth")`;
      execFileSync(torch!, ["-c", py, dir]);
      const pth = {
        vgg: join(dir, "vgg16.pth"),
        lpips: join(dir, "vgg.pth"),
        convnext: join(dir, "convnext_small.pth"),
      };
      ok(isLegacyTorch(Deno.readFileSync(pth.lpips)), "vgg.pth is in the legacy format");
      const w = loadPerceptualWeights(FULL_SPEC, pth);
      const want = fixtureWeights();
      deepStrictEqual(w.size, want.size);
      for (const [k, t] of want) deepStrictEqual(w.get(k)!.data, t.data, k);
    }),
});
