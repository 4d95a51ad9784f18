#!/usr/bin/python3
"""Independent PyTorch (eager, CPU) implementation of ALIT's VQGAN forward, for bench/compare_alit.ts.

Plain torch functions over a parameter dict (upstream's state-dict keys), written from
tests/testdata/alit/PORTING.md; nothing of upstream is imported. It loads the `model.safetensors` that
compare_alit.ts writes from tok1d's weights (parsed by hand, bench/torch_titok.py's reader) and either
checks against tok1d or times:

- `encode`: what upstream's `AdaptiveLengthImageTokenizer.encode` does (PORTING.md §4): VQGAN encoder and
  code ids, then all I iterations, each with the latent quantiser, the decoder, a reconstruction through the
  VQGAN decoder and the halting draw (Bernoulli(p) where p >= the halting threshold), then one length for
  the batch (first iteration whose batch-mean L1 is under --threshold, else the lowest);
- `decode_<L>`: ids (B, L) -> normalised codebook rows -> decoder -> softmax-weighted VQGAN code -> VQGAN
  decoder (upstream has no such API; this is PORTING.md §3 steps 4-6);
- stages: `iter0` (VQGAN encoder, code ids and iteration 0), `iter7` (the last, longest iteration: recursive
  LayerNorm, encoder, quantiser, decoder), `pixels` (the VQGAN decoder alone).

    /usr/bin/python3 bench/torch_alit.py --weights DIR/model.safetensors --arch DIR/arch.json --threads 2 \
        --batch 4 --ops encode,decode_256,decode_32 --threshold 0.5 [--iters 1] [--warmup 1]
    /usr/bin/python3 bench/torch_alit.py --weights DIR/model.safetensors --arch DIR/arch.json --check DIR

--check reads DIR/image.npy (B,3,S,S), DIR/halting_u.npy (B,I,N), DIR/ids_32.npy and DIR/ids_256.npy
(int64 (B,L)), runs the full rollout with those draws and writes DIR/torch_{l1,ids0,ids7,rec0,rec7,dec32,dec256}.npy.
Prints one JSON object on stdout.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# torch_titok sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS from --threads before it imports torch.
from torch_titok import openblas_core, read_safetensors, timed  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Alit:
    """ALIT over the MAGE VQGAN as functions of a parameter dict P (PORTING.md §1-4)."""

    def __init__(self, P, arch):
        self.P, self.a = P, arch
        self.W, self.t, self.I = arch["width"], arch["t"], arch["iters"]
        self.N = arch["grid"] ** 2

    # -- transformer parts (PORTING.md §3.1: pre-norm blocks, LN eps 1e-5, fused in_proj, exact GELU)
    def ln(self, x, p):
        return F.layer_norm(x, (x.shape[-1],), self.P[p + ".weight"], self.P[p + ".bias"], 1e-5)

    def lin(self, x, p):
        return F.linear(x, self.P[p + ".weight"], self.P.get(p + ".bias"))

    def block(self, x, p, heads):
        P, W = self.P, self.W
        h = self.ln(x, p + ".ln_1")
        B, L, _ = h.shape
        hd = W // heads
        qkv = F.linear(h, P[p + ".attn.in_proj_weight"], P[p + ".attn.in_proj_bias"])
        q, k, v = [t.reshape(B, L, heads, hd).transpose(1, 2) for t in qkv.split(W, -1)]
        a = torch.softmax((q * hd ** -0.5) @ k.transpose(-1, -2), -1) @ v
        x = x + self.lin(a.transpose(1, 2).reshape(B, L, W), p + ".attn.out_proj")
        return x + self.lin(F.gelu(self.lin(self.ln(x, p + ".ln_2"), p + ".mlp.c_fc")), p + ".mlp.c_proj")

    def transformer(self, x, p, layers, heads):
        for l in range(layers):
            x = self.block(x, f"{p}.transformer.{l}", heads)
        return x

    # -- MAGE VQGAN (taming naming; GroupNorm(32, eps 1e-6), SiLU, the nin_shortcut quirk)
    def gn(self, x, p):
        return F.group_norm(x, 32, self.P[p + ".weight"], self.P[p + ".bias"], 1e-6)

    def conv(self, x, p, pad):
        return F.conv2d(x, self.P[p + ".weight"], self.P.get(p + ".bias"), padding=pad)

    def res(self, x, p):
        h = self.conv(F.silu(self.gn(x, p + ".norm1")), p + ".conv1", 1)
        h = self.conv(F.silu(self.gn(h, p + ".norm2")), p + ".conv2", 1)
        return h + (self.conv(h, p + ".nin_shortcut", 0) if p + ".nin_shortcut.weight" in self.P else x)

    def vq_encoder(self, x, p="base_tokenizer.vqgan.encoder"):
        nl, nb = len(self.a["ch_mult"]), self.a["num_res_blocks"]
        h = self.conv(x, p + ".conv_in", 1)
        for i in range(nl):
            for j in range(nb):
                h = self.res(h, f"{p}.down.{i}.block.{j}")
            if i != nl - 1:
                h = F.avg_pool2d(h, 2)
        h = self.res(self.res(h, p + ".mid.block_1"), p + ".mid.block_2")
        return self.conv(F.silu(self.gn(h, p + ".norm_out")), p + ".conv_out", 0)

    def vq_decoder(self, z, p="base_tokenizer.vqgan.decoder"):
        nl, nb = len(self.a["ch_mult"]), self.a["num_res_blocks"]
        h = self.res(self.res(self.conv(z, p + ".conv_in", 1), p + ".mid.block_1"), p + ".mid.block_2")
        for i in reversed(range(nl)):
            for j in range(nb):
                h = self.res(h, f"{p}.up.{i}.block.{j}")
            if i != 0:
                h = self.conv(F.interpolate(h, scale_factor=2.0, mode="nearest"), f"{p}.up.{i}.upsample.conv", 1)
        return self.conv(F.silu(self.gn(h, p + ".norm_out")), p + ".conv_out", 1)

    # -- ALIT
    def start(self, img):
        """§1-2: base tokens, code ids gt (B,N), the initial sequence after encoder_ln_pre."""
        P, W, N = self.P, self.W, self.N
        B = img.shape[0]
        E = P["base_tokenizer.vqgan.quantize.embedding.weight"]
        h = self.vq_encoder(img)
        zf = h.permute(0, 2, 3, 1).reshape(B, -1, h.shape[1])
        gt = torch.argmin((zf ** 2).sum(-1, keepdim=True) + (E ** 2).sum(-1) - 2 * zf @ E.t(), -1)
        patch = F.conv2d(img, P["patch_embed.weight"], P["patch_embed.bias"], stride=self.a["patch"])
        tok = F.normalize(torch.cat([h, patch], 1).flatten(2).transpose(1, 2), dim=-1)
        x = torch.cat([P["encoder_class_embedding"].expand(B, 1, W), tok], 1) + P["encoder_positional_embedding"]
        x = self.ln(torch.cat([x, self.new_latents(0).expand(B, -1, -1)], 1), "encoder_ln_pre")
        return x, gt

    def new_latents(self, i):
        P = self.P
        return P["latent_tokens"] + P["latent_token_positional_embedding"] + P["timestep_embedding"][i]

    def quantise(self, x):
        """§3.2-4: raw latents -> ids (B,L) and the normalised codebook rows."""
        lat = x[:, 1 + self.N:]
        z = F.normalize(self.lin(self.ln(lat, "encoder_ln_post"), "pre_quantizer_mlp"), dim=-1)
        cb = F.normalize(self.P["quantize.embedding.weight"], dim=-1)
        ids = torch.argmin((z ** 2).sum(-1, keepdim=True) + (cb ** 2).sum(-1) - 2 * z @ cb.t(), -1)
        return ids, cb[ids]

    def decode_code(self, q):
        """§3.5-6: quantised latents (B,L,C) -> token probabilities (B,N,1024) and the VQGAN code (B,Z,G,G)."""
        P, W, N, a = self.P, self.W, self.N, self.a
        B, L = q.shape[:2]
        mask_seq = torch.cat([P["decoder_class_embedding"].expand(B, 1, W), P["decoder_mask_token"].expand(B, N, W)],
                             1) + P["decoder_positional_embedding"]
        y = self.lin(q, "decoder.decoder_embed") + P["decoder.latent_token_positional_embedding"][:L]
        y = self.ln(torch.cat([mask_seq, y], 1), "decoder.ln_pre")
        y = self.transformer(y, "decoder", a["dec_layers"], a["dec_heads"])
        y = self.ln(y[:, 1:1 + N], "decoder.ln_post")
        prob = torch.softmax(self.lin(torch.tanh(self.lin(y, "decoder.ffn.0")), "decoder.ffn.2"), -1)
        code = prob @ P["base_tokenizer.vqgan.quantize.embedding.weight"]
        g = self.a["grid"]
        return prob, code.reshape(B, g, g, -1).permute(0, 3, 1, 2)

    def iteration(self, x):
        """§3.1-6 on the sequence entering the iteration: x, ids, probabilities, code."""
        x = self.transformer(x, "encoder", self.a["enc_layers"], self.a["enc_heads"])
        ids, q = self.quantise(x)
        prob, code = self.decode_code(q)
        return x, ids, prob, code

    def halt(self, x, prob, gt, u):
        """§3.7: drop = (u < p) & (p >= threshold); dropped image tokens become mask tokens."""
        P, N = self.P, self.N
        p = prob.gather(2, gt[..., None])[..., 0]
        drop = ((u < p) & (p >= self.a["halting_threshold"])).to(x.dtype)[..., None]
        masked = P["encoder_positional_embedding"][1:] + P["encoder_mask_token"]
        return torch.cat([x[:, :1], drop * masked + (1 - drop) * x[:, 1:1 + N], x[:, 1 + N:]], 1)

    def next_input(self, x, i):
        """§3.8: T new latents for iteration i, encoder_ln_recursive."""
        B = x.shape[0]
        return self.ln(torch.cat([x, self.new_latents(i).expand(B, -1, -1)], 1), "encoder_ln_recursive")

    def rollout(self, img, draws):
        """The whole forward as upstream runs it: every iteration, its reconstruction, its halting draw."""
        x, gt = self.start(img)
        out = []
        for i in range(self.I):
            x, ids, prob, code = self.iteration(x)
            rec = self.vq_decoder(code)
            out.append((x[:, 1 + self.N:], ids, rec))
            x = self.halt(x, prob, gt, draws(i))
            if i < self.I - 1:
                x = self.next_input(x, i + 1)
        return out

    def encode(self, img, threshold, draws):
        """Upstream's encode: the whole rollout, then one length for the batch (PORTING.md §4)."""
        out = self.rollout(img, draws)
        l1 = [float((rec - img).abs().mean()) for _, _, rec in out]
        pick = next((i for i, v in enumerate(l1) if v < threshold), int(np.argmin(l1)))
        return out[pick][0], out[pick][2], pick

    def decode_ids(self, ids):
        cb = F.normalize(self.P["quantize.embedding.weight"], dim=-1)
        return self.vq_decoder(self.decode_code(cb[ids])[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", required=True)
    ap.add_argument("--arch", required=True, help="JSON: sizes written by compare_alit.ts")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--ops", default="encode,decode_256,decode_32")
    ap.add_argument("--threshold", type=float, default=0.07, help="encode's L1 threshold (upstream's default)")
    ap.add_argument("--iters", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--inputs", metavar="DIR", help="time on DIR/image.npy and DIR/halting_u.npy (else seeded draws)")
    ap.add_argument("--check", metavar="DIR")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    with open(a.arch) as f:
        arch = json.load(f)
    P = read_safetensors(a.weights)
    m = Alit(P, arch)
    # Every tensor the forward reads must be there (and nothing of the training modules is needed).
    res = {"torch": torch.__version__, "openblas_core": openblas_core(), "threads": a.threads, "params": len(P)}

    with torch.inference_mode():
        if a.check:
            ld = lambda n: torch.from_numpy(np.load(os.path.join(a.check, n + ".npy")))  # noqa: E731
            img, u = ld("image"), ld("halting_u")
            out = m.rollout(img, lambda i: u[:, i])
            l1 = np.array([[float((rec[b] - img[b]).abs().mean()) for _, _, rec in out] for b in range(img.shape[0])])
            sv = lambda n, t: np.save(os.path.join(a.check, f"torch_{n}.npy"), np.asarray(t))  # noqa: E731
            sv("l1", l1.astype(np.float64))
            sv("ids0", out[0][1].numpy())
            sv("ids7", out[-1][1].numpy())
            sv("rec0", out[0][2].numpy())
            sv("rec7", out[-1][2].numpy())
            for L in (32, 256):
                sv(f"dec{L}", m.decode_ids(ld(f"ids_{L}")).numpy())
            print(json.dumps(res))
            return

        g = torch.Generator().manual_seed(a.seed)
        S = arch["image"]
        img = torch.rand(a.batch, 3, S, S, generator=g)
        draws = lambda i: torch.rand(a.batch, m.N, generator=g)  # noqa: E731  (upstream: Bernoulli(p))
        if a.inputs:
            img = torch.from_numpy(np.load(os.path.join(a.inputs, "image.npy")))
            u = torch.from_numpy(np.load(os.path.join(a.inputs, "halting_u.npy")))
            draws = lambda i: u[:, i]  # noqa: E731
            a.batch = img.shape[0]
        ids = {L: torch.randint(0, P["quantize.embedding.weight"].shape[0], (a.batch, L), generator=g)
               for L in (32, 64, 128, 256)}
        x0, gt = m.start(img)
        x6 = x0
        for i in range(m.I - 1):  # the sequence entering the last iteration
            x6, _, prob, _ = m.iteration(x6)
            x6 = m.next_input(m.halt(x6, prob, gt, draws(i)), i + 1)
        code = m.iteration(x0)[3]
        picks = []

        def encode():
            picks.append(m.encode(img, a.threshold, draws)[2])

        fns = {
            "encode": encode,
            "iter0": lambda: m.iteration(m.start(img)[0]),
            "iter7": lambda: m.iteration(x6),
            "pixels": lambda: m.vq_decoder(code),
            **{f"decode_{L}": (lambda L=L: m.decode_ids(ids[L])) for L in ids},
        }
        for op in a.ops.split(","):
            t0 = time.process_time()
            secs = timed(fns[op], a.warmup, a.iters, a.min_time)
            res[op] = {"median_s": float(np.median(secs)), "runs_s": secs,
                       "cpu_s": (time.process_time() - t0) / (a.warmup + len(secs))}
        if picks:
            res["encode_pick"] = picks[-1]
        print(json.dumps(res))


if __name__ == "__main__":
    main()
