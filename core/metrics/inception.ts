/**
 * The InceptionV3 that FID is defined with (TensorFlow's 2015-12-05 graph,
 * as pytorch-fid's `fid_inception_v3`), built with the graph builder: image
 * → 299×299 bilinear resize → normalisation → the FID blocks → 2048-d pool3
 * features. Two front ends reproduce the two lineages of published numbers:
 *
 * - `pytorch-fid` (`python -m pytorch_fid`, ALIT, BDD-1D): images in [0, 1],
 *   torch bilinear resize (`align_corners=False`), `2x − 1`;
 * - `torch-fidelity` (TiTok's and MARVEL's evaluator): 8-bit pixel values
 *   0…255, TensorFlow-1 bilinear resize, `(x − 128) / 128`.
 *
 * Both use the same weights, `pt_inception-2015-12-05-6726825d.pth`, which
 * the user brings (see {@link INCEPTION_WEIGHTS}).
 *
 * @example
 * ```ts
 * const g = buildInception("pytorch-fid"); // image [batch,3,H,W] → features [batch,2048]
 * const weights = randomInceptionWeights(g, 0); // or loadInceptionWeights(path, g)
 * ```
 * @module
 */
import { Graph, type Value } from "../graph/graph.ts";
import { add, f32, maxPool, mul, reduceMean, resizeBilinear, type ResizeCoordinates } from "../ops/mod.ts";
import { basicConv, inceptionA, inceptionB, inceptionC, inceptionD, inceptionE } from "./inception_blocks.ts";

/** The Inception weights FID needs, and where they are published (tok1d never downloads them). */
export const INCEPTION_WEIGHTS = {
  file: "pt_inception-2015-12-05-6726825d.pth",
  url:
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
  /** First hex digits of the file's SHA-256 (torch.hub's convention for the file name). */
  sha256Prefix: "6726825d",
} as const;

/** Side of the square Inception input. */
export const INCEPTION_SIZE = 299;
/** Width of the pool3 features. */
export const FEATURE_DIM = 2048;

/** The Inception front ends FID numbers are published with. */
export type FidProtocol = "pytorch-fid" | "torch-fidelity";

/** How one front end feeds the network. */
export interface ProtocolSpec {
  /** Pixel scale the graph's input is in: 1 for [0, 1] images, 255 for 8-bit values. */
  pixelScale: 1 | 255;
  coordinates: ResizeCoordinates;
  /** Normalisation after the resize: `x · scale + shift`. */
  scale: number;
  shift: number;
  /** One line for reports. */
  description: string;
}

/** The front ends, keyed by the package that defines them. */
export const FID_PROTOCOLS: Readonly<Record<FidProtocol, ProtocolSpec>> = {
  "pytorch-fid": {
    pixelScale: 1,
    coordinates: "pytorch_half_pixel",
    scale: 2,
    shift: -1,
    description: "pytorch-fid: [0,1] images, torch bilinear resize to 299 (align_corners=False), 2x-1",
  },
  "torch-fidelity": {
    pixelScale: 255,
    coordinates: "asymmetric",
    scale: 1 / 128, // (x − 128)/128 = x/128 − 1 exactly: 1/128 is a power of two
    shift: -1,
    description: "torch-fidelity: uint8 images, TF1 bilinear resize to 299, (x-128)/128",
  },
};

/** Checks a protocol name, naming the allowed ones when it is not one. */
export function isFidProtocol(name: string): name is FidProtocol {
  return Object.hasOwn(FID_PROTOCOLS, name);
}

/**
 * Builds the FID Inception graph: input `image` float32 `[batch, 3, H, W]`
 * (any H, W; pixel scale per the protocol), output `features` float32
 * `[batch, 2048]`. Parameter names are pytorch-fid's checkpoint keys.
 *
 * @example
 * ```ts
 * const g = buildInception("torch-fidelity");
 * g.params.get("Mixed_7c.branch_pool.bn.running_var")?.shape; // [192]
 * ```
 */
export function buildInception(protocol: FidProtocol = "pytorch-fid"): Graph {
  const p = FID_PROTOCOLS[protocol];
  const g = new Graph(`inception_fid_${protocol}`);
  const image = g.input("image", "float32", ["batch", 3, "height", "width"]);
  let x: Value = resizeBilinear(g, image, INCEPTION_SIZE, INCEPTION_SIZE, p.coordinates);
  x = add(g, mul(g, x, g.constant(f32([], [p.scale]), "scale")), g.constant(f32([], [p.shift]), "shift"));
  x = basicConv(g, x, "Conv2d_1a_3x3", 3, 32, { kernel: 3, stride: 2 });
  x = basicConv(g, x, "Conv2d_2a_3x3", 32, 32, { kernel: 3 });
  x = basicConv(g, x, "Conv2d_2b_3x3", 32, 64, { kernel: 3, pad: 1 });
  x = maxPool(g, x, { kernel: 3, stride: 2 });
  x = basicConv(g, x, "Conv2d_3b_1x1", 64, 80, { kernel: 1 });
  x = basicConv(g, x, "Conv2d_4a_3x3", 80, 192, { kernel: 3 });
  x = maxPool(g, x, { kernel: 3, stride: 2 });
  x = inceptionA(g, x, "Mixed_5b", 192, 32);
  x = inceptionA(g, x, "Mixed_5c", 256, 64);
  x = inceptionA(g, x, "Mixed_5d", 288, 64);
  x = inceptionB(g, x, "Mixed_6a", 288);
  x = inceptionC(g, x, "Mixed_6b", 768, 128);
  x = inceptionC(g, x, "Mixed_6c", 768, 160);
  x = inceptionC(g, x, "Mixed_6d", 768, 160);
  x = inceptionC(g, x, "Mixed_6e", 768, 192);
  x = inceptionD(g, x, "Mixed_7a", 768);
  x = inceptionE(g, x, "Mixed_7b", 1280, "avg");
  x = inceptionE(g, x, "Mixed_7c", 2048, "max");
  g.output(reduceMean(g, x, [2, 3], false), "features");
  return g;
}
