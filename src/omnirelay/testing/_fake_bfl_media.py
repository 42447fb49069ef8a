"""The fake BFL's result images: a real JPEG or PNG of the asked size (at most 512 px a side, to stay quick),
drawn per task, so the same URL always serves the same bytes."""

from __future__ import annotations

import functools
import hashlib
import io

from PIL import Image, ImageDraw

__all__ = ["drawn_sample"]

_MAX_SIDE = 512


@functools.lru_cache(maxsize=64)
def drawn_sample(seed: str, width: int, height: int, image_format: str) -> bytes:
    """``image_format`` is ``jpeg`` or ``png``."""
    digest = hashlib.sha256(seed.encode()).digest()
    scale = min(1.0, _MAX_SIDE / max(width, height))
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    image = Image.new("RGB", size, (digest[0], digest[1], digest[2]))
    draw = ImageDraw.Draw(image)
    for n in range(4):
        x, y = digest[3 + n] * size[0] // 256, digest[7 + n] * size[1] // 256
        draw.ellipse((x, y, x + size[0] // 4, y + size[1] // 4), fill=(digest[11 + n], digest[15 + n], digest[19 + n]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG" if image_format == "png" else "JPEG", quality=85)
    return buffer.getvalue()
