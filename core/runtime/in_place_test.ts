/**
 * In-place outputs: the static check refuses every pair a reader could see
 * half-updated, and a session run writes the accepted ones into the fed
 * buffers with the same values as a run without them.
 */
import { deepStrictEqual, ok, rejects } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { add, f32, matmul, mul, reduceSum, reshape, sub, transpose } from "../ops/mod.ts";
import { UsageError } from "../errors.ts";
import { inPlacePairs } from "./in_place.ts";
import { Session } from "./session.ts";

/** A tiny "train step": loss reads w; the update of w waits for a scalar that depends on the loss. */
function stepLike() {
  const g = new Graph("step");
  const x = g.input("x", "float32", [2, 2]);
  const w = g.input("w", "float32", [2, 2]);
  const m = g.input("m", "float32", [2, 2]);
  const y = matmul(g, x, transpose(g, w, [1, 0]));
  const loss = reduceSum(g, mul(g, y, y), [0, 1], false);
  g.output(loss, "loss");
  const grad = mul(g, y, g.constant(f32([], [2]), "two"));
  const m2 = add(g, mul(g, m, g.constant(f32([], [0.9]), "b1")), mul(g, grad, loss));
  g.output(m2, "new.m");
  g.output(sub(g, w, mul(g, m2, g.constant(f32([], [0.01]), "lr"))), "new.w");
  return g;
}

Deno.test("inPlacePairs: an update that waits for the loss may overwrite what the loss read", () => {
  const g = stepLike();
  const safe = inPlacePairs(g, [["w", "new.w"], ["m", "new.m"]]);
  deepStrictEqual([...safe].sort(), [["new.m", "m"], ["new.w", "w"]]);
});

Deno.test("inPlacePairs: refuses a pair whose input is read after the output is written", () => {
  const g = new Graph("late");
  const x = g.input("x", "float32", [3]);
  const y = add(g, x, g.constant(f32([], [1]), "one"));
  g.output(y, "y");
  g.output(mul(g, y, x), "w"); // reads x after y exists: in place it would read y
  deepStrictEqual([...inPlacePairs(g, [["x", "y"]])], []);
});

Deno.test("inPlacePairs: the producer itself may read the input only as a same-shape elementwise op", () => {
  const g = new Graph("producers");
  const a = g.input("a", "float32", [2, 2]);
  const b = g.input("b", "float32", [2, 2]);
  const c = g.input("c", "float32", [1, 2]);
  g.output(sub(g, a, g.constant(f32([], [1]), "one")), "a2"); // elementwise: fine
  g.output(transpose(g, b, [1, 0]), "b2"); // reads other elements than it writes
  g.output(add(g, c, g.constant(f32([2, 2], [1, 2, 3, 4]), "k")), "c2"); // broadcast: c2's shape is not c's
  const safe = inPlacePairs(g, [["a", "a2"], ["b", "b2"], ["c", "c2"]]);
  deepStrictEqual([...safe], [["a2", "a"]]);
});

Deno.test("inPlacePairs: refuses outputs no node produces, mismatched types and shared names", () => {
  const g = new Graph("odd");
  const a = g.input("a", "float32", [2]);
  const b = g.input("b", "float32", [2]);
  g.output(a, "a_copy"); // an Identity of the input
  g.output(add(g, a, b), "s");
  g.output(reduceSum(g, b, [0], true), "r");
  const safe = inPlacePairs(g, [["a", "a_copy"], ["a", "s"], ["b", "s"], ["b", "r"], ["nope", "s"]]);
  deepStrictEqual([...safe], []);
});

Deno.test("Session: in-place outputs land in the fed buffers with the values of a copying run", async () => {
  const g = stepLike();
  const feeds = () => ({
    x: f32([2, 2], [1, 2, -1, 0.5]),
    w: f32([2, 2], [0.3, -0.2, 0.1, 0.4]),
    m: f32([2, 2], [0.01, 0.02, 0.03, 0.04]),
  });
  const copying = await Session.create(g, new Map());
  const inPlace = await Session.create(g, new Map(), { inPlace: [["w", "new.w"], ["m", "new.m"]] });
  deepStrictEqual([...inPlace.inPlace.keys()].sort(), ["new.m", "new.w"]);
  const ref = await copying.run(feeds());
  const fed = feeds();
  const r = await inPlace.run(fed);
  ok(r["new.w"] === fed.w && r["new.m"] === fed.m, "the fed tensors come back");
  deepStrictEqual([...fed.w.data], [...ref["new.w"].data]);
  deepStrictEqual([...fed.m.data], [...ref["new.m"].data]);
  deepStrictEqual([...r.loss.data], [...ref.loss.data]);
  await copying.release();
  await inPlace.release();
});

Deno.test("Session: an in-place input sharing memory with another input is refused", async () => {
  const g = stepLike();
  const s = await Session.create(g, new Map(), { inPlace: [["w", "new.w"], ["m", "new.m"]] });
  const shared = new Float32Array(8);
  await rejects(
    () =>
      s.run({
        x: f32([2, 2], [1, 2, 3, 4]),
        w: { dtype: "float32", shape: [2, 2], data: shared.subarray(0, 4) },
        m: { dtype: "float32", shape: [2, 2], data: shared.subarray(2, 6) },
      }),
    (e) => e instanceof UsageError && /'w' and 'm' share memory/.test(e.message),
  );
  // Adjacent, non-overlapping views of one buffer are fine.
  const r = await s.run({
    x: f32([2, 2], [1, 2, 3, 4]),
    w: { dtype: "float32", shape: [2, 2], data: shared.subarray(0, 4) },
    m: { dtype: "float32", shape: [2, 2], data: shared.subarray(4, 8) },
  });
  ok(r["new.w"].data.buffer === shared.buffer);
  await s.release();
});

Deno.test("inPlacePairs: a reader of a view of the input (Reshape) counts as a reader", () => {
  // w is reshaped (ORT may alias the view to w's buffer); a node outside the update's ancestry reads
  // the view, so writing new.w into w's buffer first would hand it the new weight.
  const g = new Graph("view");
  const x = g.input("x", "float32", [2, 2]);
  const w = g.input("w", "float32", [2]);
  const view = reshape(g, w, [2, 1]);
  const y = mul(g, x, view);
  g.output(sub(g, w, mul(g, reduceSum(g, y, [1], false), g.constant(f32([], [0.1]), "lr"))), "new.w");
  g.output(mul(g, y, view), "late"); // reads the view; not an ancestor of new.w
  deepStrictEqual([...inPlacePairs(g, [["w", "new.w"]])], []);
  const h = new Graph("view_ok");
  const x2 = h.input("x", "float32", [2, 2]);
  const w2 = h.input("w", "float32", [2]);
  const y2 = mul(h, x2, reshape(h, w2, [2, 1]));
  h.output(sub(h, w2, mul(h, reduceSum(h, y2, [1], false), h.constant(f32([], [0.1]), "lr"))), "new.w");
  deepStrictEqual([...inPlacePairs(h, [["w", "new.w"]])], [["new.w", "w"]]);
});
