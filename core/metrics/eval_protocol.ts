/**
 * What "upstream's protocol" means per family for `tok1d eval`: how images are
 * prepared, which FID front end is used, and how reconstructions are turned
 * into the 8-bit images every metric sees (architectures.md 1.8, 2.8, 5.3, 6.7).
 *
 * @example
 * ```ts
 * familyProtocol("titok"); // { fid: "torch-fidelity", resize: "shorter", … }
 * const fake = quantize8bit(reconstructions); // clamp, round to k/255
 * ```
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { FID_PROTOCOLS, type FidProtocol } from "./inception.ts";

/** How a family's upstream evaluation prepares images and computes FID. */
export interface FamilyProtocol {
  fid: FidProtocol;
  /** "shorter": shorter side → size (bicubic) then centre crop; "none": centre crop of the full image. */
  resize: "shorter" | "none";
  source: string;
}

/** Upstream evaluation protocols (architectures.md 1.8, 2.8, 5.3, 6.7). */
export const FAMILY_PROTOCOLS: Readonly<Record<string, FamilyProtocol>> = {
  titok: {
    fid: "torch-fidelity",
    resize: "shorter",
    source: "TiTok VQGANEvaluator (bytedance/1d-tokenizer)",
  },
  marvel: { fid: "torch-fidelity", resize: "shorter", source: "MARVEL evaluator (TiTok's)" },
  alit: { fid: "pytorch-fid", resize: "none", source: "ALIT evaluate_rfid.py (python -m pytorch_fid)" },
  bdd_1d: { fid: "pytorch-fid", resize: "none", source: "BDD-1D compute_codebook_usage.py (pytorch-fid)" },
};

/** The protocol of a family (pytorch-fid's defaults for families without one). */
export function familyProtocol(family: string): FamilyProtocol {
  return FAMILY_PROTOCOLS[family] ??
    { fid: "pytorch-fid", resize: "shorter", source: "pytorch-fid defaults" };
}

/** TiTok's `torch.round(torch.clamp(x, 0, 1) * 255) / 255` in float32 (half to even). */
export function quantize8bit(t: Tensor): Tensor<"float32"> {
  const src = t.data as Float32Array;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = src[i] > 0 ? (src[i] < 1 ? src[i] : 1) : 0; // NaN → 0
    const v = Math.fround(x * 255);
    let r = Math.round(v);
    if (r - v === 0.5 && r % 2 !== 0) r--;
    out[i] = Math.fround(r / 255);
  }
  return { dtype: "float32", shape: [...t.shape], data: out };
}

/** The protocol lines of a report: transform, reconstruction rule, FID front end, upstream source. */
export function describeProtocol(
  family: string,
  size: number,
  o: { protocol?: FidProtocol; resize?: "shorter" | "none" },
  fid: boolean,
) {
  const protocol = familyProtocol(family);
  const resize = o.resize ?? protocol.resize;
  return {
    fid: fid ? FID_PROTOCOLS[o.protocol ?? protocol.fid].description : undefined,
    transform: resize === "shorter"
      ? `shorter side → ${size} (Pillow bicubic, antialiased), centre crop ${size}×${size}`
      : `centre crop ${size}×${size} of the full-resolution image (no resize)`,
    reconstruction: "clamp to [0,1], round to 8 bits (TiTok's evaluator); PSNR/SSIM on [0,1] RGB",
    source: protocol.source,
  };
}
