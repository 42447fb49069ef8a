"""Colour names for a palette: sRGB → CIELAB, then the nearest of about twenty named reference colours."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

__all__ = ["COLOUR_NAMES", "colour_name", "to_lab"]

_REFERENCES: dict[str, tuple[int, int, int]] = {
    "black": (12, 12, 12),
    "gray": (128, 128, 128),
    "silver": (190, 190, 190),
    "white": (245, 245, 245),
    "red": (200, 30, 35),
    "maroon": (115, 20, 30),
    "orange": (240, 130, 20),
    "brown": (115, 70, 35),
    "tan": (205, 170, 125),
    "beige": (230, 215, 185),
    "gold": (210, 170, 50),
    "yellow": (245, 225, 40),
    "olive": (120, 120, 30),
    "green": (50, 150, 60),
    "dark green": (20, 75, 35),
    "teal": (0, 120, 120),
    "turquoise": (60, 200, 200),
    "sky blue": (130, 185, 235),
    "blue": (35, 75, 200),
    "navy": (20, 30, 85),
    "purple": (110, 50, 150),
    "pink": (240, 150, 180),
    "magenta": (200, 40, 150),
}
COLOUR_NAMES = tuple(_REFERENCES)

_SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def to_lab(rgb: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """sRGB values in 0..255, shape (..., 3) → CIELAB (D65), same shape."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _WHITE_D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


@functools.cache
def _reference_lab() -> np.ndarray[Any, Any]:
    return to_lab(np.array(list(_REFERENCES.values())))


def colour_name(lab: np.ndarray[Any, Any]) -> str:
    """The name of the reference colour nearest to one CIELAB value (CIE76 distance)."""
    distances = np.linalg.norm(_reference_lab() - lab, axis=1)
    return COLOUR_NAMES[int(np.argmin(distances))]
