/**
 * Inception pool3 features of image batches on ONNX Runtime, with each
 * protocol's input rule applied on the host: `pytorch-fid` takes [0, 1]
 * floats as they are; `torch-fidelity` takes 8-bit values made as TiTok's
 * evaluator makes them, `(x * 255).to(torch.uint8)` — a float32 product
 * truncated toward zero.
 *
 * @example
 * ```ts
 * const inception = await InceptionFeatures.create("pt_inception-2015-12-05-6726825d.pth", { protocol: "torch-fidelity" });
 * const f = await inception.extract(images); // float32 [B, 2048]
 * await inception.release();
 * ```
 * @module
 */
import { Session, type SessionOptions } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";
import { buildInception, FEATURE_DIM, FID_PROTOCOLS, type FidProtocol } from "./inception.ts";
import { inceptionWeights } from "./inception_weights.ts";

/** Options of {@link InceptionFeatures.create}. */
export interface InceptionOptions extends SessionOptions {
  protocol?: FidProtocol;
  /** Images per ONNX Runtime call (default 16). */
  batchSize?: number;
}

/** TiTok's `(x * 255).to(torch.uint8)`: float32 product, truncated; out-of-range values clamp. */
export function toUint8Values(images: Tensor): Tensor<"float32"> {
  const src = images.data as Float32Array;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Math.trunc(Math.fround(src[i] * 255));
    out[i] = v > 255 ? 255 : v > 0 ? v : 0;
  }
  return { dtype: "float32", shape: [...images.shape], data: out };
}

/** An Inception graph on a session, fed in batches. */
export class InceptionFeatures {
  private constructor(
    private readonly session: Session,
    readonly protocol: FidProtocol,
    private readonly batchSize: number,
  ) {}

  /** Builds the graph for the protocol and loads weights from a file path or `random[:seed]`. */
  static async create(weights: string | undefined, opts: InceptionOptions = {}): Promise<InceptionFeatures> {
    const protocol = opts.protocol ?? "pytorch-fid";
    const graph = buildInception(protocol);
    const w = inceptionWeights(graph, weights);
    const session = await Session.create(graph, w, opts);
    return new InceptionFeatures(session, protocol, opts.batchSize ?? 16);
  }

  /** Images float32 `[B, 3, H, W]` in [0, 1] → pool3 features float32 `[B, 2048]`. */
  async extract(images: Tensor): Promise<Tensor<"float32">> {
    if (images.dtype !== "float32" || images.shape.length !== 4 || images.shape[1] !== 3) {
      throw new UsageError(
        `Inception: expected float32 images (B,3,H,W) in [0,1], got ${images.dtype} (${images.shape})`,
      );
    }
    const x = FID_PROTOCOLS[this.protocol].pixelScale === 255 ? toUint8Values(images) : images;
    const [b, , h, w] = x.shape;
    const per = 3 * h * w;
    const out = new Float32Array(b * FEATURE_DIM);
    for (let i = 0; i < b; i += this.batchSize) {
      const n = Math.min(this.batchSize, b - i);
      const data = (x.data as Float32Array).subarray(i * per, (i + n) * per);
      const r = await this.session.run({ image: { dtype: "float32", shape: [n, 3, h, w], data } });
      out.set(r.features.data as Float32Array, i * FEATURE_DIM);
    }
    return { dtype: "float32", shape: [b, FEATURE_DIM], data: out };
  }

  /** Frees the session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
