/**
 * Weights for the FID Inception graph: the user's
 * `pt_inception-2015-12-05-6726825d.pth` (legacy or zip `torch.save`, or a
 * `.safetensors` conversion), checked key by key against the graph; or seeded
 * random weights for tests and benchmarks. A missing file is a
 * {@link UsageError} that says which file FID needs and where it is
 * published — tok1d never downloads it.
 *
 * @example
 * ```ts
 * const g = buildInception("pytorch-fid");
 * const weights = inceptionWeights(g, "pt_inception-2015-12-05-6726825d.pth");
 * const fake = inceptionWeights(g, "random"); // seeded random weights (tests)
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, extname } from "node:path";
import type { Graph } from "../graph/graph.ts";
import { Rng } from "../init.ts";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { readBytes } from "../weights/bytes.ts";
import { assertKeys } from "../weights/checkpoint.ts";
import { parseSafetensors } from "../weights/safetensors.ts";
import { parseTorchCheckpoint } from "../weights/torch_zip.ts";
import { isZip } from "../weights/zip.ts";
import { INCEPTION_WEIGHTS } from "./inception.ts";
import { isLegacyTorch, parseLegacyTorch } from "../weights/torch_legacy.ts";

/**
 * Seeded random weights shaped for the graph, scaled so that activations keep
 * their size through the 94 conv layers: He-uniform conv kernels, batch-norm
 * scales in [0.8, 1.2], shifts and running means in ±0.1, running variances
 * in [0.5, 1.5].
 *
 * @example
 * ```ts
 * const w = randomInceptionWeights(buildInception(), 7);
 * ```
 */
export function randomInceptionWeights(graph: Graph, seed = 0): Map<string, Tensor> {
  const rng = new Rng(seed);
  const out = new Map<string, Tensor>();
  for (const p of graph.params.values()) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const field = p.name.slice(p.name.lastIndexOf(".") + 1);
    if (p.name.endsWith("conv.weight")) {
      // He-uniform: U(±√(6 / fan_in)), the variance of He-normal without a logarithm per draw.
      const bound = Math.sqrt(6 / (p.shape[1] * p.shape[2] * p.shape[3]));
      for (let i = 0; i < n; i++) data[i] = (2 * rng.next() - 1) * bound;
    } else {
      const [lo, hi] = field === "weight" ? [0.8, 1.2] : field === "running_var" ? [0.5, 1.5] : [-0.1, 0.1];
      for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng.next();
    }
    out.set(p.name, { dtype: "float32", shape: [...p.shape], data });
  }
  return out;
}

/** The message for a missing Inception file: which file, where it is published, how to pass it or skip FID. */
export function missingInceptionMessage(path?: string): string {
  const where = path ? `${path} not found. ` : "";
  return `${where}FID needs the Inception weights ${INCEPTION_WEIGHTS.file} (pytorch-fid's port of ` +
    `TensorFlow's 2015-12-05 graph), published at ${INCEPTION_WEIGHTS.url} . tok1d never downloads it: ` +
    `fetch it once, then pass --inception <file> (or set TOK1D_INCEPTION); or skip FID with --no-fid (eval)`;
}

const verdicts = new Map<string, string | undefined>();

/**
 * Why the Inception file at `path` may not give comparable FIDs — its SHA-256 is not the published
 * file's — or undefined when it is the official one. (A `.safetensors` conversion of the official file
 * differs too: the warning says the values compare only with runs on the same file.) Cached per path.
 */
export function inceptionFileWarning(path: string): string | undefined {
  if (/^random(:\d+)?$/.test(path)) return undefined;
  if (!verdicts.has(path)) {
    const digest = createHash("sha256").update(readBytes(path, "Inception weights file")).digest("hex");
    verdicts.set(
      path,
      digest.startsWith(INCEPTION_WEIGHTS.sha256Prefix)
        ? undefined
        : `Inception weights ${path} are not the official ` +
          `${INCEPTION_WEIGHTS.file} (SHA-256 ${
            digest.slice(0, 8)
          }…, expected ${INCEPTION_WEIGHTS.sha256Prefix}…): ` +
          `FID values compare only with runs that used this same file, not with published ones`,
    );
  }
  return verdicts.get(path);
}

/** Reads a checkpoint's tensors: legacy or zip `torch.save`, or safetensors. */
function readInceptionFile(path: string): Map<string, Tensor> {
  const bytes = readBytes(path, "Inception weights file");
  if (extname(path).toLowerCase() === ".safetensors") return parseSafetensors(bytes, path).tensors;
  if (isLegacyTorch(bytes)) return parseLegacyTorch(bytes, path);
  if (isZip(bytes)) return parseTorchCheckpoint(bytes, path).tensors;
  throw new UsageError(`${path}: not a torch.save or safetensors file; expected ${INCEPTION_WEIGHTS.file}`);
}

/**
 * Loads FID Inception weights from a file and checks them against the graph's
 * parameters (the classifier `fc.*` and `num_batches_tracked` entries are
 * ignored). When the file carries the standard name, its SHA-256 must start
 * with the prefix torch.hub put in that name.
 */
export function loadInceptionWeights(path: string, graph: Graph): Map<string, Tensor> {
  if (!existsSync(path)) throw new UsageError(missingInceptionMessage(path));
  const warning = inceptionFileWarning(path);
  // The published name with another hash is a damaged download: refuse it. Any other file is used, with a warning.
  if (warning && basename(path) === INCEPTION_WEIGHTS.file) {
    throw new UsageError(
      `${path}: SHA-256 does not start with ${INCEPTION_WEIGHTS.sha256Prefix}; ` +
        `the file is damaged or not the published one (${INCEPTION_WEIGHTS.url})`,
    );
  }
  if (warning) console.error(`warning: ${warning}`);
  const all = readInceptionFile(path);
  const shapes = new Map([...graph.params.values()].map((p) => [p.name, p.shape]));
  const ignored = (k: string) => k.startsWith("fc.") || k.endsWith(".num_batches_tracked");
  assertKeys(shapes, all, { source: path, allowUnexpected: ignored });
  const out = new Map<string, Tensor>();
  for (const key of shapes.keys()) {
    const t = all.get(key)!;
    if (t.dtype !== "float32") throw new UsageError(`${path}: ${key} is ${t.dtype}; expected float32`);
    out.set(key, t);
  }
  return out;
}

let lastRandom: { seed: number; weights: Map<string, Tensor> } | undefined;

/**
 * Weights for `graph` from a spec: a file path, or `random` / `random:<seed>`
 * for seeded random weights (tests, benchmarks; FID values are then
 * meaningless). An empty spec is the missing-file error.
 */
export function inceptionWeights(graph: Graph, spec: string | undefined): Map<string, Tensor> {
  if (!spec) throw new UsageError(missingInceptionMessage());
  const random = /^random(?::(\d+))?$/.exec(spec);
  if (random) {
    // 21.8 M normals take a second or two: keep the last set (tests and benchmarks ask for the same seed again).
    const seed = Number(random[1] ?? 0);
    if (lastRandom?.seed !== seed) lastRandom = { seed, weights: randomInceptionWeights(graph, seed) };
    return lastRandom.weights;
  }
  return loadInceptionWeights(spec, graph);
}
