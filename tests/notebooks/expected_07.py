"""Stored values of notebook 07's visible tests (see ``expected_cases.py``).

Inputs come from the tests' seeds; expected values from the reference solution
``ns``; mistakes are what a named wrong answer gives on the same inputs, written
out here as the wrong variant of the computation (``zoo_07`` reuses the same
variants as its wrong answers).
"""

from __future__ import annotations

import numpy as np

from helpers import models

# --------------------------------------------------------------------------- variants


def tv_variant(x, *, power=2, directions="both", wrap=False, reduce="sum", axes=(-2, -1)):
    """Total variation with one switch per plausible mistake."""
    x = np.asarray(x, dtype=float)
    parts = []
    for axis, name in zip(axes, ("vertical", "horizontal"), strict=True):
        if directions not in ("both", name):
            continue
        d = (np.roll(x, -1, axis=axis) - x) if wrap else np.diff(x, axis=axis)
        parts.append(np.abs(d) ** power)
    total = sum(float(p.sum()) for p in parts)
    if reduce == "mean":
        return total / sum(p.size for p in parts)
    return total


def tv_grad_variant(x, *, sign=1.0, boundary=True, wrap=False, factor=2.0, directions="both"):
    """The gradient of total variation with one switch per plausible mistake."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for axis, name in ((-2, "vertical"), (-1, "horizontal")):
        if directions not in ("both", name):
            continue
        if wrap:      # differences across the border too: a periodic Laplacian
            g += factor * (2 * x - np.roll(x, 1, axis=axis) - np.roll(x, -1, axis=axis))
        elif not boundary:      # zero padding: the pixels outside count as neighbours
            pad = [(0, 0)] * x.ndim
            pad[axis] = (1, 1)
            p = np.pad(x, pad)
            n = x.shape[axis]
            before = np.take(p, np.arange(0, n), axis=axis)
            after = np.take(p, np.arange(2, n + 2), axis=axis)
            g += factor * (2 * x - before - after)
        else:
            d = np.diff(x, axis=axis)
            lead = [slice(None)] * x.ndim
            tail = [slice(None)] * x.ndim
            lead[axis], tail[axis] = slice(1, None), slice(None, -1)
            g[tuple(lead)] += factor * d
            g[tuple(tail)] -= factor * d
    return sign * g


def _objective_dlogits(model, x, target, objective):
    K = models.num_classes(model)
    one_hot = np.zeros((1, K))
    one_hot[0, target] = 1.0
    if objective == "logit":
        return one_hot
    z = models.logits(model, x[None])
    p = np.exp(z - z.max())
    p /= p.sum()
    if objective == "probability":
        return p[0, target] * (one_hot - p)
    if objective == "log-probability":
        return one_hot - p
    if objective == "loss":
        return p - one_hot
    if objective == "every logit":
        return np.ones((1, K))
    raise ValueError(objective)


def am_variant(model, target, steps=200, lr=0.1, l2=0.0, tv=0.0, jitter=0, seed=0, *,
               objective="logit", direction=1.0, penalty_sign=-1.0, l2_factor=2.0, tv_sign=1.0,
               undo=True, one_draw=True, high=1, axes=(-2, -1), penalties_at="shifted",
               start_scale=0.1, start="noise", batch=False):
    """activation_maximization with one switch per plausible mistake."""
    rng = np.random.default_rng(seed)
    shape = models.input_shape(model)
    x = start_scale * rng.standard_normal(shape) if start == "noise" else np.zeros(shape)
    for _ in range(steps):
        shift = (0, 0)
        if jitter > 0:
            if one_draw:
                shift = tuple(int(s) for s in rng.integers(-jitter, jitter + high, size=2))
            else:     # two draws give the same numbers as one draw of two: a right answer
                shift = (int(rng.integers(-jitter, jitter + high)),
                         int(rng.integers(-jitter, jitter + high)))
        shifted = np.roll(x, shift, axis=axes)
        at = shifted if penalties_at == "shifted" else x
        dlogits = _objective_dlogits(model, shifted, target, objective)
        grad = models.input_gradient(model, shifted[None], dlogits)[0]
        penalty = l2_factor * l2 * at + tv * tv_sign * tv_grad_variant(at)
        if penalties_at != "shifted":
            penalty = np.roll(penalty, shift, axis=axes)
        shifted = shifted + direction * lr * (grad + penalty_sign * penalty)
        x = np.roll(shifted, (-shift[0], -shift[1]), axis=axes) if undo else shifted
    return x[None] if batch else x


def saliency_variant(model, x, label, *, reduce="max", absolute="before", objective="logit",
                     channel=None):
    """saliency_map with one switch per plausible mistake."""
    x = np.asarray(x, dtype=float)
    dlogits = _objective_dlogits(model, x, label, objective)
    g = models.input_gradient(model, x[None], dlogits)[0]          # (C, H, W)
    if channel is not None:
        g = g[channel]
        return np.abs(g) if absolute == "before" else g
    if absolute == "before":
        g = np.abs(g)
    m = {"max": g.max(axis=0), "sum": g.sum(axis=0), "mean": g.mean(axis=0)}[reduce]
    return np.abs(m) if absolute == "after" else m


# --------------------------------------------------------------------------- cases

AM_MODEL = {"filters": 3, "classes": 4, "image_shape": (2, 6, 4), "seed": 70}
SALIENCY_MODEL = {"filters": 4, "classes": 3, "image_shape": (3, 4, 6), "seed": 72}


def _tv(ns) -> dict:
    rng = np.random.default_rng(71)
    x, images = rng.standard_normal((5, 4)), rng.standard_normal((3, 5, 4))
    return {"values": {"x": x, "images": images, "tv": ns["total_variation"](x),
                       "tv_images": ns["total_variation"](images)},
            "mistakes": {
                "tv": {"absolute instead of squared differences": tv_variant(x, power=1),
                       "only the vertical differences": tv_variant(x, directions="vertical"),
                       "only the horizontal differences": tv_variant(x, directions="horizontal"),
                       "the border wrapped around (np.roll)": tv_variant(x, wrap=True),
                       "the mean instead of the sum": tv_variant(x, reduce="mean")},
                "tv_images": {"differences along the channel axis (the first two axes)":
                              tv_variant(images, axes=(0, 1)),
                              "the border wrapped around (np.roll)": tv_variant(images, wrap=True),
                              "absolute instead of squared differences":
                                  tv_variant(images, power=1)}}}


def _tv_grad(ns) -> dict:
    dot = np.zeros((4, 4))
    dot[1, 2] = 1.0
    x = np.random.default_rng(72).standard_normal((4, 5))
    mistakes = {}
    for name, arg in (("d_dot", dot), ("dx", x)):
        mistakes[name] = {
            "a sign error (the gradient of minus the total variation)":
                tv_grad_variant(arg, sign=-1),
            "the border terms missing (zero padding invents neighbours)":
                tv_grad_variant(arg, boundary=False),
            "the border wrapped around (np.roll)": tv_grad_variant(arg, wrap=True),
            "the factor 2 of the square missing": tv_grad_variant(arg, factor=1.0),
            "only the vertical differences": tv_grad_variant(arg, directions="vertical")}
    # On the bright dot, away from the border, the border terms do not matter.
    del mistakes["d_dot"]["the border terms missing (zero padding invents neighbours)"]
    del mistakes["d_dot"]["the border wrapped around (np.roll)"]
    return {"values": {"dot": dot, "d_dot": ns["total_variation_grad"](dot), "x": x,
                       "dx": ns["total_variation_grad"](x)},
            "mistakes": mistakes}


def _am(ns) -> dict:
    model = models.init_cnn(**AM_MODEL)
    am = ns["activation_maximization"]
    run = {"target": 2, "steps": 30, "lr": 0.1, "seed": 5}
    return {"values": {"start": am(model, 2, steps=0, seed=5), "x": am(model, **run)},
            "mistakes": {
                "start": {"the start not scaled by 0.1":
                          am_variant(model, 2, steps=0, seed=5, start_scale=1.0),
                          "the start all zeros":
                          am_variant(model, 2, steps=0, seed=5, start="zeros")},
                "x": {"the softmax probability ascended instead of the logit":
                      am_variant(model, **run, objective="probability"),
                      "the log-probability (minus the loss) ascended instead of the logit":
                      am_variant(model, **run, objective="log-probability"),
                      "the loss ascended instead of the logit":
                      am_variant(model, **run, objective="loss"),
                      "gradient descent instead of ascent":
                      am_variant(model, **run, direction=-1.0),
                      "the sum of every logit ascended": am_variant(model, **run,
                                                                    objective="every logit")}}}


def _am_regularised(ns) -> dict:
    model = models.init_cnn(**AM_MODEL)
    am = ns["activation_maximization"]
    smooth = {"target": 1, "steps": 40, "l2": 0.1, "tv": 0.5, "seed": 6}
    jit = {"target": 1, "steps": 40, "l2": 0.05, "tv": 0.2, "jitter": 1, "seed": 6}
    return {"values": {"smooth": am(model, **smooth), "jittered": am(model, **jit)},
            "mistakes": {
                "smooth": {"the penalties' gradients added instead of subtracted":
                           am_variant(model, **smooth, penalty_sign=1.0),
                           "the L2 penalty's gradient without its factor 2":
                           am_variant(model, **smooth, l2_factor=1.0),
                           "the total variation's gradient with the wrong sign":
                           am_variant(model, **smooth, tv_sign=-1.0)},
                "jittered": {"the jitter not undone after the step":
                             am_variant(model, **jit, undo=False),
                             "shifts drawn up to jitter - 1 (the upper bound of integers is "
                             "excluded)": am_variant(model, **jit, high=0),
                             "the channel axis shifted (the first two axes rolled)":
                             am_variant(model, **jit, axes=(0, 1)),
                             "the penalties taken at the unshifted image":
                             am_variant(model, **jit, penalties_at="unshifted")}}}


def _saliency(ns) -> dict:
    model = models.init_cnn(**SALIENCY_MODEL)
    x = np.random.default_rng(73).random((3, 4, 6))
    return {"values": {"x": x, "saliency": ns["saliency_map"](model, x, 1)},
            "mistakes": {"saliency": {
                "summed over the channels instead of the maximum": saliency_variant(model, x, 1,
                                                                                    reduce="sum"),
                "averaged over the channels instead of the maximum":
                    saliency_variant(model, x, 1, reduce="mean"),
                "without the absolute value (the signed gradient's maximum)":
                    saliency_variant(model, x, 1, absolute="none"),
                "the absolute value taken after the maximum":
                    saliency_variant(model, x, 1, absolute="after"),
                "only the first channel": saliency_variant(model, x, 1, channel=0),
                "the gradient of the softmax probability instead of the logit":
                    saliency_variant(model, x, 1, objective="probability")}}}


def _saliency_linear(ns) -> dict:
    rng = np.random.default_rng(74)
    w = rng.standard_normal((2 * 3 * 5, 4))
    linear = models.linear_model(w, np.zeros(4), (2, 3, 5))
    x1, x2 = rng.random((2, 3, 5)), rng.random((2, 3, 5))
    return {"values": {"w": w, "x1": x1, "x2": x2, "saliency": ns["saliency_map"](linear, x1, 3)},
            "mistakes": {"saliency": {
                "summed over the channels instead of the maximum":
                    saliency_variant(linear, x1, 3, reduce="sum"),
                "without the absolute value (the signed gradient's maximum)":
                    saliency_variant(linear, x1, 3, absolute="none")}}}


def cases(ns) -> dict:
    return {"test_total_variation_2": _tv(ns),
            "test_total_variation_grad_2": _tv_grad(ns),
            "test_activation_maximization": _am(ns),
            "test_activation_maximization_2": _am_regularised(ns),
            "test_saliency_map": _saliency(ns),
            "test_saliency_map_2": _saliency_linear(ns)}
