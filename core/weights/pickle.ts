/**
 * A restricted unpickler for PyTorch checkpoints (pickle protocols 2–5). It
 * never runs code: `GLOBAL`/`STACK_GLOBAL` resolve only names on
 * {@link ALLOWED_GLOBALS} (containers, torch tensor rebuilders, storage
 * classes and dtypes, a few inert numpy values); any other name is a
 * {@link UsageError} `forbidden global 'os.system' in <file>`. Every read is
 * bounds-checked, so a truncated or corrupt pickle is a UsageError too, and
 * the budgets of `core/budgets.ts` hold: integer size, stack and memo size,
 * nesting depth and reachable values of the result; reference cycles are
 * refused (`pickle_graph.ts`).
 *
 * Python values map to: `None` → `null`, bool/float/str as usual, int →
 * number (bigint beyond 2^53), bytes → `Uint8Array`, list and tuple → array,
 * dict and `OrderedDict` → `Map`, set → `Set`, other allowed objects →
 * {@link PyObject}. Tensors are built by the caller's `reduce` hook, storages
 * by its `persistentLoad` hook (see `torch_zip.ts`).
 *
 * @example
 * ```ts
 * import { unpickle } from "./pickle.ts";
 * // pickle.dumps({"a": [1, 2.5, None]}, protocol=2)
 * const bytes = Uint8Array.from(atob("gAJ9cQBYAQAAAGFxAV1xAihLAUdABAAAAAAAAE5lcy4="), (c) => c.charCodeAt(0));
 * unpickle(bytes); // Map { "a" => [1, 2.5, null] }
 * ```
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { BUDGETS, overBudget } from "../budgets.ts";
import { ALLOWED_GLOBALS, builtinCall, PyGlobal, PyObject, small } from "./pickle_globals.ts";
import { checkValueGraph } from "./pickle_graph.ts";

export { ALLOWED_GLOBALS, PyGlobal, PyObject };

/** Called for REDUCE/NEWOBJ of an allowed global; return `undefined` to keep the built-in behaviour. */
export type ReduceHook = (fn: PyGlobal, args: unknown[]) => unknown;

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Names the file in error messages. */
  source?: string;
  /** Resolves persistent ids (torch: `('storage', StorageClass, key, location, numel)`). */
  persistentLoad?: (pid: unknown) => unknown;
  /** Builds objects of allowed globals (torch: tensors and parameters). */
  reduce?: ReduceHook;
}

/** The unpickler's state: input cursor, stack, mark stack and memo. */
class Machine {
  pos = 0;
  opAt = 0;
  stack: unknown[] = [];
  marks: unknown[][] = [];
  /** Items held in the stacks saved by MARK. */
  held = 0;
  /** Memo entries by index (an array: torch numbers them densely from 0; no value is `undefined`). */
  memo: unknown[] = [];
  memoSize = 0;
  readonly view: DataView;
  readonly decoder = new TextDecoder();

