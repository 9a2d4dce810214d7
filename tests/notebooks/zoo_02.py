"""Wrong and right answers to notebook 02's exercises (ResNet gradient flow).

``WRONG[exercise][mistake]`` is an answer a student could plausibly write; the
exercise's graded tests must reject each one. ``RIGHT[exercise][style]`` is a
correct answer written differently from the reference solution; the graded
tests must accept each one. Each wrong answer differs from a right one by the
single mistake its name describes.

The backward variants read the reference forward pass's cache,
``(x, W1, W2, a, h)`` with ``a = x @ W1 + b1`` and ``h = relu(a)``, because the
zoo swaps one exercise at a time and the tests build the cache with the
notebook's ``residual_block_forward``.
"""

from __future__ import annotations

import math

import numpy as np

from .zoo_choices import choice_zoo

# --------------------------------------------------------------------------- forward


def _forward(activation=lambda a: np.maximum(a, 0.0), skip=True, b1=True, b2=True,
             b1_after=False, relu_after_sum=False, relu_on_branch=False, cache=True):
    """The reference forward pass with one switch per plausible mistake."""

    def residual_block_forward(x, W1, b1_, W2, b2_):
        a = x @ W1 + (b1_ if b1 and not b1_after else 0.0)
        h = activation(a) + (b1_ if b1_after else 0.0)
        branch = h @ W2 + (b2_ if b2 else 0.0)
        if relu_on_branch:
            branch = np.maximum(branch, 0.0)
        out = x + branch if skip else branch
        if relu_after_sum:
            out = np.maximum(out, 0.0)
        return (out, (x, W1, W2, a, h)) if cache else out

    return residual_block_forward


def _forward_in_place(x, W1, b1, W2, b2):
    a = x @ W1 + b1
    h = np.maximum(a, 0.0)
    out = x  # the same array as x ...
    out += h @ W2 + b2  # ... so this changes the caller's x
    return out, (x, W1, W2, a, h)


def _forward_second_layer_W1(x, W1, b1, W2, b2):
    a = x @ W1 + b1
    h = np.maximum(a, 0.0)
    return x + h @ W1 + b2, (x, W1, W2, a, h)  # W1 where W2 belongs


def _forward_W1_transposed(x, W1, b1, W2, b2):
    a = x @ W1.T + b1  # a transpose too many
    h = np.maximum(a, 0.0)
    return x + h @ W2 + b2, (x, W1, W2, a, h)


WRONG_FORWARD = {
    "the skip (+ x) is missing": _forward(skip=False),
    "a ReLU after the sum": _forward(relu_after_sum=True),
    "the ReLU is missing": _forward(activation=lambda a: a),
    "b1 is missing": _forward(b1=False),
    "b2 is missing": _forward(b2=False),
    "b1 added after the ReLU": _forward(b1_after=True),
    "tanh instead of ReLU": _forward(activation=np.tanh),
    "a ReLU on the branch's output too": _forward(relu_on_branch=True),
    "np.max(a, 0) (a maximum over the batch) instead of np.maximum": _forward(
        activation=lambda a: np.max(a, 0)),
    "out = x then out += ... changes x in place": _forward_in_place,
    "no cache returned": _forward(cache=False),
    "W1 and W2 swapped (crashes when D != H)": lambda x, W1, b1, W2, b2: _forward()(
        x, W2, b1, W1, b2),
    "returns (cache, out) in the wrong order": lambda x, W1, b1, W2, b2: _forward()(
        x, W1, b1, W2, b2)[::-1],
    "h @ W1 instead of h @ W2 (crashes when D != H)": _forward_second_layer_W1,
    "x @ W1.T, a transpose too many (crashes when D != H)": _forward_W1_transposed,
}


def _forward_einsum(x, W1, b1, W2, b2):
    a = np.einsum("nd,dh->nh", x, W1) + b1
    h = np.where(a > 0, a, 0.0)
    return x + np.einsum("nh,hd->nd", h, W2) + b2, {"x": x, "a": a, "h": h, "W1": W1, "W2": W2}


