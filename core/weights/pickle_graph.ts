/**
 * The shape budgets of an unpickled value, checked once when the pickle
 * stops: no container may hold itself (a reference cycle: the walkers that
 * flatten a checkpoint would never end), nesting stays within
 * `BUDGETS.pickleDepth`, and the values reachable — a value shared by several
 * containers counted once per container, as a flattening walk visits it —
 * stay within `BUDGETS.pickleNodes`. The walk is iterative and visits each
 * container once, so it neither overflows the call stack nor takes longer
 * than the pickle's own size.
 *
 * @example
 * ```ts
 * import { checkValueGraph } from "./pickle_graph.ts";
 * const d = new Map<string, unknown>();
 * d.set("self", d);
 * checkValueGraph(d, "m.pth"); // throws UsageError: m.pth: … reference cycle …
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import { BUDGETS, overBudget } from "../budgets.ts";
import { PyObject } from "./pickle_globals.ts";

function children(x: unknown): unknown[] | undefined {
  if (Array.isArray(x)) return x;
  if (x instanceof Map) return [...x.keys(), ...x.values()];
  if (x instanceof Set) return [...x];
  if (x instanceof PyObject) return [...x.args, x.state];
  return undefined;
}

interface Frame {
  node: object;
  kids: unknown[];
  next: number;
  count: number;
}

/** Throws a UsageError naming `source` when `value` breaks a budget; returns `value` otherwise. */
export function checkValueGraph<T>(value: T, source: string): T {
  const counted = new Map<object, number>();
  const open = new Set<object>();
  const frames: Frame[] = [];
  const add = (n: number) => {
    const top = frames[frames.length - 1];
    if (!top) return;
    top.count += n;
    if (top.count > BUDGETS.pickleNodes) {
      throw overBudget(
        source,
        `an unpickled value holding more than ${BUDGETS.pickleNodes} values`,
        "pickleNodes",
      );
    }
  };
  const visit = (x: unknown) => {
    const kids = children(x);
    if (!kids) return add(1);
    const node = x as object;
    const known = counted.get(node);
    if (known !== undefined) return add(known);
    if (open.has(node)) {
      throw new UsageError(
        `${source}: the pickle holds a reference cycle (a container inside itself); tok1d refuses those`,
      );
    }
    if (frames.length >= BUDGETS.pickleDepth) {
      throw overBudget(source, `containers nested more than ${BUDGETS.pickleDepth} deep`, "pickleDepth");
    }
    open.add(node);
    frames.push({ node, kids, next: 0, count: 1 });
  };
  visit(value);
  while (frames.length) {
    const f = frames[frames.length - 1];
    if (f.next < f.kids.length) {
      visit(f.kids[f.next++]);
      continue;
    }
    frames.pop();
    open.delete(f.node);
    counted.set(f.node, f.count);
    add(f.count);
  }
  return value;
}
