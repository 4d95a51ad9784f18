import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import { ALLOWED_GLOBALS, builtinCall, PyGlobal, PyObject, small } from "./pickle_globals.ts";

const fail = (m: string) => new UsageError(m);
const g = (q: string) => new PyGlobal(q.slice(0, q.lastIndexOf(".")), q.slice(q.lastIndexOf(".") + 1));

Deno.test("pickle_globals: allow-list holds torch rebuilders and storages, not code runners", () => {
  for (const q of ["torch._utils._rebuild_tensor_v2", "torch.BFloat16Storage", "collections.OrderedDict"]) {
    ok(ALLOWED_GLOBALS.has(q), q);
  }
  for (
    const q of [
      "os.system",
      "posix.system",
      "builtins.eval",
      "builtins.exec",
      "builtins.getattr",
      "torch.load",
    ]
  ) {
    ok(!ALLOWED_GLOBALS.has(q), q);
  }
  strictEqual(g("torch.FloatStorage").qualified, "torch.FloatStorage");
});

Deno.test("pickle_globals: containers, torch.Size and _codecs.encode", () => {
  deepStrictEqual(builtinCall(g("collections.OrderedDict"), [], fail), new Map());
  deepStrictEqual(builtinCall(g("collections.OrderedDict"), [[["a", 1]]], fail), new Map([["a", 1]]));
  deepStrictEqual(builtinCall(g("builtins.frozenset"), [[1, 1, 2]], fail), new Set([1, 2]));
  deepStrictEqual(builtinCall(g("torch.Size"), [[2, 3]], fail), [2, 3]);
  deepStrictEqual(
    builtinCall(g("_codecs.encode"), ["\u00ff\u0000", "latin1"], fail),
    new Uint8Array([255, 0]),
  );
  deepStrictEqual(builtinCall(g("_codecs.encode"), ["\u00e9", "utf-8"], fail), new Uint8Array([0xc3, 0xa9]));
  throws(() => builtinCall(g("_codecs.encode"), ["\u0100", "latin1"], fail), /not latin-1/);
  throws(() => builtinCall(g("_codecs.encode"), ["x", "rot13"], fail), /unsupported encoding "rot13"/);
});

Deno.test("pickle_globals: numpy scalars decode; other allowed calls stay inert", () => {
  const dtype = (code: string, order = "<") =>
    new PyObject(g("numpy.dtype"), [code, false, true], [3, order]);
  const f8 = new Uint8Array(new Float64Array([0.25]).buffer);
  strictEqual(builtinCall(g("numpy.core.multiarray.scalar"), [dtype("f8"), f8], fail), 0.25);
  const i8 = new Uint8Array(new BigInt64Array([-(2n ** 60n)]).buffer);
  strictEqual(builtinCall(g("numpy.core.multiarray.scalar"), [dtype("i8"), i8], fail), -(2n ** 60n));
  const big = builtinCall(g("numpy.core.multiarray.scalar"), [dtype("f8", ">"), f8], fail);
  ok(big instanceof PyObject); // big-endian: left inert
  const storage = builtinCall(g("torch.FloatStorage"), [1], fail) as PyObject;
  ok(storage instanceof PyObject);
  deepStrictEqual(storage.args, [1]);
  strictEqual(small(5n), 5);
  strictEqual(small(2n ** 60n), 2n ** 60n);
});
