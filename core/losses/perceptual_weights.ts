/**
 * Weights of the perceptual loss (perceptual.ts), from the files the user
 * brings — tok1d never downloads them:
 * - `vgg16-397923af.pth`: torchvision's VGG16 (IMAGENET1K_V1), for LPIPS;
 * - `vgg.pth`: the LPIPS linear heads (taming-transformers' copy, md5
 *   d507d7349b931f0638a25a48a722f98a; a legacy, pre-1.6 `torch.save` file);
 * - `convnext_small-0c510722.pth`: torchvision's ConvNeXt-S (IMAGENET1K_V1).
 * Each may also be a `.safetensors` file with the same keys. Every key the
 * loss needs is checked (name and shape) and a missing file, key or shape is
 * a {@link UsageError} naming it. Seeded random weights serve tests and
 * benchmarks.
 *
 * @example
 * ```ts
 * const files = { vgg: "vgg16-397923af.pth", lpips: "vgg.pth", convnext: "convnext_small-0c510722.pth" };
 * const weights = loadPerceptualWeights("lpips-convnext_s-1.0-0.1", files); // perceptual.* → Tensor
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { Graph } from "../graph/graph.ts";
import { UsageError } from "../errors.ts";
import { Rng } from "../init.ts";
import { type Tensor, toFloat32 } from "../tensor.ts";
import { readBytes } from "../weights/bytes.ts";
import { assertKeys, loadCheckpoint } from "../weights/checkpoint.ts";
import { parsePerceptualSpec, PERCEPTUAL_SCOPE, perceptualLoss, type PerceptualSpec } from "./perceptual.ts";

/** The three weight files, by the role they play. */
export type PerceptualFileKind = "vgg" | "lpips" | "convnext";

/** What each file is, where it is published, and the prefix its keys get in the graph. */
export const PERCEPTUAL_FILES: Readonly<
  Record<
    PerceptualFileKind,
    { file: string; what: string; url: string; prefix: string; sha256Prefix?: string }
  >
> = {
  vgg: {
    file: "vgg16-397923af.pth",
    what: "torchvision VGG16 (IMAGENET1K_V1)",
    url: "https://download.pytorch.org/models/vgg16-397923af.pth",
    prefix: `${PERCEPTUAL_SCOPE}.lpips.net.`,
    sha256Prefix: "397923af",
  },
  lpips: {
    file: "vgg.pth",
    what: "LPIPS linear heads (taming-transformers, md5 d507d7349b931f0638a25a48a722f98a)",
    url: "https://heibox.uni-heidelberg.de/f/607503859c864bc1b30b/?dl=1",
    prefix: `${PERCEPTUAL_SCOPE}.lpips.`,
  },
  convnext: {
    file: "convnext_small-0c510722.pth",
    what: "torchvision ConvNeXt-S (IMAGENET1K_V1)",
    url: "https://download.pytorch.org/models/convnext_small-0c510722.pth",
    prefix: `${PERCEPTUAL_SCOPE}.convnext.`,
    sha256Prefix: "0c510722",
  },
};

/** Which graph parameters each file supplies. */
function kindOf(param: string): PerceptualFileKind {
  if (param.startsWith(PERCEPTUAL_FILES.vgg.prefix)) return "vgg";
  if (param.startsWith(PERCEPTUAL_FILES.lpips.prefix)) return "lpips";
  return "convnext";
}

const specOf = (spec: string | PerceptualSpec) => typeof spec === "string" ? parsePerceptualSpec(spec) : spec;

/** The files a perceptual model string needs, in a stable order. */
export function requiredPerceptualFiles(spec: string | PerceptualSpec): PerceptualFileKind[] {
  const s = specOf(spec);
  return [
    ...(s.lpips !== undefined ? ["vgg", "lpips"] as const : []),
    ...(s.convnext !== undefined ? ["convnext"] as const : []),
  ];
}

/** "training with perceptual loss X needs …; pass …": names each file and where it is published. */
export function missingPerceptualMessage(
  spec: string,
  kinds: PerceptualFileKind[],
  flag = "--perceptual-weights",
): string {
  const list = kinds.map((k) =>
    `${PERCEPTUAL_FILES[k].file} (${PERCEPTUAL_FILES[k].what}, ${PERCEPTUAL_FILES[k].url})`
  );
  return `the perceptual loss "${spec}" needs ${list.join(" and ")}; tok1d never downloads them: ` +
    `fetch them once and pass ${flag} ${kinds.map((k) => `${k}=<file>`).join(",")}`;
}

