/**
 * Static shape arithmetic shared by the ops' shape rules. A dim is a number or
 * a symbol (a string such as "batch") that stays symbolic through the graph.
 *
 * @module
 */

/** One dimension: known size or a named symbolic size. */
export type Dim = number | string;

/** Formats a shape for error messages: `[batch,3,256,256]`. */
export function fmt(shape: readonly Dim[]): string {
  return `[${shape.join(",")}]`;
}

/** Numpy-style broadcasting of two shapes; throws naming both when they clash. */
export function broadcast(a: readonly Dim[], b: readonly Dim[], op = "broadcast"): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === "string" && typeof y === "number") out.push(y);
    else if (typeof y === "string" && typeof x === "number") out.push(x);
    else throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
  }
  return out;
}

/** Resolves a possibly negative axis against a rank. */
export function axis(ax: number, rank: number, op = "op"): number {
  const r = ax < 0 ? ax + rank : ax;
  if (r < 0 || r >= rank) throw new Error(`${op}: axis ${ax} out of range for rank ${rank}`);
  return r;
}

/** Product of dims; symbolic dims make the result symbolic (`undefined`). */
export function numel(shape: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return undefined;
    n *= d;
  }
  return n;
}

/** Concrete dims only: throws naming the op if a dim is symbolic. */
export function concrete(shape: readonly Dim[], op: string): number[] {
  for (const d of shape) {
    if (typeof d !== "number") throw new Error(`${op}: needs static dims, got ${fmt(shape)}`);
  }
  return shape as number[];
}