def _forward_rows(x, W1, b1, W2, b2):
    out = np.empty_like(x, dtype=float)
    for n in range(x.shape[0]):
        a = x[n] @ W1 + b1
        out[n] = x[n] + (a * (a > 0)) @ W2 + b2
    return out, (x, W1, b1, W2, b2)


def _forward_copy(x, W1, b1, W2, b2):
    out = x.copy()  # a copy, so += is safe here
    out += np.clip(x @ W1 + b1, 0.0, None) @ W2
    out += b2
    return out, [x, W1, b1, W2, b2]


RIGHT_FORWARD = {
    "einsum and np.where, cache as a dict": _forward_einsum,
    "one row at a time": _forward_rows,
    "in place on a copy of x, np.clip as the ReLU": _forward_copy,
}

# --------------------------------------------------------------------------- backward


def _backward(*, skip="dout", mask="a", db1_axis=0, db2_mode="sum", dW1_transposed=False,
              dW2_transposed=False, ones_upstream=False, db1_before_mask=False,
              in_place=False):
    """The reference backward pass with one switch per plausible mistake."""

    def residual_block_backward(dout, cache):
        x, W1, W2, a, h = cache
        upstream = np.ones_like(dout) if ones_upstream else dout
        if mask == "out":  # mask taken at the block's output (as if the ReLU came after W2)
            dh = (upstream * (x + h @ W2 > 0)) @ W2.T
            da = dh
        else:
            dh = upstream @ W2.T
            da = {"a": dh * (a > 0), "none": dh, "h": dh * h}[mask]
        dW2 = upstream.T @ h if dW2_transposed else h.T @ upstream
        db2 = {"sum": upstream.sum(axis=0), "mean": upstream.mean(axis=0),
               "none": upstream}[db2_mode]
        dW1 = da.T @ x if dW1_transposed else x.T @ da
        db1 = (dh if db1_before_mask else da)
        db1 = db1 if db1_axis is None else db1.sum(axis=db1_axis)
        branch = da @ W1.T
        if in_place:
            dx = upstream
            dx += branch  # changes the caller's dout
        else:
            dx = {"dout": upstream + branch, "none": branch, "one": 1.0 + branch}[skip]
        return dx, dW1, db1, dW2, db2

    return residual_block_backward


def _backward_no_T(dout, cache):
    x, W1, W2, a, h = cache
    da = (dout @ W2.T) * (a > 0)
    return dout + da @ W1, x.T @ da, da.sum(axis=0), h.T @ dout, dout.sum(axis=0)


def _backward_W2_not_transposed(dout, cache):
    x, W1, W2, a, h = cache
    da = (dout @ W2) * (a > 0)  # W2 is (H, D): needs its transpose here
    return dout + da @ W1.T, x.T @ da, da.sum(axis=0), h.T @ dout, dout.sum(axis=0)


def _backward_x_not_transposed(dout, cache):
    x, W1, W2, a, h = cache
    da = (dout @ W2.T) * (a > 0)
    return dout + da @ W1.T, x @ da, da.sum(axis=0), h.T @ dout, dout.sum(axis=0)


def _backward_h_not_transposed(dout, cache):
    x, W1, W2, a, h = cache
    da = (dout @ W2.T) * (a > 0)
    return dout + da @ W1.T, x.T @ da, da.sum(axis=0), h @ dout, dout.sum(axis=0)


def _backward_cache_order(dout, cache):
    x, W1, W2, h, a = cache  # a and h swapped: the mask still works, dW2 does not
    da = (dout @ W2.T) * (a > 0)
    return dout + da @ W1.T, x.T @ da, da.sum(axis=0), h.T @ dout, dout.sum(axis=0)


