import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { flattenStateDict, isTensor, selectStateDict } from "./state_dict.ts";

const t = (v: number): Tensor => ({ dtype: "float32", shape: [1], data: new Float32Array([v]) });

function usage(fn: () => unknown, pattern: RegExp) {
  throws(fn, (e) => {
    ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    ok(pattern.test(e.message), e.message);
    return true;
  });
}

Deno.test("state_dict: isTensor", () => {
  ok(isTensor(t(1)));
  ok(!isTensor({ dtype: "float33", shape: [1], data: new Float32Array(1) }));
  ok(!isTensor({ dtype: "float32", shape: [1], data: [1] }));
  ok(!isTensor(null));
});

Deno.test("state_dict: flatten nested Maps, plain objects and lists into dotted keys", () => {
  const flat = flattenStateDict(
    new Map<unknown, unknown>([
      ["enc", { ln: { weight: t(1) }, blocks: [{ w: t(2) }, { w: t(3) }] }],
      [0, t(4)],
      ["meta", { version: 2 }],
      ["shape", [1, 2]],
    ]),
  );
  deepStrictEqual([...flat.tensors.keys()], ["enc.ln.weight", "enc.blocks.0.w", "enc.blocks.1.w", "0"]);
  deepStrictEqual([...flat.extra], [["meta.version", 2], ["shape", [1, 2]]]);
});

Deno.test("state_dict: shared sub-dicts are fine, cycles and key clashes are UsageErrors", () => {
  const shared = { w: t(1) };
  deepStrictEqual([...flattenStateDict({ a: shared, b: shared }).tensors.keys()], ["a.w", "b.w"]);
  const cyc = new Map<string, unknown>([["w", t(1)]]);
  cyc.set("self", cyc);
  usage(() => flattenStateDict(cyc, "c.pt"), /c\.pt: the checkpoint refers to itself at 'self'/);
  usage(
    () => flattenStateDict({ "a.b": t(1), a: { b: t(2) } }, "d.pt"),
    /d\.pt: two entries flatten to the key 'a\.b'/,
  );
});

Deno.test("state_dict: select picks the nested state dict", () => {
  const ckpt = new Map<string, unknown>([
    ["epoch", 3],
    ["model", { "w": t(1) }],
    ["ema", { "w": t(2) }],
    ["optimizer", { state: {} }],
  ]);
  const def = selectStateDict(ckpt);
  deepStrictEqual(def.tensors, new Map([["w", t(1)]]));
  deepStrictEqual([...def.extra.keys()], ["epoch", "ema", "optimizer"]);
  deepStrictEqual(selectStateDict(ckpt, { select: "ema" }).tensors, new Map([["w", t(2)]]));
  deepStrictEqual([...selectStateDict(ckpt, { select: "" }).tensors.keys()], ["model.w", "ema.w"]);
  usage(
    () => selectStateDict(ckpt, { select: "epoch", source: "e.ckpt" }),
    /e\.ckpt: no nested state dict 'epoch' \(dict entries: model, ema, optimizer\)/,
  );
  // a "model" entry without tensors is skipped; a flat dict is used as is
  const flat = selectStateDict({ model: { name: "x" }, w: t(5) });
  deepStrictEqual([...flat.tensors.keys()], ["w"]);
  strictEqual(flat.extra.get("model.name"), "x");
  usage(
    () => selectStateDict([t(1)], { source: "l.pt" }),
    /l\.pt: the checkpoint holds a list, not a dict of tensors/,
  );
  usage(() => selectStateDict(t(1)), /holds a single tensor/);
});

Deno.test("state_dict: absurd nesting is a UsageError, not a stack overflow", () => {
  let deep: unknown = { w: t(1) };
  for (let i = 0; i < 5000; i++) deep = { x: deep };
  usage(() => flattenStateDict(deep, "deep.pt"), /deep\.pt: dicts nested deeper than 1000/);
});
