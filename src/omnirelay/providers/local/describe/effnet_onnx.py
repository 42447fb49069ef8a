"""EfficientNet-Lite0 as an ONNX graph, built from its state dict (lukemelas-style names) with ``onnx.helper``.

The network is the TensorFlow one: 3×3 stem (stride 2), 16 inverted-residual blocks, 1×1 head to 1280
channels, global average pooling and a 1000-way fully connected layer. The Lite variant has no
squeeze-excitation and uses ReLU6, emitted as ``Clip(0, 6)``. Every BatchNorm (eps 1e-3, as TF trained it)
is folded into the convolution before it. Padding is TensorFlow's "same" (any odd pixel goes after), which
the fixed 224×224 input lets us write out as explicit pads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["CONVERTER_VERSION", "INPUT_NAME", "INPUT_SIZE", "OUTPUT_NAME", "build_model"]

CONVERTER_VERSION = "1"
INPUT_NAME = "pixels"
OUTPUT_NAME = "logits"
INPUT_SIZE = 224

_BN_EPS = 1e-3
_OPSET = 17
# EfficientNet-B0/Lite0 stages: (number of blocks, stride of the first block, output channels)
_STAGES = ((1, 1, 16), (2, 2, 24), (2, 2, 40), (3, 2, 80), (3, 1, 112), (4, 2, 192), (1, 1, 320))

Weights = dict[str, np.ndarray[Any, Any]]


class _Graph:
    """Accumulates nodes and initialisers; tracks the spatial size so "same" pads can be written out."""

    def __init__(self, weights: Weights) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = [
            numpy_helper.from_array(np.array(0.0, np.float32), "relu6_min"),
            numpy_helper.from_array(np.array(6.0, np.float32), "relu6_max"),
        ]
        self.size = INPUT_SIZE

    def constant(self, name: str, value: np.ndarray[Any, Any]) -> str:
        self.initializers.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def conv_bn(self, source: str, conv: str, bn: str, *, stride: int = 1, depthwise: bool = False) -> str:
        """``conv`` then ``bn`` (folded), from tensor ``source``; returns the output tensor's name."""
        kernel = self.weights[f"{conv}.weight"]
        gamma, beta = self.weights[f"{bn}.weight"], self.weights[f"{bn}.bias"]
        mean, var = self.weights[f"{bn}.running_mean"], self.weights[f"{bn}.running_var"]
        scale = gamma / np.sqrt(var + _BN_EPS)
        size = kernel.shape[-1]
        out_size = -(-self.size // stride)
        total = max((out_size - 1) * stride + size - self.size, 0)
        before, after = total // 2, total - total // 2
        self.size = out_size
        self.nodes.append(
            helper.make_node(
                "Conv",
                [
                    source,
                    self.constant(f"{conv}.w", kernel * scale[:, None, None, None]),
                    self.constant(f"{conv}.b", beta - mean * scale),
                ],
                [conv],
                kernel_shape=[size, size],
                strides=[stride, stride],
                pads=[before, before, after, after],
                group=kernel.shape[0] if depthwise else 1,
            )
        )
        return conv

    def relu6(self, source: str) -> str:
        self.nodes.append(helper.make_node("Clip", [source, "relu6_min", "relu6_max"], [f"{source}.relu6"]))
        return f"{source}.relu6"

    def block(self, source: str, index: int, stride: int) -> str:
        """One inverted-residual block: [1×1 expand], depthwise k×k, 1×1 project, skip when shapes allow."""
        prefix = f"_blocks.{index}"
        channels_in = self.weights[f"{prefix}._depthwise_conv.weight"].shape[0]
        x = source
        if f"{prefix}._expand_conv.weight" in self.weights:
            channels_in = self.weights[f"{prefix}._expand_conv.weight"].shape[1]
            x = self.relu6(self.conv_bn(x, f"{prefix}._expand_conv", f"{prefix}._bn0"))
        x = self.relu6(self.conv_bn(x, f"{prefix}._depthwise_conv", f"{prefix}._bn1", stride=stride, depthwise=True))
        x = self.conv_bn(x, f"{prefix}._project_conv", f"{prefix}._bn2")
        if stride == 1 and channels_in == self.weights[f"{prefix}._project_conv.weight"].shape[0]:
            self.nodes.append(helper.make_node("Add", [x, source], [f"{prefix}.out"]))
            return f"{prefix}.out"
        return x


def _block_plan(weights: Weights) -> list[int]:
    """The stride of each block, checked against the channel counts found in the weights."""
    strides: list[int] = []
    for repeats, stride, channels in _STAGES:
        for repeat in range(repeats):
            key = f"_blocks.{len(strides)}._project_conv.weight"
            if key not in weights or weights[key].shape[0] != channels:
                raise ValueError(f"the weights are not EfficientNet-Lite0's: {key} is missing or has another shape")
            strides.append(stride if repeat == 0 else 1)
    if f"_blocks.{len(strides)}._project_conv.weight" in weights:
        raise ValueError("the weights have more blocks than EfficientNet-Lite0")
    return strides


def build_model(weights: Weights) -> onnx.ModelProto:
    """The classifier as ONNX: ``pixels`` float32 [N, 3, 224, 224] (mean/std 0.5) → ``logits`` [N, 1000]."""
    graph = _Graph(weights)
    x = graph.relu6(graph.conv_bn(INPUT_NAME, "_conv_stem", "_bn0", stride=2))
    for index, stride in enumerate(_block_plan(weights)):
        x = graph.block(x, index, stride)
    x = graph.relu6(graph.conv_bn(x, "_conv_head", "_bn1"))
    graph.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    graph.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    fc_w, fc_b = graph.constant("_fc.w", weights["_fc.weight"]), graph.constant("_fc.b", weights["_fc.bias"])
    graph.nodes.append(helper.make_node("Gemm", ["features", fc_w, fc_b], [OUTPUT_NAME], transB=1))
    classes = int(weights["_fc.weight"].shape[0])
    onnx_graph = helper.make_graph(
        graph.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", classes])],
        graph.initializers,
    )
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="omnirelay")
    model.ir_version = 8
    helper.set_model_props(model, {"omnirelay.converter": CONVERTER_VERSION})
    onnx.checker.check_model(model)
    return model