WRONG_BACKWARD = {
    "the skip's dout is missing from dx": _backward(skip="none"),
    "the skip passes 1 instead of dout": _backward(skip="one"),
    "the ReLU's mask taken at the output instead of at a": _backward(mask="out"),
    "the ReLU's mask is not applied": _backward(mask="none"),
    "multiplied by h instead of the mask (a > 0)": _backward(mask="h"),
    "db1 summed over axis 1": _backward(db1_axis=1),
    "db1 not summed": _backward(db1_axis=None),
    "db1 taken before the ReLU's mask": _backward(db1_before_mask=True),
    "db2 averaged instead of summed": _backward(db2_mode="mean"),
    "db2 not summed": _backward(db2_mode="none"),
    "dW1 transposed (da.T @ x)": _backward(dW1_transposed=True),
    "dW2 transposed (dout.T @ h)": _backward(dW2_transposed=True),
    "the upstream gradient forgotten (ones instead of dout)": _backward(ones_upstream=True),
    "dx = dout then dx += ... changes dout in place": _backward(in_place=True),
    "da @ W1 without the transpose (crashes when D != H)": lambda dout, cache: _backward_no_T(
        dout, cache),
    "only four gradients returned (db2 forgotten)": lambda dout, cache: _backward()(
        dout, cache)[:4],
    "dout @ W2 without the transpose (crashes when D != H)": _backward_W2_not_transposed,
    "x @ da without x's transpose (crashes when N != D)": _backward_x_not_transposed,
    "h @ dout without h's transpose (crashes when N != H)": _backward_h_not_transposed,
    "a and h swapped when unpacking the cache": _backward_cache_order,
}


def _backward_einsum(dout, cache):
    x, W1, W2, a, h = cache
    da = np.einsum("nd,hd->nh", dout, W2) * np.heaviside(a, 0.0)
    return (dout + np.einsum("nh,dh->nd", da, W1), np.einsum("nd,nh->dh", x, da),
            np.add.reduce(da, axis=0), np.einsum("nh,nd->hd", h, dout), np.add.reduce(dout))


def _backward_outer_products(dout, cache):
    x, W1, W2, a, h = cache
    dx = np.zeros_like(x)
    dW1, db1 = np.zeros_like(W1), np.zeros(W1.shape[1])
    dW2, db2 = np.zeros_like(W2), np.zeros(W2.shape[1])
    for n in range(x.shape[0]):
        dW2 += np.outer(h[n], dout[n])
        db2 += dout[n]
        da = (W2 @ dout[n]) * (h[n] > 0)
        dW1 += np.outer(x[n], da)
        db1 += da
        dx[n] = dout[n] + W1 @ da
    return dx, dW1, db1, dW2, db2


def _backward_copy_then_add(dout, cache):
    x, W1, W2, a, h = cache
    dh = dout.dot(W2.T)
    dh[a <= 0] = 0.0  # dh is a new array: masking it in place is safe
    dx = dout.copy()
    dx += dh.dot(W1.T)
    return dx, x.T.dot(dh), dh.sum(0), h.T.dot(dout), dout.sum(0)


def _backward_mask_from_h(dout, cache):
    x, W1, W2, a, h = cache
    da = (dout @ W2.T) * (h > 0)  # h > 0 exactly where a > 0
    return dout + da @ W1.T, x.T @ da, da.sum(axis=0), h.T @ dout, dout.sum(axis=0)


RIGHT_BACKWARD = {
    "einsum, np.heaviside and np.add.reduce": _backward_einsum,
    "the ReLU's mask from h > 0 (the same units as a > 0)": _backward_mask_from_h,
    "a loop of outer products over the batch": _backward_outer_products,
    "masking a new array in place, dx built on a copy of dout": _backward_copy_then_add,
}

# --------------------------------------------------------------------------- clipping


def _l2(grads):
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads))


