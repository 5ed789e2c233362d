"""The deep-VAE benchmark's workload in PyTorch, for comparison.

The engine's soft-clipped two-layer Gaussian VAE (bench/lib/deep-vae-workload.ts):
encoder x -> softclip_[0,50](W1 x + b1) -> heads (mu in [-50, 50], log var in
[-20, 20], soft-clipped with sharpness 5), decoder z -> softclip_[0,50](W2 z + b2)
-> softclip_[-50,50](W3 h + b3), Gaussian decoder with std c = 0.3, ELBO with
the analytic KL, B = 10, K = 1, Adam (0.9, 0.999, 1e-8) with step 0.03 k^-1/2.
R replicas are a leading batch dimension (torch.bmm), one autograd pass.
Prints one JSON line per R: {"R", "rate": replica-steps/s, "steps", "seconds", "threads", "torch"}.
Usage: python3 bench/pytorch_deep_vae.py SECONDS DATA.f32 DX H DZ R [R ...]
(DATA.f32: the digits the engine trains on, float32 row-major, written by the bench.)
PyTorch uses every core.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def soft_clip(x, lo, hi, s=5.0):
    return lo + (F.softplus(s * (x - lo)) - F.softplus(s * (x - hi))) / s


def run(R, seconds, data, H, dz, B=10, c=0.3, C=0.03):
    N, dx = data.shape
    g = torch.Generator().manual_seed(4321 + R)

    def weight(out, inp, scale=1.0):
        return (scale / math.sqrt(inp) * torch.randn(R, out, inp, generator=g)).requires_grad_()

    W1, b1 = weight(H, dx), torch.zeros(R, 1, H, requires_grad=True)
    Wh, bh = weight(2 * dz, H), torch.zeros(R, 1, 2 * dz, requires_grad=True)
    W2, b2 = weight(H, dz), torch.zeros(R, 1, H, requires_grad=True)
    W3 = weight(dx, H, 0.1)
    b3 = data.mean(0).reshape(1, 1, dx).repeat(R, 1, 1).clone().requires_grad_()
    params = [W1, b1, Wh, bh, W2, b2, W3, b3]
    opt = torch.optim.Adam(params, lr=C, betas=(0.9, 0.999), eps=1e-8, maximize=True)
    v = c * c
    log_norm = -0.5 * dx * math.log(2 * math.pi * v)

    def step(k):
        idx = torch.randint(N, (R, B), generator=g)
        x = data[idx]  # [R, B, dx]
        eps = torch.randn(R, B, dz, generator=g)
        h1 = soft_clip(torch.baddbmm(b1, x, W1.transpose(1, 2)), 0.0, 50.0)
        heads = torch.baddbmm(bh, h1, Wh.transpose(1, 2))
        mu = soft_clip(heads[..., :dz], -50.0, 50.0)
        lv = soft_clip(heads[..., dz:], -20.0, 20.0)
        z = mu + torch.exp(0.5 * lv) * eps
        h2 = soft_clip(torch.baddbmm(b2, z, W2.transpose(1, 2)), 0.0, 50.0)
        mean = soft_clip(torch.baddbmm(b3, h2, W3.transpose(1, 2)), -50.0, 50.0)
        recon = (-0.5 / v * ((x - mean) ** 2).sum(-1) + log_norm).mean(1)
        kl = 0.5 * (torch.exp(lv) + mu**2 - 1 - lv).sum(-1).mean(1)
        objective = (recon - kl).sum()
        for group in opt.param_groups:
            group["lr"] = C / math.sqrt(k)
        opt.zero_grad(set_to_none=True)
        objective.backward()
        opt.step()

    k = 0
    for _ in range(3):
        k += 1
        step(k)
    steps = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds or steps < 2:
        k += 1
        step(k)
        steps += 1
    dt = time.perf_counter() - t0
    return {"R": R, "rate": R * steps / dt, "steps": steps, "seconds": dt, "threads": torch.get_num_threads(), "torch": torch.__version__}


if __name__ == "__main__":
    torch.set_num_threads(os.cpu_count() or 1)
    seconds = float(sys.argv[1])
    dx, H, dz = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    data = torch.from_numpy(np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, dx))
    for r in sys.argv[6:]:
        print(json.dumps(run(int(r), seconds, data, H, dz)), flush=True)
