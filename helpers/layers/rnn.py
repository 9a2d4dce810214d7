"""The vanilla RNN of notebook 03, vectorised over the batch, for notebook 04 onwards.

``h_t = tanh(x_t Wx + h_{t-1} Wh + b)`` with x ``(N, T, D)``, Wx ``(D, H)``,
Wh ``(H, H)``, b ``(H,)``. Notebook 03 asks for these functions as exercises;
later notebooks use them from here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward"]


def _check(x, h_prev, Wx, Wh, b) -> None:
    N, D = x.shape
    H = Wh.shape[0]
    if h_prev.shape != (N, H) or Wx.shape != (D, H) or Wh.shape != (H, H) or b.shape != (H,):
        raise ValueError(f"expected h_prev (N, H), Wx (D, H), Wh (H, H), b (H,) with N={N}, "
                         f"D={D}, H={H}; got {h_prev.shape}, {Wx.shape}, {Wh.shape}, {b.shape}")


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One step for a batch: x ``(N, D)``, h_prev ``(N, H)`` -> h_next ``(N, H)``, cache."""
    _check(x, h_prev, Wx, Wh, b)
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)


def rnn_step_backward(dh_next, cache):
    """Gradients ``(dx, dh_prev, dWx, dWh, db)`` of one step, from ``dh_next`` ``(N, H)``."""
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1.0 - h_next ** 2)      # (N, H), through tanh
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    """A whole sequence: x ``(N, T, D)``, h0 ``(N, H)`` -> h ``(N, T, H)``, cache."""
    if x.ndim != 3:
        raise ValueError(f"expected x of shape (N, T, D), got {x.shape}")
    N, T, _ = x.shape
    h = np.empty((N, T, Wh.shape[0]))
    prev = h0
    for t in range(T):
        prev, _ = rnn_step_forward(x[:, t], prev, Wx, Wh, b)
        h[:, t] = prev
    return h, (x, h0, Wx, Wh, h)


def rnn_backward(dh, cache):
    """Backpropagation through time: ``dh`` ``(N, T, H)`` is the upstream gradient of every state.

    Returns ``(dx, dh0, dWx, dWh, db)``; the weights' gradients sum over the steps.
    """
    x, h0, Wx, Wh, h = cache
    N, T, _ = x.shape
    dx = np.empty_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    carry = np.zeros_like(h0)               # gradient reaching h_t from step t + 1
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        step = (x[:, t], h_prev, Wx, Wh, h[:, t])
        dx[:, t], carry, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + carry, step)
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, carry, dWx, dWh, db
