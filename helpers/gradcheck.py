"""Numerical gradients, the trusted reference every backward pass is checked against.

``numerical_gradient`` differentiates any function of one array by central
differences; ``relative_error`` compares it with an analytic gradient the way
the course prints and asserts it (float64 layers should reach below 1e-7).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "check_gradient"]


def numerical_gradient(f: Callable[[np.ndarray], object], x: np.ndarray, dout=None,
                       h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to a scalar or an array.
    x : ndarray of float64
        Where to differentiate. It is perturbed in place one entry at a time and
        restored exactly afterwards.
    dout : array_like, optional
        Upstream gradient, shaped like ``f(x)``; default all ones (so a scalar
        ``f`` gives its plain gradient).
    h : float
        Step of the central difference; the error is O(h^2).

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> np.round(numerical_gradient(lambda v: (v ** 2).sum(), x), 6)
    array([2., 4.])
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError(f"expected x as a float64 ndarray, got {type(x).__name__} "
                        f"of dtype {getattr(x, 'dtype', None)}")
    if h <= 0:
        raise ValueError(f"step h must be positive, got {h}")
    grad = np.zeros_like(x)
    weights = None if dout is None else np.asarray(dout, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        saved = x[i]
        x[i] = saved + h
        plus = np.asarray(f(x), dtype=np.float64)
        x[i] = saved - h
        minus = np.asarray(f(x), dtype=np.float64)
        x[i] = saved
        if weights is None:
            grad[i] = (plus.sum() - minus.sum()) / (2 * h)
        else:
            grad[i] = ((plus - minus) * weights).sum() / (2 * h)
    return grad


def relative_error(a, b, eps: float = 1e-12) -> float:
    """``||a - b|| / (||a|| + ||b||)`` over all entries; 0 when both are 0.

    Scale-free, so one threshold fits large and small gradients, and measured
    over the whole array so an entry whose true gradient is 0 (where central
    differences leave ~1e-10) does not count as a 100% error.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / max(scale, eps))


def check_gradient(f: Callable, x: np.ndarray, analytic, dout=None, threshold: float = 1e-7,
                   name: str = "gradient", verbose: bool = True, hint: str = "") -> float:
    """Compare an analytic gradient with :func:`numerical_gradient`; print and check.

    ``analytic`` is converted to a plain float array first (as
    :mod:`helpers.grading` does with every student value). Returns the relative
    error; raises :class:`helpers.grading.GradingError` (an ``AssertionError``)
    when it is not below ``threshold``, saying by how much and where the two
    gradients differ most, followed by ``hint``.
    """
    from .grading import GradingError, to_float_array

    analytic = to_float_array(analytic, name)
    numeric = numerical_gradient(f, x, dout)
    if analytic.shape != numeric.shape:
        raise GradingError(f"{name} has shape {analytic.shape}, but the gradient it "
                           f"stands for has shape {numeric.shape}." + (f" {hint}" if hint else ""))
    error = relative_error(analytic, numeric)
    passed = bool(error < threshold)
    if verbose:
        verdict = "ok" if passed else "TOO LARGE"
        print(f"{name}: relative error {error:.2e} (threshold {threshold:.0e}) {verdict}")
    if not passed:
        worst = np.unravel_index(int(np.argmax(np.abs(analytic - numeric))), numeric.shape)
        where = "".join(f"[{int(i)}]" for i in worst)
        raise GradingError(
            f"{name} does not match the numerical gradient of the forward pass: relative "
            f"error {error:.2e}, above {threshold:.0e}. The largest difference is at "
            f"{name}{where}: expected {numeric[worst]:.6g}, got {analytic[worst]:.6g}."
            + (f" {hint}" if hint else ""))
    return error
