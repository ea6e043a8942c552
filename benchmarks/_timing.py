"""Shared helpers of the benchmark scripts: timing in rounds, machine description.

Not a benchmark itself (``make bench`` runs it and it prints one line).
"""

from __future__ import annotations

import datetime
import os
import platform
import time
from collections.abc import Callable

import numpy as np


def blas_threads() -> int:
    """Threads numpy's BLAS uses (threadpoolctl if installed, else env, else cores)."""
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            if info.get("user_api") == "blas":
                return int(info["num_threads"])
    except ImportError:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            return int(os.environ[var])
    return os.cpu_count() or 1


def machine() -> str:
    """One paragraph: date, CPU count, Python, numpy and its BLAS."""
    blas = "unknown BLAS"
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.2f}"
    return (
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {cpu}, "
        f"nproc {os.cpu_count()}{load}; Python {platform.python_version()}, "
        f"numpy {np.__version__} with {blas}, {blas_threads()} BLAS threads"
    )


def in_rounds(
    contenders: dict[str, Callable[[], object]],
    calls: int | dict[str, int],
    rounds: int = 7,
    warmup: int = 2,
) -> dict[str, float]:
    """Best over `rounds` of the mean seconds per call of each contender.

    Each round runs `calls` consecutive calls of one contender, then of the
    next; the order is rotated from round to round, so slow drifts of the
    machine (frequency, other load) spread over all contenders instead of
    favouring whichever happened to run first. The best round is reported:
    other processes can only add time, never remove it.
    """
    names = list(contenders)
    per = {n: (calls[n] if isinstance(calls, dict) else calls) for n in names}
    for n in names:
        for _ in range(warmup):
            contenders[n]()
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for n in order:
            f, k = contenders[n], per[n]
            t0 = time.perf_counter()
            for _ in range(k):
                f()
            samples[n].append((time.perf_counter() - t0) / k)
    return {n: min(v) for n, v in samples.items()}


def try_torch():
    """The torch module, or None (the project never depends on it)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


if __name__ == "__main__":
    print("helper module of the benchmarks; nothing to measure")
