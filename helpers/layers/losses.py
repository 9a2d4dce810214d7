"""Loss functions with their gradients, for the notebooks' training loops."""

from __future__ import annotations

import numpy as np

__all__ = ["softmax_cross_entropy", "mean_squared_error"]


def softmax_cross_entropy(scores: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of a softmax over the last axis, and its gradient.

    Parameters
    ----------
    scores : ndarray of shape (..., V)
        Unnormalised scores (logits).
    targets : ndarray of int, shape (...)
        The right class at every position, in ``0 .. V-1``.

    Returns
    -------
    loss : float
        Mean of ``-log softmax(scores)[target]`` over every position.
    dscores : ndarray of shape (..., V)
        Gradient of ``loss`` with respect to ``scores``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets)
    if scores.shape[:-1] != targets.shape:
        raise ValueError(f"expected targets of shape {scores.shape[:-1]}, got {targets.shape}")
    if targets.size and (targets.min() < 0 or targets.max() >= scores.shape[-1]):
        raise ValueError(f"targets must lie in 0..{scores.shape[-1] - 1}")
    shifted = scores - scores.max(axis=-1, keepdims=True)  # a stable softmax
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    dscores = np.exp(log_p)
    np.put_along_axis(dscores, targets[..., None],
                      np.take_along_axis(dscores, targets[..., None], axis=-1) - 1.0, axis=-1)
    return float(-picked.mean()), dscores / max(targets.size, 1)


def mean_squared_error(prediction: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """``mean((prediction - target) ** 2)`` and its gradient with respect to ``prediction``."""
    prediction = np.asarray(prediction, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if prediction.shape != target.shape:
        raise ValueError(f"prediction has shape {prediction.shape}, target {target.shape}")
    diff = prediction - target
    return float(np.mean(diff ** 2)), 2.0 * diff / max(diff.size, 1)