def _clip(norm=_l2, *, per_array=False, always=False, in_place=False, report_after=False,
          copy_when_small=True, value_clip=False, inverted=False, zero_safe=True):
    """The reference clipping with one switch per plausible mistake."""

    def clip_grad_norm(grads, max_norm):
        total = norm(grads)
        if per_array:
            clipped = [g * (max_norm / norm([g]) if norm([g]) > max_norm else 1.0)
                       for g in grads]
            return clipped, total
        if value_clip:
            return [np.clip(g, -max_norm, max_norm) for g in grads], total
        if zero_safe:
            needed = always or total > max_norm
            scale = max_norm / total if needed else 1.0
        else:
            scale = min(1.0, max_norm / total)  # a Python float: ZeroDivisionError at 0
        if inverted and scale != 1.0:
            scale = 1.0 / scale
        if in_place:
            for g in grads:
                g *= scale
            clipped = grads
        elif scale == 1.0 and not copy_when_small:
            clipped = list(grads)  # the very same arrays
        else:
            clipped = [g * scale for g in grads]
        return clipped, (norm(clipped) if report_after else total)

    return clip_grad_norm


WRONG_CLIP = {
    "each array clipped by its own norm": _clip(per_array=True),
    "rescaled to max_norm even when the norm is below it": _clip(always=True),
    "the input arrays modified in place (g *= scale)": _clip(in_place=True),
    "the norm reported after clipping": _clip(report_after=True),
    "the largest entry (max norm) instead of the L2 norm": _clip(
        lambda grads: max(float(np.abs(g).max()) for g in grads)),
    "entries summed before squaring": _clip(
        lambda grads: math.sqrt(sum(float(np.sum(g)) ** 2 for g in grads))),
    "the square root is missing": _clip(lambda grads: sum(float(np.sum(g ** 2)) for g in grads)),
    "the L1 norm": _clip(lambda grads: sum(float(np.abs(g).sum()) for g in grads)),
    "the sum of the arrays' norms": _clip(
        lambda grads: sum(float(np.linalg.norm(g)) for g in grads)),
    "np.concatenate(grads) without flattening": _clip(
        lambda grads: float(np.linalg.norm(np.concatenate(grads)))),
    "the input arrays returned when nothing is clipped": _clip(copy_when_small=False),
    "each entry clipped to [-max_norm, max_norm]": _clip(value_clip=True),
    "the factor inverted (total_norm / max_norm)": _clip(inverted=True),
    "min(1, max_norm / total_norm) divides by zero": _clip(zero_safe=False),
    "np.linalg.norm of the list itself (crashes on mixed shapes)": _clip(
        lambda grads: float(np.linalg.norm(grads))),
}


def _clip_concatenate(grads, max_norm):
    total = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads])))
    if total <= max_norm:
        return [g.copy() for g in grads], total
    return [g * (max_norm / total) for g in grads], total


def _clip_torch_style(grads, max_norm):
    total = np.sqrt(np.sum([np.sum(np.square(g)) for g in grads]))
    coefficient = max_norm / (total + 1e-6)  # PyTorch's clip_grad_norm_ formula
    return [g * min(coefficient, 1.0) for g in grads], total


def _clip_loop(grads, max_norm):
    squares = 0.0
    for g in grads:
        for value in np.asarray(g).ravel():
            squares += float(value) ** 2
    total = math.sqrt(squares)
    factor = 1.0
    if total > max_norm:
        factor = max_norm / total
    return tuple(np.array(g, dtype=float) * factor for g in grads), total


RIGHT_CLIP = {
    "np.linalg.norm of the flattened arrays, copies when small": _clip_concatenate,
    "PyTorch's max_norm / (norm + 1e-6), capped at 1": _clip_torch_style,
    "a loop over every entry, a tuple of new arrays": _clip_loop,
}

# --------------------------------------------------------------------------- questions

ANSWERS = {"answer_q1": "c", "answer_q2": "b", "answer_q3": "d", "answer_q4": "a"}

WRONG_ANSWERS, RIGHT_ANSWERS = choice_zoo(ANSWERS)

WRONG = {
    "residual_block_forward": WRONG_FORWARD,
    "residual_block_backward": WRONG_BACKWARD,
    "clip_grad_norm": WRONG_CLIP,
} | WRONG_ANSWERS

RIGHT = {
    "residual_block_forward": RIGHT_FORWARD,
    "residual_block_backward": RIGHT_BACKWARD,
    "clip_grad_norm": RIGHT_CLIP,
} | RIGHT_ANSWERS
