/**
 * Registry-wide checks: every family's tiny config builds, encodes and decodes
 * with the shapes its `info` promises, deterministically; each program runs
 * only the graphs it declares (a tokenizer loaded for it refuses others).
 */
import { deepStrictEqual, ok } from "node:assert";
import { PLUGINS } from "../plugins/mod.ts";
import { loadTokenizer, type ProgramName, type Tokenizer } from "../core/tokenizer.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Tokens } from "../core/tokens.ts";

function image(b: number, s: number): Tensor {
  const data = new Float32Array(b * 3 * s * s);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 255) / 255;
  return { dtype: "float32", shape: [b, 3, s, s], data };
}

for (const plugin of Object.values(PLUGINS)) {
  const tests = plugin.testPresets ?? Object.keys(plugin.presets).filter((p) => p.startsWith("tiny"));
  Deno.test(`plugin ${plugin.name}: has a tiny config and test presets`, () => {
    ok("tiny" in plugin.presets, `configs/${plugin.name}/tiny.yaml is missing`);
    ok(
      tests.length > 0 && tests.every((p) => p in plugin.presets),
      `test presets ${tests} are not all presets`,
    );
  });
  for (const preset of tests) {
    Deno.test(`plugin ${plugin.name}/${preset}: encode → decode shapes, batch independence, determinism`, async () => {
      const tok = await loadTokenizer(`${plugin.name}/${preset}`, {
        random: true,
        seed: 1,
        threads: 1,
        batchSize: 2,
      });
      const s = tok.info.imageSize;
      const x = image(3, s);
      const a = await tok.encode(x);
      deepStrictEqual(a.tokens.shape, [3, ...tok.info.tokenShape]);
      deepStrictEqual(a.tokens.dtype, tok.info.tokenDtype);
      if (tok.info.latentShape) deepStrictEqual(a.latent?.shape, [3, ...tok.info.latentShape]);
      const y = await tok.decode(a.tokens);
      deepStrictEqual(y.shape, [3, 3, s, s]);
      ok([...y.data as Float32Array].every(Number.isFinite), "decoded values are finite");
      // Same input again: identical results; batch split (2 + 1) does not change the third image.
      deepStrictEqual((await tok.encode(x)).tokens, a.tokens);
      const third = { ...x, shape: [1, 3, s, s], data: (x.data as Float32Array).subarray(2 * 3 * s * s) };
      const single = await tok.encode(third);
      deepStrictEqual([...single.tokens.data], [...a.tokens.data].slice((2 * a.tokens.data.length) / 3));
      await tok.release();
    });
    Deno.test(`plugin ${plugin.name}/${preset}: encode, decode, reconstruct each run only their own graphs`, async () => {
      const spec = `${plugin.name}/${preset}`;
      const opts = { random: true, seed: 1, threads: 1, batchSize: 2 };
      const all = await loadTokenizer(spec, { ...opts, keepWeights: true });
      const x = image(2, all.info.imageSize);
      const want = await all.reconstruct(x);
      const decoded = await all.decode(want.tokens);
      await all.release();
      const runs: [ProgramName, (t: Tokenizer) => Promise<unknown>][] = [
        ["encode", (t) => t.encode(x)],
        ["decode", (t) => t.decode(want.tokens)],
        ["reconstruct", (t) => t.reconstruct(x)],
      ];
      for (const [program, run] of runs) {
        // A graph outside the program's declared ones would be refused (and fail this test).
        const tok = await loadTokenizer(spec, { ...opts, programs: [program] });
        const got = await run(tok);
        const declared = program === "reconstruct" && !tok.programs.reconstruct
          ? [...tok.programGraphs(tok.programs.encode), ...tok.programGraphs(tok.programs.decode)]
          : tok.programGraphs(tok.programs[program]!);
        // Left in JS: only weights of declared graphs that did not run.
        const unopened = declared.filter((g) => !tok.openedGraphs.includes(g));
        const needed = new Set(unopened.flatMap((g) => [...tok.graph(g).params.keys()]));
        ok(
          [...tok.weights.keys()].every((k) => needed.has(k)),
          `${program}: weights of other graphs left in JS`,
        );
        if (program === "decode") deepStrictEqual(got, decoded);
        else if (program === "encode") deepStrictEqual((got as Tokens).tokens, want.tokens.tokens);
        else deepStrictEqual(got, want);
        await tok.release();
      }
    });
  }
}
