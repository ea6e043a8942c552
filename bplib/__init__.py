"""bplib: backpropagation, derived and checked.

The numpy library exported from the bplib textbook. Every function here is
explained, derived and numerically checked in a chapter of the book; the
modules other than this one are generated from the chapters' notebooks by
``tools/export.py`` (edit the notebook, then ``make export``).

This file is hand-written: it is the public API. Each name is imported once
below; ``__all__`` is made from what was imported.
"""

from types import ModuleType as _ModuleType

__version__ = "0.1.0"

# Chapter 1: activations, the squared loss, the MLP, the gradient checker.
from bplib.activations import Activation, get_activation, identity, relu, sigmoid, tanh

# Chapter 3: the bundled digits data set.
from bplib.datasets import load_digits

# Chapter 5: fast dropout (the Gaussian surrogate) and Monte Carlo dropout.
from bplib.fast_dropout import (
    FastDropoutMLP,
    dropout_moments,
    gaussian_sigmoid_mean,
    mc_dropout_forward,
    mc_dropout_loss_and_grads,
)
from bplib.gradient_check import GradcheckReport, gradcheck, relative_error

# Chapters 1, 3 and 4: the losses, softmax, the L2 penalty.
from bplib.losses import (
    Loss,
    binary_cross_entropy,
    binary_cross_entropy_delta,
    get_loss,
    l2_penalty,
    log_softmax,
    logsumexp,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_delta,
    softplus,
)
from bplib.mlp import MLP

# Chapter 6: minibatch SGD.
from bplib.training import History, accuracy, minibatch_indices, train

# The appendix "Inside bplib": target checks that turn labels into one-hot rows.
from bplib.validation import class_targets, probability_targets

# Public: everything imported above except modules (bplib.losses, bplib.mlp, ...
# stay importable as modules, but are not re-exported names).
__all__ = sorted(
    name
    for name, value in globals().items()
    if not name.startswith("_") and not isinstance(value, _ModuleType)
)
