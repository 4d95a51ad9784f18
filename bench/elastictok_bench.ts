/**
 * ElasticTok: encoding a 16-frame clip (4 blocks, one cached chunk) at a fixed
 * count per block against the adaptive per-block search (bisection and
 * upstream's log-spaced scan). A mid-size random model (hidden 256, 4 + 4
 * layers, 32² frames, 64 tokens per block) keeps a run short on a CPU; the
 * search's cost is counted in decoder passes, so the ratio carries over to
 * the 200m model, whose per-pass cost `TOK1D_BENCH_ELASTIC=200m` measures
 * (slow: 4096 tokens per block).
 *
 * ```sh
 * deno bench -A bench/elastictok_bench.ts
 * ```
 * @module
 */
import type { Plugin } from "../core/plugin.ts";
import type { Tensor } from "../core/tensor.ts";
import { openTokenizer } from "../core/tokenizer.ts";
import { PLUGINS } from "../plugins/mod.ts";

const plugin = PLUGINS.elastictok as Plugin<unknown>;
const big = Deno.env.get("TOK1D_BENCH_ELASTIC") === "200m";
const raw = big ? plugin.presets.fsq_video : {
  ...(plugin.presets.tiny as Record<string, unknown>),
  hidden_size: 256,
  intermediate_size: 512,
  num_encoder_layers: 4,
  num_decoder_layers: 4,
  num_attention_heads: 4,
  min_toks: 4,
  max_toks: 64,
  max_sequence_length: 256,
  resolution: 32,
  video_frames: 16,
};
const config = plugin.schema.parse(raw);
const tok = await openTokenizer(
  { plugin, config, variant: big ? "fsq_video" : "bench", configSource: "bench" },
  { random: true, seed: 3, threads: 2 },
);
const side = tok.info.input.height;
// A smooth moving pattern: a pan over a sine field.
const clip: Tensor = {
  dtype: "float32",
  shape: [1, 16, 3, side, side],
  data: new Float32Array(16 * 3 * side * side),
};
for (let f = 0; f < 16; f++) {
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        (clip.data as Float32Array)[((f * 3 + c) * side + y) * side + x] = 0.5 +
          0.4 * Math.sin((x + 2 * f) / 7 + c) * Math.cos(y / 9);
      }
    }
  }
}
const fixed = (tok.info.tokensPerItem / 4) / 2; // half the tokens of each block
await tok.encode(clip, { params: { tokensPerBlock: fixed } }); // open the sessions

Deno.bench({
  name: `elastictok ${tok.info.variant}: 16-frame clip, fixed ${fixed} tokens per block`,
  group: "elastictok",
  baseline: true,
  fn: async () => void await tok.encode(clip, { params: { tokensPerBlock: fixed } }),
});
for (const search of ["binary", "linear"]) {
  Deno.bench({
    name: `elastictok ${tok.info.variant}: 16-frame clip, adaptive (${search}, threshold 0.003)`,
    group: "elastictok",
    fn: async () => void await tok.encodeAdaptive(clip, { threshold: 0.003, params: { search } }),
  });
}
