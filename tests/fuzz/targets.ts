/**
 * Every fuzz target, one per loader.
 *
 * @module
 */
import type { Target } from "./target.ts";
import { WEIGHT_TARGETS } from "./targets_weights.ts";
import { DATA_TARGETS } from "./targets_data.ts";

/** safetensors, torch_zip, torch_legacy, pickle, npy, npz, tar, png, jpeg, webp, config_yaml, config_json. */
export const TARGETS: Target[] = [...WEIGHT_TARGETS, ...DATA_TARGETS];
