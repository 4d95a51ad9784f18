import { deepStrictEqual, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import { isLegacyTorch, parseLegacyTorch, pickleEnd } from "./torch_legacy.ts";

const FILE = new URL("../../tests/testdata/metrics/legacy/legacy_state_dict.pth", import.meta.url).pathname;

Deno.test("torch legacy: a torch 1.13 _use_new_zipfile_serialization=False state dict", () => {
  const bytes = Deno.readFileSync(FILE);
  deepStrictEqual(isLegacyTorch(bytes), true);
  deepStrictEqual(pickleEnd(bytes, 0), 15); // the magic-number pickle
  const t = parseLegacyTorch(bytes, FILE);
  const values = (k: string) => [...t.get(k)!.data].map(Number);
  deepStrictEqual(t.get("conv.weight")!.shape, [2, 3]);
  deepStrictEqual(values("conv.weight"), [1.5, -2, 3.25, 0, 4, -1]);
  deepStrictEqual(values("transposed"), [0, 3, 1, 4, 2, 5]); // a transposed view, made contiguous
  deepStrictEqual(values("x1"), [2, 3, 4]); // two views of one storage at offsets 2 and 5
  deepStrictEqual(values("x2"), [5, 6, 7, 8, 9]);
  deepStrictEqual(values("bn.num_batches_tracked"), [7]);
  deepStrictEqual([t.get("nested.k")!.dtype, values("nested.k")], ["int64", [1, 2]]);
  deepStrictEqual([t.get("nested.d")!.dtype, values("nested.d")], ["float64", [0.5]]);
  throws(() => parseLegacyTorch(bytes.subarray(0, bytes.length - 3), FILE), /truncated/);
  throws(() => parseLegacyTorch(new Uint8Array(8), FILE), UsageError);
});
