"""Optimisers for the notebooks' training loops: gradient clipping and Adam.

The notebooks that train models (03 onwards) use these instead of writing
them again. ``clip_grad_norm`` is the answer to notebook 02's exercise, handed
on to later notebooks as a tested building block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["clip_grad_norm", "Adam"]


def clip_grad_norm(grads: Sequence[np.ndarray], max_norm: float
                   ) -> tuple[list[np.ndarray], float]:
    """Rescale gradients so that their global L2 norm is at most ``max_norm``.

    Parameters
    ----------
    grads : sequence of ndarray
        Gradients of any shapes; one norm is taken over all their entries.
    max_norm : float
        The largest norm allowed; must be positive.

    Returns
    -------
    clipped : list of ndarray
        New arrays (the input is never modified), scaled by
        ``max_norm / total_norm`` when ``total_norm > max_norm``.
    total_norm : float
        The global norm before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    total_norm = float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads)))
    scale = max_norm / total_norm if total_norm > max_norm else 1.0
    return [np.array(g, dtype=np.float64) * scale for g in grads], total_norm


class Adam:
    """Adam (Kingma and Ba, 2015) over a dict or a list of parameter arrays, updated in place.

    Parameters
    ----------
    params : dict of str to ndarray, or list of ndarray
        The arrays to train; :meth:`step` changes them in place.
    lr : float
        Learning rate.
    beta1, beta2 : float
        Decay rates of the first and second moment estimates.
    eps : float
        Added to the square root of the second moment, against division by 0.

    Examples
    --------
    >>> w = {"w": np.array([3.0])}
    >>> opt = Adam(w, lr=0.1)
    >>> for _ in range(200):
    ...     opt.step({"w": 2 * w["w"]})     # gradient of w ** 2
    >>> abs(float(w["w"][0])) < 0.1
    True
    """

    def __init__(self, params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr}")
        self.keys = list(params) if isinstance(params, Mapping) else None
        self.params = [params[k] for k in self.keys] if self.keys is not None else list(params)
        for p in self.params:
            if not (isinstance(p, np.ndarray) and p.dtype == np.float64):
                raise TypeError("Adam trains float64 arrays in place; got "
                                f"{type(p).__name__} of dtype {getattr(p, 'dtype', None)}")
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]

    def _ordered(self, grads) -> list[np.ndarray]:
        if self.keys is None:
            grads = list(grads)
        else:
            missing = set(self.keys) - set(grads)
            if missing:
                raise ValueError(f"no gradient for {sorted(missing)}")
            grads = [grads[k] for k in self.keys]
        if len(grads) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients, got {len(grads)}")
        for p, g in zip(self.params, grads, strict=True):
            if np.shape(g) != p.shape:
                raise ValueError(f"a gradient of shape {np.shape(g)} for a parameter "
                                 f"of shape {p.shape}")
        return grads

    def step(self, grads) -> None:
        """One update with ``grads`` (same keys or order as the parameters)."""
        grads = self._ordered(grads)
        self.t += 1
        correct1 = 1 - self.beta1 ** self.t
        correct2 = 1 - self.beta2 ** self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * np.square(g)
            p -= self.lr * (m / correct1) / (np.sqrt(v / correct2) + self.eps)
