"""Shared building blocks of the course's notebooks.

Modules: ``data`` (offline data sets), ``gradcheck`` (numerical gradients),
``grading`` (what test cells use to compare and explain), ``plots`` (shared
figures), ``widgets`` (figure functions and their ipywidgets wrappers) and
``runtime`` (the fast-mode switch used under the grader).
"""

__all__ = ["data", "gradcheck", "grading", "plots", "runtime", "widgets"]
