"""The replica-batching benchmark's workload in PyTorch, for comparison.

Linear VAE, d_x=10, d_z=3, B=32, K=1, N=2000, SGD with step 0.05 k^-1/2, R
replicas held as a leading batch dimension (torch.bmm), autograd. Prints one
JSON line per R: {"R": R, "rate": replica-steps/s, "steps": n, "seconds": t}.
Usage: python3 bench/pytorch_linear_vae.py SECONDS R [R ...]
PyTorch uses every core (Debian's build defaults to one thread here).
"""
import json
import math
import os
import sys
import time

import torch


def run(R, seconds, dx=10, dz=3, B=32, N=2000, C=0.05):
    g = torch.Generator().manual_seed(1234 + R)
    data = torch.randn(N, dx, generator=g)
    W = (0.1 * torch.randn(R, dx, dz, generator=g)).requires_grad_()
    b = torch.zeros(R, 1, dx, requires_grad=True)
    V = (0.1 * torch.randn(R, dz, dx, generator=g)).requires_grad_()
    c = torch.zeros(R, 1, dz, requires_grad=True)
    s = torch.zeros(R, 1, dz, requires_grad=True)
    params = [W, b, V, c, s]
    log_norm = -0.5 * dx * math.log(2 * math.pi)

    def step(k):
        idx = torch.randint(N, (R, B), generator=g)
        x = data[idx]  # [R, B, dx]
        eps = torch.randn(R, B, dz, generator=g)
        mu = torch.bmm(x, V.transpose(1, 2)) + c
        z = mu + torch.exp(0.5 * s) * eps
        mean = torch.bmm(z, W.transpose(1, 2)) + b
        recon = (-0.5 * ((x - mean) ** 2).sum(-1) + log_norm).mean(1)
        kl = 0.5 * (torch.exp(s) + mu**2 - 1 - s).sum(-1).mean(1)
        objective = (recon - kl).sum()
        grads = torch.autograd.grad(objective, params)
        with torch.no_grad():
            gamma = C / math.sqrt(k)
            for p, gr in zip(params, grads):
                p.add_(gamma * gr)

    k = 0
    for _ in range(5):
        k += 1
        step(k)
    steps = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        k += 1
        step(k)
        steps += 1
    dt = time.perf_counter() - t0
    return {"R": R, "rate": R * steps / dt, "steps": steps, "seconds": dt, "threads": torch.get_num_threads(), "torch": torch.__version__}


if __name__ == "__main__":
    torch.set_num_threads(os.cpu_count() or 1)
    seconds = float(sys.argv[1])
    for r in sys.argv[2:]:
        print(json.dumps(run(int(r), seconds)), flush=True)
