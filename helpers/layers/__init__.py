"""Layers that later notebooks build on, each with ``forward -> (out, cache)`` and ``backward``.

An exercise's answer is never here beside the notebook that asks for it; a
later notebook receives it from here as a tested building block:

- :mod:`helpers.layers.conv`: convolution and max pooling, vectorised, notebook 01's
  layers for notebook 07;
- :mod:`helpers.layers.losses`: softmax cross-entropy and mean squared error;
- :mod:`helpers.layers.rnn`: the vanilla RNN of notebook 03, for notebook 04
  onwards.
"""

from helpers.layers import conv, losses, rnn

__all__ = ["conv", "losses", "rnn"]
