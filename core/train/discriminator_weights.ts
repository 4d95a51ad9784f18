/**
 * Discriminator weights in `--weights` files: where a stage's declared GAN
 * network takes them (GanNetwork.fromWeights, e.g. BDD-1D's
 * `loss.discriminator.*` in an upstream Lightning `.ckpt`), the raw tensors
 * under its prefix are set aside for the GAN's start (core/train/gan.ts
 * checks their shapes).
 * @module
 */
import type { GanNetwork, GanSettings } from "../losses/gan.ts";
import type { Tensor } from "../tensor.ts";

/**
 * Where the stage's discriminator network takes its weights from `--weights` files
 * (GanNetwork.fromWeights): a callback that keeps the raw tensors under the network's
 * prefix in `into`, for the GAN's start; undefined otherwise.
 */
export function discriminatorTaker(
  settings: GanSettings | undefined,
  into: Map<string, Tensor>,
  quiet?: boolean,
): ((raw: Map<string, Tensor>, path: string) => number) | undefined {
  const net = settings?.network;
  if (!net?.fromWeights) return undefined;
  const root = net.prefix(0).split(".")[0] + ".";
  return (raw, path) => {
    let n = 0;
    for (const [k, t] of raw) {
      if (k.startsWith(root) && isDiscriminatorKey(net, k)) {
        into.set(k, t);
        n++;
      }
    }
    if (n && !quiet) console.error(`--weights: ${n} discriminator tensors from ${path} start the GAN stage`);
    return n;
  };
}

/** Whether a checkpoint key lies under one of the network's discriminator prefixes. */
function isDiscriminatorKey(net: GanNetwork, key: string): boolean {
  if (!net.perVariant) return key.startsWith(net.prefix(0));
  const m = /^(.*?\.)(\d+)\./.exec(key);
  return !!m && key.startsWith(net.prefix(Number(m[2])));
}
