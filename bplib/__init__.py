"""bplib: backpropagation, derived and checked.

The numpy library exported from the bplib textbook. Every function here is
explained, derived and numerically checked in a chapter of the book; the
modules other than this one are generated from the chapters' notebooks by
``tools/export.py`` (edit the notebook, then ``make export``).

This file is hand-written: it is the public API.
"""

__version__ = "0.1.0"

__all__: list[str] = []

# Chapter 1: activations, the squared loss, the MLP, the gradient checker.
from bplib import activations, losses
from bplib.activations import Activation, get_activation, identity, relu, sigmoid, tanh
from bplib.gradcheck import GradcheckReport, gradcheck, relative_error
from bplib.losses import Loss, get_loss
from bplib.mlp import MLP

__all__ += [
    "MLP",
    "gradcheck",
    "GradcheckReport",
    "relative_error",
    "Activation",
    "get_activation",
    "sigmoid",
    "tanh",
    "relu",
    "identity",
    "Loss",
    "get_loss",
    "activations",
    "losses",
]

# Chapter 2: the two-layer scalar network, its eight partials, operation counts.
from bplib import scalar_net

__all__ += ["scalar_net"]

# Chapters 3 and 4: softmax / binary cross-entropy from logits, the L2 penalty,
# class and probability targets; the bundled digits data set.
from bplib import datasets
from bplib.datasets import load_digits
from bplib.losses import (
    binary_cross_entropy,
    binary_cross_entropy_delta,
    class_targets,
    l2_penalty,
    log_softmax,
    logsumexp,
    probability_targets,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_delta,
    softplus,
)

__all__ += [
    "softmax",
    "log_softmax",
    "logsumexp",
    "softmax_cross_entropy",
    "softmax_cross_entropy_delta",
    "class_targets",
    "l2_penalty",
    "softplus",
    "binary_cross_entropy",
    "binary_cross_entropy_delta",
    "probability_targets",
    "datasets",
    "load_digits",
]

# Chapter 5: fast dropout (the Gaussian surrogate) and Monte Carlo dropout.
from bplib.fast_dropout import (
    FastDropoutMLP,
    dropout_moments,
    gaussian_sigmoid_mean,
    mc_dropout_forward,
    mc_dropout_loss_and_grads,
)

__all__ += [
    "FastDropoutMLP",
    "dropout_moments",
    "gaussian_sigmoid_mean",
    "mc_dropout_forward",
    "mc_dropout_loss_and_grads",
]

# Chapter 6: minibatch SGD. The name bplib.train is the function (the module
# stays importable as `from bplib.train import ...`).
from bplib.train import History, accuracy, minibatch_indices, train

__all__ += ["train", "History", "minibatch_indices", "accuracy"]
