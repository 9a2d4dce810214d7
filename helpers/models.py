"""Small image classifiers in numpy, differentiable with respect to their weights and their input.

Notebook 07 (activation maximization) looks inside a trained network by
taking gradients with respect to the *image*. This module gives it the
network: a small CNN trained on scikit-learn's 8x8 digits in a few seconds.

The model interface
-------------------
A model is a plain ``dict`` of numpy arrays, so it can be passed anywhere,
copied and stored (the grader passes it to a student's function as data).
Two kinds exist:

* a CNN (:func:`init_cnn`, :func:`train_cnn`): ``conv_w`` (F, C, 3, 3) and
  ``conv_b`` (F,) of a 3x3 convolution with padding 1, then ReLU, then 2x2 max
  pooling, then a dense layer ``dense_w`` (F * H/2 * W/2, K), ``dense_b`` (K,);
* a linear classifier (:func:`linear_model`): ``dense_w`` (C * H * W, K) and
  ``dense_b`` (K,) on the flattened image.

Both hold ``input_shape``, an int array ``(C, H, W)``. Every function below
takes images as a batch ``x`` of shape ``(N, C, H, W)``:

* ``input_shape(model) -> (C, H, W)``: the shape of one image;
* ``num_classes(model) -> K``: the number of classes (of logits);
* ``logits(model, x) -> (N, K)``: the class scores before the softmax;
* ``input_gradient(model, x, dlogits) -> dx`` of shape ``(N, C, H, W)``: the
  gradient of ``sum(logits(model, x) * dlogits)`` with respect to ``x``. With
  ``dlogits`` one-hot on class ``c`` (one row per image), ``dx[n]`` is the
  gradient of image n's logit of class c with respect to its pixels;
* ``forward(model, x) -> (logits, cache)`` and ``backward(dlogits, cache) ->
  (dx, grads)``: the same, with the gradients of the weights too, for training.
"""

from __future__ import annotations

import time

import numpy as np

from helpers import data, optim
from helpers.layers import conv, losses

__all__ = ["init_cnn", "linear_model", "input_shape", "num_classes", "logits", "input_gradient",
           "forward", "backward", "accuracy", "train_cnn", "digits_split"]


