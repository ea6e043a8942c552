"""Benchmark 2: the book's small networks (digits-sized: 64-64-10, batch 32).

* Steps per second of a training loop (shuffle, slice a batch, forward,
  backward, SGD update): ``bplib.train`` vs the same loop in PyTorch eager
  (if importable), equal dtype (float64) and threads. Target: bplib >= 2x.
* A full 50-epoch training on the bundled digits (1347 training images),
  ``bplib.train`` vs scikit-learn's ``MLPClassifier`` at the same
  configuration (64 ReLU units, SGD without momentum, lr 0.1, batch 32,
  penalty λ = 1e-3, i.e. sklearn alpha = λ·32), with test accuracy. Target:
  bplib's time <= 0.6x of MLPClassifier's.

Timing is in rounds (see _timing.py).

    python benchmarks/bench_small.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _timing import blas_threads, in_rounds, machine, try_torch

from bplib.mlp import MLP
from bplib.training import accuracy, train

SIZES = [64, 64, 10]
BATCH, LR, LAM, EPOCHS = 32, 0.1, 1e-3, 50
N_LOOP, LOOP_EPOCHS = 32 * 50, 4  # 200 steps per timed call


def make_net(seed=0):
    return MLP(
        SIZES,
        activation="relu",
        output="identity",
        loss="softmax_cross_entropy",
        l2=LAM,
        seed=seed,
    )


def torch_loop(torch, net, X, y, threads):
    torch.set_num_threads(threads)
    ps = [
        (torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
        for W, b in net.params
    ]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    F = torch.nn.functional
    gen = torch.Generator().manual_seed(0)

    def run():
        for _ in range(LOOP_EPOCHS):
            perm = torch.randperm(len(Xt), generator=gen)
            Xp, yp = Xt[perm], yt[perm]
            for s in range(0, len(Xt), BATCH):
                a = Xp[s : s + BATCH]
                for i, (W, b) in enumerate(ps):
                    a = torch.addmm(b, a, W.t())
                    if i < len(ps) - 1:
                        a = torch.relu(a)
                loss = F.cross_entropy(a, yp[s : s + BATCH])
                loss = loss + 0.5 * LAM * sum((W * W).sum() for W, _ in ps)
                for W, b in ps:
                    W.grad = None
                    b.grad = None
                loss.backward()
                with torch.no_grad():
                    for W, b in ps:
                        W.add_(W.grad, alpha=-LR)
                        b.add_(b.grad, alpha=-LR)

    return run


def floor_loop(net, X):
    """The five matrix products of each step of the loop, into fixed arrays."""
    (W1, _), (W2, _) = net.params
    A1 = np.empty((BATCH, SIZES[1]))
    Z2 = np.empty((BATCH, SIZES[2]))
    D2 = np.ones((BATCH, SIZES[2])) / BATCH
    D1 = np.empty((BATCH, SIZES[1]))
    dW1, dW2 = np.empty_like(W1), np.empty_like(W2)
    batches = [X[s : s + BATCH] for s in range(0, len(X), BATCH)]

    def run():
        for _ in range(LOOP_EPOCHS):
            for Xb in batches:
                np.matmul(Xb, W1.T, out=A1)
                np.matmul(A1, W2.T, out=Z2)
                np.matmul(D2.T, A1, out=dW2)
                np.matmul(D2, W2, out=D1)
                np.matmul(D1.T, Xb, out=dW1)

    return run


def steps_per_second():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_LOOP, SIZES[0]))
    y = rng.integers(0, SIZES[-1], N_LOOP)
    torch = try_torch()
    net = make_net()
    cont = {
        "matmul floor": floor_loop(net, X),
        "bplib.train": lambda: train(
            net, X, y, lr=LR, batch_size=BATCH, epochs=LOOP_EPOCHS, seed=0
        ),
    }
    if torch is not None:
        cont["torch eager loop"] = torch_loop(torch, make_net(), X, y, blas_threads())
    t = in_rounds(cont, calls=1, rounds=7, warmup=1)
    steps = LOOP_EPOCHS * (N_LOOP // BATCH)
    print(f"Training loop, {'-'.join(map(str, SIZES))} ReLU, batch {BATCH}, float64:")
    for name, sec in t.items():
        print(
            f"  {name:<20}{steps / sec:>10.0f} steps/s{1e6 * sec / steps:>9.1f} us/step"
        )
    r = t["bplib.train"] / t["matmul floor"]
    verdicts = [
        f"train step / matmul floor = {r:.2f} (target <= 2.5): "
        + ("met" if r <= 2.5 else "MISSED")
    ]
    if torch is None:
        print("  PyTorch: not importable, skipped")
        return "\n".join(verdicts)
    ratio = t["torch eager loop"] / t["bplib.train"]
    verdicts.append(
        f"steps/s bplib / torch = {ratio:.2f} (target >= 2): "
        + ("met" if ratio >= 2 else "MISSED")
    )
    return "\n".join(verdicts)


def digits():
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        from bplib.datasets import load_digits
    except ImportError:
        print("Digits vs MLPClassifier: scikit-learn not importable, skipped")
        return None
    X_tr, X_te, y_tr, y_te = load_digits(test_size=0.25, seed=0)
    mu, sd = X_tr.mean(axis=0), X_tr.std(axis=0) + 1e-2
    Z_tr, Z_te = (X_tr - mu) / sd, (X_te - mu) / sd
    out = {}

    def run_bplib():
        net = make_net()
        train(net, Z_tr, y_tr, lr=LR, batch_size=BATCH, epochs=EPOCHS, seed=0)
        out["bplib"] = accuracy(net, Z_te, y_te)

    def run_sklearn():
        clf = MLPClassifier(
            hidden_layer_sizes=(SIZES[1],),
            activation="relu",
            solver="sgd",
            learning_rate="constant",
            learning_rate_init=LR,
            momentum=0.0,
            nesterovs_momentum=False,
            batch_size=BATCH,
            max_iter=EPOCHS,
            alpha=LAM * BATCH,
            shuffle=True,
            tol=0.0,
            n_iter_no_change=EPOCHS + 1,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(Z_tr, y_tr)
        out["MLPClassifier"] = clf.score(Z_te, y_te)

    t = in_rounds(
        {"bplib": run_bplib, "MLPClassifier": run_sklearn}, calls=1, rounds=5, warmup=1
    )
    print(f"Digits, {EPOCHS} epochs, {len(Z_tr)} training images, float64:")
    for name, sec in t.items():
        print(f"  {name:<20}{sec:>8.3f} s   test accuracy {100 * out[name]:.1f} %")
    ratio = t["bplib"] / t["MLPClassifier"]
    ok = ratio <= 0.5 and out["bplib"] >= 0.97
    return (
        f"time bplib / MLPClassifier = {ratio:.2f} (target <= 0.50, "
        f"with test accuracy >= 97 %: {100 * out['bplib']:.1f} %): "
        + ("met" if ok else "MISSED")
    )


def main():
    print(machine())
    verdicts = [steps_per_second(), digits()]
    print()
    print("\n".join(v for v in verdicts if v))


if __name__ == "__main__":
    main()
