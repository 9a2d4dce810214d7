"""Interactive figures: a pure function from parameters to a figure, plus a thin ipywidgets wrapper.

Tests call the ``*_figure`` functions directly; notebooks call the wrappers,
which only wire controls to them through :func:`interactive_figure`
(:mod:`helpers.widgets.base`). One module per notebook that has widgets:
:mod:`helpers.widgets.convolution` for notebook 01, :mod:`helpers.widgets.resnet`
for notebook 02, :mod:`helpers.widgets.rnn` for notebook 03,
:mod:`helpers.widgets.lstm` for notebook 04,
:mod:`helpers.widgets.attention` for notebook 05.
:mod:`helpers.widgets.embeddings` for notebook 06.
:mod:`helpers.widgets.activation` for notebook 07.
"""

from helpers.widgets.activation import (
    class_visualisation_explorer,
    class_visualisation_figure,
)
from helpers.widgets.attention import (
    DEFAULT_SCORES,
    attention_example_explorer,
    attention_maps_figure,
    attention_step_explorer,
    attention_step_figure,
    patch_attention,
    patch_attention_explorer,
    patch_attention_figure,
    patch_features,
    positional_encoding_figure,
    softmax_explorer,
    softmax_figure,
    tempered_weights,
)
from helpers.widgets.base import FINISH_MESSAGE, interactive_figure
from helpers.widgets.convolution import (
    KERNEL_PRESETS,
    kernel_playground,
    kernel_playground_figure,
    sliding_window_explorer,
    sliding_window_figure,
    window_taps,
)
from helpers.widgets.embeddings import (
    analogy_explorer,
    analogy_figure,
    neighbour_explorer,
    neighbours,
    neighbours_figure,
    pca_2d,
    vocabulary_map_explorer,
    vocabulary_map_figure,
)
from helpers.widgets.lstm import (
    GATE_NAMES,
    REFERENCE_FORGET_BIASES,
    gate_inspector,
    gate_inspector_figure,
    gradient_norm_explorer,
    gradient_norm_figure,
    gradient_norms_through_time,
    record_gates,
)
from helpers.widgets.resnet import (
    ACTIVATIONS,
    LEAKY_SLOPE,
    gradient_flow_explorer,
    gradient_flow_figure,
    gradient_norms,
    singular_values_figure,
)
from helpers.widgets.rnn import (
    RECURRENT_ACTIVATIONS,
    REFERENCE_RADII,
    hidden_jacobian_norms,
    recurrent_matrix,
    sampling_explorer,
    spectral_radius_explorer,
    spectral_radius_figure,
)

__all__ = [
    "class_visualisation_explorer",
    "class_visualisation_figure",
    "ACTIVATIONS",
    "DEFAULT_SCORES",
    "FINISH_MESSAGE",
    "GATE_NAMES",
    "KERNEL_PRESETS",
    "LEAKY_SLOPE",
    "RECURRENT_ACTIVATIONS",
    "REFERENCE_FORGET_BIASES",
    "REFERENCE_RADII",
    "attention_example_explorer",
    "attention_maps_figure",
    "attention_step_explorer",
    "attention_step_figure",
    "gate_inspector",
    "gate_inspector_figure",
    "gradient_flow_explorer",
    "gradient_flow_figure",
    "gradient_norm_explorer",
    "gradient_norm_figure",
    "gradient_norms",
    "gradient_norms_through_time",
    "record_gates",
    "hidden_jacobian_norms",
    "interactive_figure",
    "kernel_playground",
    "kernel_playground_figure",
    "patch_attention",
    "patch_attention_explorer",
    "patch_attention_figure",
    "patch_features",
    "positional_encoding_figure",
    "recurrent_matrix",
    "sampling_explorer",
    "singular_values_figure",
    "sliding_window_explorer",
    "sliding_window_figure",
    "softmax_explorer",
    "softmax_figure",
    "spectral_radius_explorer",
    "spectral_radius_figure",
    "tempered_weights",
    "window_taps",
    "analogy_explorer",
    "analogy_figure",
    "neighbour_explorer",
    "neighbours",
    "neighbours_figure",
    "pca_2d",
    "vocabulary_map_explorer",
    "vocabulary_map_figure",
]
