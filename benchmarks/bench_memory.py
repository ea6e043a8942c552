"""Benchmark 3: peak memory of a training step, relative to what it must hold.

Measured with tracemalloc (numpy reports its array allocations to it) over one
``loss_and_grads`` call and over one SGD step of ``bplib.train``, after the
network and the data exist. What a step must allocate: the gradients (one
array per parameter array) and the forward cache backward needs, the
pre-activations Z and activations A of layers 1..L (2·N·Σ n_ℓ numbers). The
ratio peak / required is reported; 1.0 would be perfect, temporaries push it up.

    python benchmarks/bench_memory.py
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _timing import machine

from bplib.mlp import MLP
from bplib.training import train

CASES = [([784, 512, 512, 10], 256), ([64, 64, 10], 32)]


def peak_of(f):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    f()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def main():
    print(machine())
    header = (
        f"{'network':<18}{'N':>5}{'dtype':>9}{'required':>11}"
        f"{'loss_and_grads':>16}{'ratio':>7}{'train step':>12}{'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for sizes, n in CASES:
        for dtype in (np.float64, np.float32):
            net = MLP(
                sizes,
                activation="relu",
                output="identity",
                loss="softmax_cross_entropy",
                seed=0,
                dtype=dtype,
            )
            rng = np.random.default_rng(0)
            X = rng.standard_normal((n, sizes[0])).astype(dtype)
            y = rng.integers(0, sizes[-1], n)
            item = np.dtype(dtype).itemsize
            grads = sum(W.size + b.size for W, b in net.params) * item
            cache = 2 * n * sum(sizes[1:]) * item
            required = grads + cache
            net.loss_and_grads(X, y)  # warm up (imports, caches)
            p1 = peak_of(lambda net=net, X=X, y=y: net.loss_and_grads(X, y))
            # One epoch of one batch: also holds the permuted copy of X and the
            # update's scratch arrays (one per parameter array).
            p2 = peak_of(
                lambda net=net, X=X, y=y, n=n: train(
                    net, X, y, lr=0.01, batch_size=n, epochs=1
                )
            )
            name = "-".join(map(str, sizes))
            print(
                f"{name:<18}{n:>5}{np.dtype(dtype).name:>9}{required / 2**20:>9.2f}MB"
                f"{p1 / 2**20:>14.2f}MB{p1 / required:>7.2f}"
                f"{p2 / 2**20:>10.2f}MB{p2 / required:>7.2f}"
            )


if __name__ == "__main__":
    main()
