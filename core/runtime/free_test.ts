/** freeTensors: whole-buffer tensors are detached, views into a shared buffer are kept. */
import { deepStrictEqual } from "node:assert";
import type { Tensor } from "../tensor.ts";
import { freeTensors } from "./free.ts";

Deno.test("freeTensors: detaches owned buffers, leaves shared views and already freed ones", () => {
  const owned: Tensor = { dtype: "float32", shape: [4], data: new Float32Array(4).fill(1) };
  const shared = new Float32Array(8);
  const view: Tensor = { dtype: "float32", shape: [4], data: shared.subarray(4) };
  deepStrictEqual(freeTensors([owned, view]), 1);
  deepStrictEqual(owned.data.length, 0);
  deepStrictEqual((owned.data as Float32Array).buffer.byteLength, 0);
  deepStrictEqual(view.data.length, 4);
  deepStrictEqual(freeTensors([owned]), 0);
});
