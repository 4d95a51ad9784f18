/**
 * Checkpoint loaders: safetensors read/write, PyTorch checkpoints (zip and
 * legacy pre-1.6 formats) through a restricted unpickler that never runs
 * code, Hugging Face snapshot folders
 * (plain and sharded), state-dict flattening, and the key check that compares
 * a checkpoint with the parameters a model expects.
 *
 * @example
 * ```ts
 * import { assertKeys, loadCheckpoint, writeSafetensors } from "./mod.ts";
 * const { tensors, source } = loadCheckpoint("tokenizer_titok_s128.bin");
 * assertKeys(new Map([["encoder.ln_pre.weight", [768]]]), tensors, { source });
 * writeSafetensors("titok_s128.safetensors", tensors, { format: "pt" });
 * ```
 *
 * @module
 */
export {
  assertKeys,
  type Checkpoint,
  compareKeys,
  type KeyOptions,
  type KeyReport,
  loadCheckpoint,
  type LoadCheckpointOptions,
  SNAPSHOT_FILES,
} from "./checkpoint.ts";
export {
  parseSafetensors,
  readSafetensors,
  type Safetensors,
  SAFETENSORS_DTYPES,
  serializeSafetensors,
  writeSafetensors,
} from "./safetensors.ts";
export {
  parseTorchCheckpoint,
  readTorchCheckpoint,
  rebuildTensor,
  STORAGE_DTYPES,
  type TorchCheckpoint,
  type TorchReadOptions,
  TorchStorage,
  unpickleTorch,
} from "./torch_zip.ts";
export { isLegacyTorch, parseLegacyTorch, unpickleLegacyTorch } from "./torch_legacy.ts";
export {
  flattenStateDict,
  isTensor,
  NESTED_STATE_DICT_KEYS,
  selectStateDict,
  type StateDict,
} from "./state_dict.ts";
export {
  ALLOWED_GLOBALS,
  PyGlobal,
  PyObject,
  type ReduceHook,
  unpickle,
  type UnpickleOptions,
} from "./pickle.ts";
export { isZip, readZip, type ZipEntry, zipEntryData } from "./zip.ts";
export { bytesOf, readBytes, viewAs } from "./bytes.ts";
export { checkUnchanged, type FileSpan, fileSpanOf, registerFileBytes } from "./file_spans.ts";
