"""Measured look of an image, classical methods only (numpy + Pillow): palette, exposure, colour, focus, balance.

* palette: k-means (k=5, fixed seed) in CIELAB over a 64 px thumbnail; each centre takes the nearest
  colour name, names are merged and kept when they cover at least 6 % of the picture;
* lighting: mean luma (dark below 0.28, bright above 0.68, else balanced) and contrast (luma deviation);
* colour: monochrome when 99 % of pixels have a CIELAB chroma under 10 (black and white, or nearly);
  otherwise vivid or muted from the mean HSV saturation;
* focus: variance of a 4-neighbour Laplacian on the luma at 512 px; low variance means soft focus;
* balance: whether the Laplacian's energy (where the fine detail is) is centred or off to a side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from PIL import Image

from omnirelay.providers.local.describe.colours import colour_name, to_lab

__all__ = ["Appearance", "measure"]

_PALETTE_SIZE = 64
_CLUSTERS = 5
_ITERATIONS = 8
_MIN_SHARE = 0.06
_MAX_COLOURS = 4
_FOCUS_SIZE = 512
_DARK, _BRIGHT = 0.28, 0.68
_MONOCHROME_CHROMA = 10.0
_VIVID, _MUTED = 0.45, 0.2
_SOFT_FOCUS = 60.0
_CENTRED = 0.1


@dataclass(frozen=True)
class Appearance:
    palette: list[str]  # colour names, dominant first
    brightness: float  # mean luma, 0..1
    contrast: float  # standard deviation of luma, 0..1
    saturation: float  # mean HSV saturation, 0..1
    monochrome: bool
    sharpness: float  # Laplacian variance at 512 px, luma in 0..255
    detail_offset: tuple[float, float]  # where the detail is, from the centre: x and y in -0.5..0.5

    @property
    def lighting(self) -> Literal["dark", "bright", "balanced"]:
        return "dark" if self.brightness < _DARK else "bright" if self.brightness > _BRIGHT else "balanced"

    @property
    def sharp(self) -> bool:
        return self.sharpness >= _SOFT_FOCUS

    @property
    def colourfulness(self) -> Literal["monochrome", "vivid", "muted", "natural"]:
        if self.monochrome:
            return "monochrome"
        return "vivid" if self.saturation > _VIVID else "muted" if self.saturation < _MUTED else "natural"

    @property
    def centred(self) -> bool:
        return max(abs(v) for v in self.detail_offset) <= _CENTRED


def _kmeans(points: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Centres and the share of points each one holds; k-means++ start from a fixed seed, so repeatable."""
    rng = np.random.default_rng(0)
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, min(_CLUSTERS, len(points))):
        nearest = np.min(((points[:, None, :] - np.array(centres)[None]) ** 2).sum(axis=2), axis=1)
        total = nearest.sum()
        centres.append(points[rng.choice(len(points), p=nearest / total)] if total > 0 else points[0])
    chosen = np.array(centres)
    for _ in range(_ITERATIONS):
        labels = np.argmin(((points[:, None, :] - chosen[None]) ** 2).sum(axis=2), axis=1)
        for k in range(len(chosen)):
            members = points[labels == k]
            if len(members):
                chosen[k] = members.mean(axis=0)
    labels = np.argmin(((points[:, None, :] - chosen[None]) ** 2).sum(axis=2), axis=1)
    return chosen, np.bincount(labels, minlength=len(chosen)) / len(points)


def _palette(lab: np.ndarray[Any, Any]) -> list[str]:
    centres, shares = _kmeans(lab.reshape(-1, 3))
    totals: dict[str, float] = {}
    for centre, share in zip(centres, shares, strict=True):
        name = colour_name(centre)
        totals[name] = totals.get(name, 0.0) + float(share)
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    kept = [name for name, share in ranked if share >= _MIN_SHARE][:_MAX_COLOURS]
    return kept or [ranked[0][0]]


def _detail(image: Image.Image) -> tuple[float, tuple[float, float]]:
    """Laplacian variance, and the centroid of its energy as an offset from the centre."""
    grey = image.convert("L")
    grey.thumbnail((_FOCUS_SIZE, _FOCUS_SIZE), Image.Resampling.BILINEAR)
    luma = np.asarray(grey, dtype=np.float64)
    if min(luma.shape) < 3:
        return 0.0, (0.0, 0.0)
    lap = luma[1:-1, :-2] + luma[1:-1, 2:] + luma[:-2, 1:-1] + luma[2:, 1:-1] - 4 * luma[1:-1, 1:-1]
    energy = np.abs(lap)
    total = energy.sum()
    if total <= 0:
        return 0.0, (0.0, 0.0)
    ys, xs = np.indices(energy.shape)
    offset_x = float((energy * xs).sum() / total / max(1, energy.shape[1] - 1) - 0.5)
    offset_y = float((energy * ys).sum() / total / max(1, energy.shape[0] - 1) - 0.5)
    return float(lap.var()), (offset_x, offset_y)


def measure(image: Image.Image) -> Appearance:
    """The measured appearance of an RGB image."""
    small = image.copy()
    small.thumbnail((_PALETTE_SIZE, _PALETTE_SIZE), Image.Resampling.BOX)
    rgb = np.asarray(small, dtype=np.float64)
    lab = to_lab(rgb)
    luma = lab[..., 0] / 100.0
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    saturation = np.asarray(small.convert("HSV"), dtype=np.float64)[..., 1] / 255.0
    sharpness, offset = _detail(image)
    return Appearance(
        palette=_palette(lab),
        brightness=float(luma.mean()),
        contrast=float(luma.std()),
        saturation=float(saturation.mean()),
        monochrome=bool(np.percentile(chroma, 99) < _MONOCHROME_CHROMA),
        sharpness=sharpness,
        detail_offset=offset,
    )