  constructor(readonly bytes: Uint8Array, readonly opts: UnpickleOptions, readonly source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(msg: string): UsageError {
    return new UsageError(`${this.source}: ${msg}`);
  }
  malformed(msg: string): UsageError {
    return this.fail(`malformed pickle: ${msg} at byte ${this.opAt}`);
  }
  need(n: number): number {
    if (!(n >= 0 && this.pos + n <= this.bytes.byteLength)) {
      throw this.fail(
        `truncated pickle: opcode 0x${this.bytes[this.opAt].toString(16)} at byte ${this.opAt} ` +
          `needs ${n} bytes, ${this.bytes.byteLength - this.pos} left`,
      );
    }
    this.pos += n;
    return this.pos - n;
  }
  u8 = () => this.bytes[this.need(1)];
  u16 = () => this.view.getUint16(this.need(2), true);
  u32 = () => this.view.getUint32(this.need(4), true);
  i32 = () => this.view.getInt32(this.need(4), true);
  f64 = () => this.view.getFloat64(this.need(8), false);
  u64 = () => {
    const v = this.view.getBigUint64(this.need(8), true);
    return v > BigInt(this.bytes.byteLength) ? this.bytes.byteLength + 1 : Number(v); // too long: need() fails
  };
  take = (n: number) => this.bytes.subarray(this.need(n), this.pos);
  str = (n: number) => this.decoder.decode(this.take(n));
  line = () => {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.fail(`truncated pickle: unterminated line at byte ${this.opAt}`);
    return this.str(end - this.pos + 1).slice(0, -1);
  };
  /** LONG1/LONG4: a little-endian two's-complement integer of `n` bytes, built in linear time. */
  long = (n: number) => {
    if (n > BUDGETS.pickleIntBytes) {
      throw overBudget(this.source, `a pickle integer of ${n} bytes at byte ${this.opAt}`, "pickleIntBytes");
    }
    const raw = this.take(n);
    if (!raw.length) return 0;
    let hex = "";
    for (let i = raw.length - 1; i >= 0; i--) hex += raw[i].toString(16).padStart(2, "0");
    let v = BigInt("0x" + hex);
    if (raw[raw.length - 1] & 0x80) v -= 1n << BigInt(8 * raw.length);
    return small(v);
  };
  room = () => {
    if (this.stack.length + this.held + this.marks.length >= BUDGETS.pickleStack) {
      throw overBudget(
        this.source,
        `a pickle stack of more than ${BUDGETS.pickleStack} items`,
        "pickleStack",
      );
    }
  };
  push = (x: unknown) => {
    this.room();
    this.stack.push(x);
  };
  pop = () => {
    if (this.stack.length === 0) throw this.malformed("stack underflow");
    return this.stack.pop();
  };
  top = () => {
    if (this.stack.length === 0) throw this.malformed("empty stack");
    return this.stack[this.stack.length - 1];
  };
  mark = () => {
    this.room();
    this.marks.push(this.stack);
    this.held += this.stack.length;
    this.stack = [];
  };
  popMark = () => {
    const items = this.stack, prev = this.marks.pop();
    if (!prev) throw this.malformed("no MARK");
    this.held -= prev.length;
    this.stack = prev;
    return items;
  };
  put = (i: number) => {
    if (!Number.isSafeInteger(i) || i < 0) throw this.malformed(`bad memo index ${i}`);
    if (this.memo[i] === undefined && this.memoSize++ >= BUDGETS.pickleMemo) {
      throw overBudget(this.source, `a pickle memo of more than ${BUDGETS.pickleMemo} entries`, "pickleMemo");
    }
    this.memo[i] = this.top();
  };
  get = (i: number) => {
    const v = Number.isSafeInteger(i) && i >= 0 ? this.memo[i] : undefined;
    if (v === undefined) throw this.malformed(`memo entry ${i} missing`);
    return v;
  };
  global = (module: unknown, name: unknown) => {
    if (typeof module !== "string" || typeof name !== "string") {
      throw this.malformed("non-string global name");
    }
    const q = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(q)) {
      throw new UsageError(
        `forbidden global '${q}' in ${this.source} (tok1d loads only tensors and plain ` +
          `values; it never runs code from a checkpoint)`,
      );
    }
    return new PyGlobal(module, name);
  };
  call = (args: unknown, fn: unknown) => {
    if (!(fn instanceof PyGlobal)) throw this.malformed("call of a non-global");
    const list = Array.isArray(args) ? args : [];
    const hooked = this.opts.reduce?.(fn, list);
    return hooked !== undefined ? hooked : builtinCall(fn, list, (m) => this.fail(m));
  };
  setItems = (items: unknown[], d = this.top()) => {
    if (!(d instanceof Map)) throw this.malformed("SETITEM on a non-dict");
    for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
    return d;
  };
  append = (items: unknown[], l = this.top()) => {
    if (Array.isArray(l)) { for (const x of items) l.push(x); }
    else if (l instanceof Set) { for (const x of items) l.add(x); }
    else throw this.malformed("APPEND to a non-list");
  };
  build = (state: unknown, obj = this.top()) => {
    if (obj instanceof PyObject) obj.state = state; // BUILD on anything else (an OrderedDict's _metadata) is dropped
  };
  persid = (pid: unknown) => {
    if (!this.opts.persistentLoad) throw this.fail("pickle refers to external data but no loader was given");
    return this.opts.persistentLoad(pid);
  };
}

