/**
 * Every fuzz target, one per loader.
 *
 * @module
 */
import { UsageError } from "../../core/errors.ts";
import type { Target } from "./target.ts";
import { WEIGHT_TARGETS } from "./targets_weights.ts";
import { DATA_TARGETS } from "./targets_data.ts";

/**
 * The driver's own test (driver_test.ts): seed cases that hang, throw a
 * TypeError, pass, throw a UsageError and take 300 MB.
 */
export const SELFTEST: Target = {
  name: "_selftest",
  seeds: () => ["hang", "type", "ok", "usage", "memory"].map((s) => new TextEncoder().encode(s)),
  tokens: [],
  run: (b) => {
    const what = new TextDecoder().decode(b);
    if (what === "hang") { for (;;) { /* forever */ } }
    if (what === "type") throw new TypeError("not a UsageError");
    if (what === "usage") throw new UsageError("refused");
    if (what === "memory") return new Uint8Array(300 << 20).fill(1).length;
  },
};

/** safetensors, torch_zip, torch_legacy, pickle, npy, npz, tar, png, jpeg, webp, config_yaml, config_json. */
export const TARGETS: Target[] = [...WEIGHT_TARGETS, ...DATA_TARGETS];