def init_cnn(filters: int = 8, classes: int = 10, image_shape=(1, 8, 8), seed: int = 0) -> dict:
    """A CNN with random weights (He initialisation), see the module's docstring.

    Parameters
    ----------
    filters : int
        Number F of 3x3 filters.
    classes : int
        Number K of classes.
    image_shape : tuple of int
        ``(C, H, W)`` of one image; H and W must be even.
    seed : int

    Returns
    -------
    dict of ndarray
    """
    C, H, W = (int(n) for n in image_shape)
    if H % 2 or W % 2:
        raise ValueError(f"expected an even height and width, got {H} and {W}")
    rng = np.random.default_rng(seed)
    features = filters * (H // 2) * (W // 2)
    return {"conv_w": rng.standard_normal((filters, C, 3, 3)) * np.sqrt(2.0 / (9 * C)),
            "conv_b": np.zeros(filters),
            "dense_w": rng.standard_normal((features, classes)) * np.sqrt(1.0 / features),
            "dense_b": np.zeros(classes),
            "input_shape": np.array([C, H, W], dtype=np.int64)}


def linear_model(dense_w, dense_b, image_shape) -> dict:
    """A linear classifier, ``logits = x.reshape(N, -1) @ dense_w + dense_b``, as a model."""
    C, H, W = (int(n) for n in image_shape)
    dense_w = np.array(dense_w, dtype=np.float64)
    dense_b = np.array(dense_b, dtype=np.float64)
    if dense_w.shape[0] != C * H * W or dense_b.shape != dense_w.shape[1:]:
        raise ValueError(f"expected dense_w ({C * H * W}, K) and dense_b (K,), got "
                         f"{dense_w.shape} and {dense_b.shape}")
    return {"dense_w": dense_w, "dense_b": dense_b,
            "input_shape": np.array([C, H, W], dtype=np.int64)}


def input_shape(model: dict) -> tuple[int, int, int]:
    """``(C, H, W)``: the shape of one image the model reads."""
    return tuple(int(n) for n in model["input_shape"])


def num_classes(model: dict) -> int:
    """K: how many logits the model gives every image."""
    return int(model["dense_b"].shape[0])


def _check_images(model: dict, x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    shape = input_shape(model)
    if x.ndim != 4 or x.shape[1:] != shape:
        raise ValueError(f"expected x of shape (N, {', '.join(map(str, shape))}), got {x.shape}")
    return x


def forward(model: dict, x):
    """The logits ``(N, K)`` of a batch ``x`` ``(N, C, H, W)``, and what :func:`backward` needs."""
    x = _check_images(model, x)
    N = x.shape[0]
    if "conv_w" not in model:
        return x.reshape(N, -1) @ model["dense_w"] + model["dense_b"], (model, x, None)
    a, conv_cache = conv.conv2d_forward(x, model["conv_w"], model["conv_b"], stride=1, pad=1)
    r = np.maximum(a, 0.0)                                    # (N, F, H, W)
    p, pool_cache = conv.max_pool2d_forward(r, size=2, stride=2)
    features = p.reshape(N, -1)                               # (N, F * H/2 * W/2)
    out = features @ model["dense_w"] + model["dense_b"]      # (N, K)
    return out, (model, features, (conv_cache, a, pool_cache, p.shape))


def backward(dlogits, cache):
    """Gradients from ``dlogits`` ``(N, K)``: ``dx`` ``(N, C, H, W)`` and a dict of the weights'."""
    model, features, inner = cache
    dlogits = np.asarray(dlogits, dtype=np.float64)
    N = features.shape[0]
    if dlogits.shape != (N, model["dense_b"].shape[0]):
        raise ValueError(f"expected dlogits of shape {(N, model['dense_b'].shape[0])}, "
                         f"got {dlogits.shape}")
    flat = features.reshape(N, -1)
    grads = {"dense_w": flat.T @ dlogits, "dense_b": dlogits.sum(axis=0)}
    dfeatures = dlogits @ model["dense_w"].T                  # (N, features)
    if inner is None:                                         # linear: the features are x
        return dfeatures.reshape(features.shape), grads
    conv_cache, a, pool_cache, pooled_shape = inner
    dr = conv.max_pool2d_backward(dfeatures.reshape(pooled_shape), pool_cache)
    da = dr * (a > 0)                                         # through the ReLU
    dx, grads["conv_w"], grads["conv_b"] = conv.conv2d_backward(da, conv_cache)
    return dx, grads


def logits(model: dict, x) -> np.ndarray:
    """The class scores ``(N, K)`` of a batch ``x`` ``(N, C, H, W)``."""
    return forward(model, x)[0]


def input_gradient(model: dict, x, dlogits) -> np.ndarray:
    """``d sum(logits(model, x) * dlogits) / dx``, of the shape of ``x``: ``(N, C, H, W)``."""
    _, cache = forward(model, x)
    return backward(dlogits, cache)[0]


def accuracy(model: dict, x, y) -> float:
    """The fraction of images in ``x`` whose largest logit is their label ``y``."""
    return float(np.mean(logits(model, x).argmax(axis=1) == np.asarray(y)))


def digits_split(test_size: int = 500, seed: int = 0):
    """scikit-learn's digits as images ``(N, 1, 8, 8)`` in [0, 1], split at random.

    Returns
    -------
    x_train, y_train, x_test, y_test : ndarray
        ``1797 - test_size`` training and ``test_size`` test images with their labels.
    """
    images, labels = data.load_digits()
    if not 0 < test_size < len(images):
        raise ValueError(f"test_size must be in 1..{len(images) - 1}, got {test_size}")
    order = np.random.default_rng(seed).permutation(len(images))
    test, train = order[:test_size], order[test_size:]
    x = images[:, None]                                        # (N, 1, 8, 8)
    return x[train], labels[train], x[test], labels[test]


def train_cnn(x, y, filters: int = 16, epochs: int = 15, batch: int = 64, lr: float = 0.01,
              seed: int = 0, verbose: bool = False):
    """Train :func:`init_cnn`'s CNN with Adam on softmax cross-entropy.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    y : ndarray of int, shape (N,)
    filters, epochs, batch : int
    lr : float
        Adam's learning rate.
    seed : int
        Seeds the initial weights and the order of the batches.
    verbose : bool
        Print the loss after every epoch.

    Returns
    -------
    model : dict
    losses : ndarray of shape (steps,)
        The training loss of every batch.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    model = init_cnn(filters, int(y.max()) + 1, x.shape[1:], seed=seed)
    trained = {k: v for k, v in model.items() if k != "input_shape"}
    optimiser = optim.Adam(trained, lr=lr)
    rng = np.random.default_rng(seed + 1)
    history = []
    start = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for first in range(0, len(x), batch):
            take = order[first:first + batch]
            out, cache = forward(model, x[take])
            loss, dlogits = losses.softmax_cross_entropy(out, y[take])
            _, grads = backward(dlogits, cache)
            optimiser.step(grads)
            history.append(loss)
        if verbose:
            print(f"epoch {epoch + 1}: loss {np.mean(history[-(len(x) // batch):]):.3f} "
                  f"({time.perf_counter() - start:.1f} s)")
    return model, np.array(history)
