/**
 * What "upstream's protocol" means for `tok1d eval`: how images are prepared,
 * which FID front end is used (each plugin declares its own, architectures.md
 * 1.8, 2.8, 5.3, 6.7), and how reconstructions are turned into the 8-bit
 * images every metric sees.
 *
 * @example
 * ```ts
 * familyProtocol(titok.evalProtocol); // { fid: "torch-fidelity", resize: "shorter", … }
 * const fake = quantize8bit(reconstructions); // clamp, round to k/255
 * ```
 * @module
 */
import type { Tensor } from "../tensor.ts";
import type { EvalProtocol, InputTransform } from "../plugin.ts";
import { FID_PROTOCOLS, type FidProtocol } from "./inception.ts";

/** How a family's upstream evaluation prepares images and computes FID (declared by its plugin). */
export type FamilyProtocol = EvalProtocol;

/** pytorch-fid's defaults, for families that declare no protocol of their own. */
export const DEFAULT_PROTOCOL: FamilyProtocol = {
  fid: "pytorch-fid",
  resize: "shorter",
  source: "pytorch-fid defaults",
};

/** The protocol a family declares (`evalProtocol` in its plugin), or pytorch-fid's defaults. */
export function familyProtocol(declared?: FamilyProtocol): FamilyProtocol {
  return declared ?? DEFAULT_PROTOCOL;
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
  declared: FamilyProtocol | undefined,
  size: number,
  o: { protocol?: FidProtocol; resize?: "shorter" | "none" },
  fid: boolean,
  input: InputTransform = {},
) {
  const protocol = familyProtocol(declared);
  const resize = o.resize ?? protocol.resize;
  const floor = input.rounding === "floor" ? ", offsets floored" : "";
  return {
    fid: fid ? FID_PROTOCOLS[o.protocol ?? protocol.fid].description : undefined,
    transform: resize === "shorter"
      ? `shorter side → ${size} (Pillow ${
        input.filter ?? "bicubic"
      }, antialiased), centre crop ${size}×${size}${floor}`
      : `centre crop ${size}×${size} of the full-resolution image (no resize)`,
    reconstruction: "clamp to [0,1], round to 8 bits (TiTok's evaluator); PSNR/SSIM on [0,1] RGB",
    source: protocol.source,
  };
}