/** One handler per supported opcode (STOP is handled by the loop). */
const OPS: Record<number, (m: Machine) => unknown> = {
  0x80: (m) => m.u8(), // PROTO
  0x95: (m) => m.need(8), // FRAME: only a read-ahead hint
  0x28: (m) => m.mark(), // MARK
  0x30: (m) => m.pop(), // POP
  0x31: (m) => m.popMark(), // POP_MARK
  0x32: (m) => m.push(m.top()), // DUP
  0x4e: (m) => m.push(null), // NONE
  0x88: (m) => m.push(true), // NEWTRUE
  0x89: (m) => m.push(false), // NEWFALSE
  0x4a: (m) => m.push(m.i32()), // BININT
  0x4b: (m) => m.push(m.u8()), // BININT1
  0x4d: (m) => m.push(m.u16()), // BININT2
  0x8a: (m) => m.push(m.long(m.u8())), // LONG1
  0x8b: (m) => m.push(m.long(m.u32())), // LONG4
  0x49: (m) => m.push(((s) => s === "01" ? true : s === "00" ? false : Number.parseInt(s, 10))(m.line())), // INT
  0x47: (m) => m.push(m.f64()), // BINFLOAT
  0x58: (m) => m.push(m.str(m.u32())), // BINUNICODE
  0x8c: (m) => m.push(m.str(m.u8())), // SHORT_BINUNICODE
  0x8d: (m) => m.push(m.str(m.u64())), // BINUNICODE8
  0x54: (m) => m.push(m.str(m.u32())), // BINSTRING (python 2 str)
  0x55: (m) => m.push(m.str(m.u8())), // SHORT_BINSTRING
  0x42: (m) => m.push(m.take(m.u32()).slice()), // BINBYTES
  0x43: (m) => m.push(m.take(m.u8()).slice()), // SHORT_BINBYTES
  0x8e: (m) => m.push(m.take(m.u64()).slice()), // BINBYTES8
  0x96: (m) => m.push(m.take(m.u64()).slice()), // BYTEARRAY8
  0x7d: (m) => m.push(new Map()), // EMPTY_DICT
  0x5d: (m) => m.push([]), // EMPTY_LIST
  0x29: (m) => m.push([]), // EMPTY_TUPLE
  0x8f: (m) => m.push(new Set()), // EMPTY_SET
  0x90: (m) => m.append(m.popMark()), // ADDITEMS
  0x91: (m) => m.push(new Set(m.popMark())), // FROZENSET
  0x74: (m) => m.push(m.popMark()), // TUPLE
  0x6c: (m) => m.push(m.popMark()), // LIST
  0x85: (m) => m.push([m.pop()]), // TUPLE1
  0x86: (m) => m.push([m.pop(), m.pop()].reverse()), // TUPLE2
  0x87: (m) => m.push([m.pop(), m.pop(), m.pop()].reverse()), // TUPLE3
  0x64: (m) => m.push(m.setItems(m.popMark(), new Map())), // DICT
  0x61: (m) => m.append([m.pop()]), // APPEND
  0x65: (m) => m.append(m.popMark()), // APPENDS
  0x73: (m) => m.setItems([m.pop(), m.pop()].reverse()), // SETITEM
  0x75: (m) => m.setItems(m.popMark()), // SETITEMS
  0x71: (m) => m.put(m.u8()), // BINPUT
  0x72: (m) => m.put(m.u32()), // LONG_BINPUT
  0x94: (m) => m.put(m.memoSize), // MEMOIZE
  0x70: (m) => m.put(Number.parseInt(m.line(), 10)), // PUT
  0x68: (m) => m.push(m.get(m.u8())), // BINGET
  0x6a: (m) => m.push(m.get(m.u32())), // LONG_BINGET
  0x67: (m) => m.push(m.get(Number.parseInt(m.line(), 10))), // GET
  0x63: (m) => m.push(m.global(m.line(), m.line())), // GLOBAL
  0x93: (m) => m.push(((name) => m.global(m.pop(), name))(m.pop())), // STACK_GLOBAL
  0x52: (m) => m.push(m.call(m.pop(), m.pop())), // REDUCE
  0x81: (m) => m.push(m.call(m.pop(), m.pop())), // NEWOBJ
  0x92: (m) => m.push(m.call((m.pop(), m.pop()), m.pop())), // NEWOBJ_EX (kwargs dropped)
  0x62: (m) => m.build(m.pop()), // BUILD
  0x51: (m) => m.push(m.persid(m.pop())), // BINPERSID
  0x50: (m) => m.push(m.persid(m.line())), // PERSID
};

/**
 * Unpickles `bytes` under the allow-list and returns the top-level value.
 *
 * @example
 * ```ts
 * const pkl = Uint8Array.from([0x80, 0x02, 0x4e, 0x51, 0x2e]); // PROTO 2, NONE, BINPERSID, STOP
 * const obj = unpickle(pkl, { source: "model.pth", persistentLoad: (pid) => ({ pid }) }); // { pid: null }
 * ```
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): unknown {
  const m = new Machine(bytes, opts, opts.source ?? "<bytes>");
  try {
    for (;;) {
      m.opAt = m.pos;
      const op = m.u8();
      if (op === 0x2e) return checkValueGraph(m.pop(), m.source); // STOP
      const handler = OPS[op];
      if (!handler) throw m.fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${m.opAt}`);
      handler(m);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw m.malformed((e as Error).message);
  }
}
