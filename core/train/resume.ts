/**
 * What a run records about itself in its checkpoint's metadata, and the check
 * that a resumed run uses the same config, stage, perceptual loss, dead-code
 * restarts, GAN settings and crop scales as the run that wrote the checkpoint.
 * @module
 */
import { UsageError } from "../errors.ts";
import { readSafetensors } from "../weights/safetensors.ts";

/** The metadata keys a training checkpoint carries. */
export interface RunMeta extends Record<string, string> {
  seed: string;
  stage: string;
  config: string;
  configHash: string;
  data: string;
  /** JSON of the GAN settings, or "off". */
  gan: string;
  /** JSON of the perceptual spec and weight, or "off". */
  perceptual: string;
  /** The dead-code restart threshold, or "off". */
  vq_restart: string;
}

/**
 * Refuses to resume `ckpt` with settings other than those it was trained with
 * (and family options: the optional `params` key, JSON of the family's
 * training options, absent when there are none).
 */
export function checkResume(ckpt: string, meta: RunMeta): void {
  const previous = readSafetensors(ckpt).metadata;
  if ((previous.configHash ?? previous.config_hash) !== meta.configHash || previous.stage !== meta.stage) {
    throw new UsageError(`--resume: ${ckpt} was trained with another config or stage; use a new --out`);
  }
  if ((previous.perceptual ?? "off") !== meta.perceptual) {
    throw new UsageError(
      `--resume: ${ckpt} was trained with perceptual loss ${previous.perceptual ?? "off"}, ` +
        `not ${meta.perceptual}; pass the same --perceptual flags or use a new --out`,
    );
  }
  const restart = previous.vq_restart ?? "off";
  const same = restart === meta.vq_restart ||
    (restart !== "off" && meta.vq_restart !== "off" && Number(restart) === Number(meta.vq_restart));
  if (!same) {
    throw new UsageError(
      `--resume: ${ckpt} was trained with --vq-restart ${restart}; pass the same or use a new --out`,
    );
  }
  if ((previous.params ?? "{}") !== (meta.params ?? "{}")) {
    throw new UsageError(
      `--resume: ${ckpt} was trained with family options ${previous.params ?? "{}"}, ` +
        `not ${meta.params ?? "{}"}; pass the same flags or use a new --out`,
    );
  }
  if ((previous.accumulate ?? "1") !== (meta.accumulate ?? "1")) {
    throw new UsageError(
      `--resume: ${ckpt} was trained with --accumulate ${previous.accumulate ?? "1"}; ` +
        `pass the same or use a new --out`,
    );
  }
  // Absent: the default scales (and every checkpoint written before the flag existed).
  if ((previous.crop_scales ?? "default") !== (meta.crop_scales ?? "default")) {
    throw new UsageError(
      `--resume: ${ckpt} was trained with --crop-scales ${previous.crop_scales ?? "(default)"}; ` +
        `pass the same or use a new --out`,
    );
  }
  if ((previous.gan ?? "off") !== meta.gan) {
    throw new UsageError(
      `--resume: ${ckpt} was trained with GAN settings ${previous.gan ?? "off"}, ` +
        `not ${meta.gan}; pass the same --gan/--discriminator-* flags or use a new --out`,
    );
  }
}
