"""Benchmark 1: one training step of an MLP 784-512-512-10 (ReLU, softmax
cross-entropy, batch 256), float64 and float32.

A step is the forward and the backward pass with every gradient
(``MLP.loss_and_grads``). Contenders, all measured in the same process:

* the matmul floor: the eight matrix products a step must do (three forward,
  five backward: no gradient for the input), into preallocated outputs;
* a numpy step written out by hand, every buffer preallocated (what numpy can
  do at best), and the same step allocating its arrays on every call;
* bplib: ``loss_and_grads(X, y)`` (fresh gradient arrays, as callers get by
  default), ``loss_and_grads(X, y, out=grads)`` (into arrays the caller owns,
  as ``train`` does), and ``loss(X, y)`` (the forward pass alone);
* PyTorch eager on the CPU, same model, data, dtype and threads, if ``torch``
  is importable (it is never a dependency of bplib).

Targets: the ``out=`` step within 1.10x of the floor in float64 and float32;
(forward + backward) / forward <= 2.6; bplib <= 0.85x PyTorch eager. Timing is
in rounds (see _timing.py). Set OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS for
torch) to fix the threads.

    .venv/bin/python benchmarks/bench_step.py
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
TARGET_FLOOR = 1.10
TARGET_BACKWARD = 2.6
TARGET_TORCH = 0.85


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


def numpy_step(net, X, y, prealloc):
    """The same step in plain numpy: ReLU layers, softmax cross-entropy."""
    (W1, b1), (W2, b2), (W3, b3) = net.params
    N, dt = len(X), X.dtype
    Y = np.zeros((N, W3.shape[0]), dt)
    Y[np.arange(N), y] = 1
    shapes = [(N, 512), (N, 512), (N, 10), (N, 512), (N, 512)]
    bufs = [np.empty(s, dt) for s in shapes] if prealloc else [None] * 5
    grads = [(np.empty_like(W), np.empty_like(b)) for W, b in net.params]
    if not prealloc:
        grads = [(None, None)] * 3

    def run():
        Z1, Z2, Z3, D2, D1 = bufs
        A1 = np.matmul(X, W1.T, out=Z1)
        A1 += b1
        np.maximum(A1, 0, out=A1)
        A2 = np.matmul(A1, W2.T, out=Z2)
        A2 += b2
        np.maximum(A2, 0, out=A2)
        Z3 = np.matmul(A2, W3.T, out=Z3)
        Z3 += b3
        Z3 -= Z3.max(axis=1, keepdims=True)
        np.exp(Z3, out=Z3)
        Z3 /= Z3.sum(axis=1, keepdims=True)
        Z3 -= Y
        Z3 /= N
        (gW1, gb1), (gW2, gb2), (gW3, gb3) = grads
        gW3 = np.matmul(Z3.T, A2, out=gW3)
        gb3 = np.sum(Z3, axis=0, out=gb3)
        D2 = np.matmul(Z3, W3, out=D2)
        D2 *= A2 > 0
        gW2 = np.matmul(D2.T, A1, out=gW2)
        gb2 = np.sum(D2, axis=0, out=gb2)
        D1 = np.matmul(D2, W2, out=D1)
        D1 *= A1 > 0
        gW1 = np.matmul(D1.T, X, out=gW1)
        gb1 = np.sum(D1, axis=0, out=gb1)

    return run


def bplib_out(net, X, y):
    grads = [(np.empty_like(W), np.empty_like(b)) for W, b in net.params]
    try:
        net.loss_and_grads(X, y, out=grads)
    except TypeError:  # a bplib without out=
        return None
    return lambda: net.loss_and_grads(X, y, out=grads)


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
        f"{'dtype':<9}{'contender':<26}{'ms/step':>10}{'vs floor':>10}{'vs torch':>10}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for dtype in (np.float64, np.float32):
        net, X, y = problem(dtype)
        cont = {
            "matmul floor": floor(net, X),
            "numpy step, preallocated": numpy_step(net, X, y, prealloc=True),
            "numpy step, allocating": numpy_step(net, X, y, prealloc=False),
            "bplib loss_and_grads": lambda net=net, X=X, y=y: net.loss_and_grads(X, y),
            "bplib forward (loss)": lambda net=net, X=X, y=y: net.loss(X, y),
        }
        with_out = bplib_out(net, X, y)
        if with_out is not None:
            cont["bplib loss_and_grads out="] = with_out
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
            print(f"{name:<9}{c:<26}{1e3 * sec:>10.2f}{vs_f:>10.3f}{vs_t}")
        best = t.get("bplib loss_and_grads out=", t["bplib loss_and_grads"])
        r = best / t["matmul floor"]
        verdicts.append(
            f"{name}: bplib step (out=) / floor = {r:.3f} (target <= "
            f"{TARGET_FLOOR:.2f}): {'met' if r <= TARGET_FLOOR else 'MISSED'}"
        )
        rb = best / t["bplib forward (loss)"]
        verdicts.append(
            f"{name}: (forward + backward) / forward = {rb:.2f} (target <= "
            f"{TARGET_BACKWARD}): {'met' if rb <= TARGET_BACKWARD else 'MISSED'}"
        )
        if torch is not None:
            rt = best / t["torch eager step"]
            verdicts.append(
                f"{name}: bplib / torch = {rt:.3f} (target <= {TARGET_TORCH}): "
                f"{'met' if rt <= TARGET_TORCH else 'MISSED'}"
            )
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
