"""bplib: backpropagation, derived and checked.

The numpy library exported from the bplib textbook. Every function here is
explained, derived and numerically checked in a chapter of the book; the
modules other than this one are generated from the chapters' notebooks by
``tools/export.py`` (edit the notebook, then ``make export``).

This file is hand-written: it is the public API.
"""

__version__ = "0.1.0"

__all__: list[str] = []