/** Name → shape of every parameter the loss declares (built once on a 1×3×32×32 probe batch). */
export function perceptualParamShapes(spec: string | PerceptualSpec): Map<string, number[]> {
  const g = new Graph("perceptual_keys");
  const x = g.input("real", "float32", [1, 3, 32, 32]);
  perceptualLoss(g, x, g.input("fake", "float32", [1, 3, 32, 32]), specOf(spec));
  return new Map([...g.params.values()].map((p) => [p.name, p.shape]));
}

function checkPublishedHash(kind: PerceptualFileKind, path: string): void {
  const { file, sha256Prefix, url } = PERCEPTUAL_FILES[kind];
  if (!sha256Prefix || basename(path) !== file) return;
  const digest = createHash("sha256").update(readBytes(path, `${kind} weights file`)).digest("hex");
  if (!digest.startsWith(sha256Prefix)) {
    throw new UsageError(
      `${path}: SHA-256 ${digest.slice(0, 16)}… does not start with ${sha256Prefix}; the file is damaged ` +
        `or not the published one (${url})`,
    );
  }
}

/**
 * Loads and checks the weights `spec` needs from `files` (paths by kind; see
 * {@link requiredPerceptualFiles}) and returns them under their graph names
 * (`perceptual.lpips.net.features.0.weight`, …). Keys a file holds beyond
 * those (VGG16's classifier) are ignored.
 */
export function loadPerceptualWeights(
  spec: string | PerceptualSpec,
  files: Partial<Record<PerceptualFileKind, string>>,
): Map<string, Tensor> {
  const shapes = perceptualParamShapes(spec);
  const kinds = requiredPerceptualFiles(spec);
  const absent = kinds.filter((k) => !files[k]);
  if (absent.length) {
    const name = typeof spec === "string" ? spec : JSON.stringify(spec);
    throw new UsageError(missingPerceptualMessage(name, absent));
  }
  const out = new Map<string, Tensor>();
  for (const kind of kinds) {
    const path = files[kind]!;
    if (!existsSync(path)) {
      throw new UsageError(
        `${kind} weights ${path} not found; expected ${PERCEPTUAL_FILES[kind].file} ` +
          `(${PERCEPTUAL_FILES[kind].what}, ${PERCEPTUAL_FILES[kind].url})`,
      );
    }
    checkPublishedHash(kind, path);
    const { prefix } = PERCEPTUAL_FILES[kind];
    const expected = new Map(
      [...shapes].filter(([name]) => kindOf(name) === kind).map((
        [name, s],
      ) => [name.slice(prefix.length), s]),
    );
    const { tensors } = loadCheckpoint(path);
    assertKeys(expected, tensors, { source: path, allowUnexpected: () => true });
    for (const key of expected.keys()) out.set(prefix + key, toFloat32(tensors.get(key)!));
  }
  return out;
}

/**
 * Seeded random weights for the loss's parameters (tests, benchmarks; loss
 * values are then meaningless), scaled so that activations keep their size
 * through VGG16 and the 36 ConvNeXt blocks: He-uniform convolutions before a
 * ReLU, variance-1/fan-in uniform elsewhere, norms 1 ± 0.2, biases ±0.1,
 * layer scales in [0.1, 0.3], non-negative LPIPS heads.
 */
export function randomPerceptualWeights(spec: string | PerceptualSpec, seed = 0): Map<string, Tensor> {
  const rng = new Rng(seed);
  const out = new Map<string, Tensor>();
  for (const [name, shape] of perceptualParamShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const [lo, hi] = name.endsWith("layer_scale")
      ? [0.1, 0.3]
      : /lin\d\.model/.test(name)
      ? [0, 1]
      : shape.length === 1 // a 1-D weight is a LayerNorm's; the rest are biases
      ? (name.endsWith(".weight") ? [0.8, 1.2] : [-0.1, 0.1])
      : name.includes(".lpips.net.")
      ? [-Math.sqrt(6 / fanIn), Math.sqrt(6 / fanIn)]
      : [-Math.sqrt(3 / fanIn), Math.sqrt(3 / fanIn)];
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng.next();
    out.set(name, { dtype: "float32", shape: [...shape], data });
  }
  return out;
}
