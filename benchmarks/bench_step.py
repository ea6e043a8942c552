"""Benchmark 1: one training step of an MLP 784-512-512-10 (ReLU, softmax
cross-entropy, batch 256), float64 and float32.

A step is the forward and the backward pass with every gradient
(``MLP.loss_and_grads``); "step + update" adds the SGD update as ``bplib.train``
does it. Contenders:

* the matmul floor: the eight matrix products a step must do (three forward,
  five backward: no gradient for the input), into preallocated outputs;
* PyTorch eager on the CPU, same model, same data, same dtype and threads,
  if ``torch`` is importable (it is never a dependency of bplib).

Targets: bplib within 1.10x of the floor in float64 and 1.15x in float32, and
at least 10 % faster than PyTorch eager. Timing is in rounds (see _timing.py).
Set OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS for torch) to fix the threads.

    python benchmarks/bench_step.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _timing import blas_threads, in_rounds, machine, try_torch

from bplib.mlp import MLP

SIZES = [784, 512, 512, 10]
BATCH = 256
TARGET_FLOOR = {np.float64: 1.10, np.float32: 1.15}


def problem(dtype):
    rng = np.random.default_rng(0)
    net = MLP(
        SIZES,
        activation="relu",
        output="identity",
        loss="softmax_cross_entropy",
        seed=0,
        dtype=dtype,
    )
    X = rng.standard_normal((BATCH, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], BATCH)
    return net, X, y


def floor(net, X):
    """The step's eight matrix products, into preallocated arrays."""
    (W1, _), (W2, _), (W3, _) = net.params
    dt = X.dtype
    A1 = np.empty((BATCH, 512), dt)
    A2 = np.empty((BATCH, 512), dt)
    Z3 = np.empty((BATCH, 10), dt)
    D3 = np.ones((BATCH, 10), dt) / BATCH
    D2 = np.empty((BATCH, 512), dt)
    D1 = np.empty((BATCH, 512), dt)
    dW3, dW2, dW1 = np.empty_like(W3), np.empty_like(W2), np.empty_like(W1)
    np.matmul(X, W1.T, out=A1)
    np.matmul(A1, W2.T, out=A2)

    def run():
        np.matmul(X, W1.T, out=A1)
        np.matmul(A1, W2.T, out=A2)
        np.matmul(A2, W3.T, out=Z3)
        np.matmul(D3.T, A2, out=dW3)
        np.matmul(D3, W3, out=D2)
        np.matmul(D2.T, A1, out=dW2)
        np.matmul(D2, W2, out=D1)
        np.matmul(D1.T, X, out=dW1)

    return run


def step_and_update(net, X, y, lr=0.01):
    scratch = [[np.empty_like(p) for p in pair] for pair in net.params]

    def run():
        _, grads = net.loss_and_grads(X, y)
        for pair, g, t in zip(net.params, grads, scratch, strict=True):
            for p_k, g_k, t_k in zip(pair, g, t, strict=True):
                np.multiply(g_k, lr, out=t_k)
                p_k -= t_k

    return run


def torch_step(torch, net, X, y, threads):
    torch.set_num_threads(threads)
    ps = [
        (torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
        for W, b in net.params
    ]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    F = torch.nn.functional

    def run():
        for W, b in ps:
            W.grad = None
            b.grad = None
        a = Xt
        for i, (W, b) in enumerate(ps):
            a = torch.addmm(b, a, W.t())
            if i < len(ps) - 1:
                a = torch.relu(a)
        F.cross_entropy(a, yt).backward()

    return run


def main():
    print(machine())
    torch = try_torch()
    threads = blas_threads()
    print(
        f"MLP {'-'.join(map(str, SIZES))}, ReLU, softmax cross-entropy, batch {BATCH}"
    )
    if torch is None:
        print("PyTorch: not importable, skipped")
    else:
        print(f"PyTorch {torch.__version__}, torch.set_num_threads({threads})")
    print()
    header = (
        f"{'dtype':<9}{'contender':<22}{'ms/step':>10}{'vs floor':>10}{'vs torch':>10}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for dtype in (np.float64, np.float32):
        net, X, y = problem(dtype)
        cont = {
            "matmul floor": floor(net, X),
            "bplib step": lambda net=net, X=X, y=y: net.loss_and_grads(X, y),
            "bplib step + update": step_and_update(net, X, y),
        }
        if torch is not None:
            cont["torch eager step"] = torch_step(torch, net, X, y, threads)
        t = in_rounds(cont, calls=10, rounds=9)
        name = np.dtype(dtype).name
        for c, sec in t.items():
            vs_t = (
                f"{sec / t['torch eager step']:>10.3f}"
                if torch is not None
                else f"{'-':>10}"
            )
            vs_f = sec / t["matmul floor"]
            print(f"{name:<9}{c:<22}{1e3 * sec:>10.2f}{vs_f:>10.3f}{vs_t}")
        r = t["bplib step"] / t["matmul floor"]
        verdicts.append(
            f"{name}: bplib / floor = {r:.3f} (target <= {TARGET_FLOOR[dtype]:.2f}): "
            f"{'met' if r <= TARGET_FLOOR[dtype] else 'MISSED'}"
        )
        if torch is not None:
            rt = t["bplib step"] / t["torch eager step"]
            verdicts.append(
                f"{name}: bplib / torch = {rt:.3f} (target <= 0.90): "
                f"{'met' if rt <= 0.90 else 'MISSED'}"
            )
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
