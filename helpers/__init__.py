"""Shared building blocks of the course's notebooks.

Modules: ``data`` (offline data sets), ``gradcheck`` (numerical gradients),
``grading`` (what test cells use to call, compare and explain), ``expected``
(the stored values visible tests compare with), ``layers`` (building blocks a
later notebook receives from an earlier one), ``models`` (small trainable
classifiers, differentiable with respect to their input), ``optim`` (clipping
and Adam),
``plots`` (shared figures), ``widgets`` (figure functions and their ipywidgets
wrappers), ``text`` (words, vocabularies and corpora for embeddings) and ``runtime``
(the fast-mode switch used under the grader).
"""

__all__ = ["data", "expected", "gradcheck", "grading", "layers", "models", "optim", "plots",
           "runtime", "text", "widgets"]
