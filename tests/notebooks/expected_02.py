"""Stored values of notebook 02's visible tests (see ``expected_cases.py``).

``cases(ns)`` computes each test's inputs from a seed and its expected values
with the reference solution ``ns``; mistakes are the values a named wrong
answer gives on the same inputs.
"""

from __future__ import annotations

import numpy as np


def cases(ns) -> dict:
    rng = np.random.default_rng(1)
    N, D, H = 3, 4, 2
    x = rng.standard_normal((N, D))
    W1, b1 = rng.standard_normal((D, H)), rng.standard_normal(H)
    W2, b2 = rng.standard_normal((H, D)), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    forward, backward = ns["residual_block_forward"], ns["residual_block_backward"]
    _, cache = forward(x, W1, b1, np.zeros((H, D)), b2)
    db2 = backward(dout, cache)[4]
    _, cache = forward(x, W1, np.full(H, -100.0), W2, b2)
    db1 = backward(dout, cache)[2]
    return {
        "test_residual_block_backward_2": {
            "values": {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "dout": dout,
                       "db2": db2, "db1": db1},
            "mistakes": {
                "db2": {"db2 not summed over the batch": dout,
                        "db2 summed over the features (axis 1) instead of the batch":
                            dout.sum(axis=1),
                        "db2 averaged instead of summed": dout.mean(axis=0)},
                "db1": {"the ReLU's mask is not applied": (dout @ W2.T).sum(axis=0)},
            },
        },
    }
