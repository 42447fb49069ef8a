"""Real files for the fake Replicate's outputs: images (PNG, WebP, JPEG), cutouts with alpha, SVG,
an MP4 clip and a GIF animation, each drawn from a seed so the same URL always serves the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile

import numpy as np
from PIL import Image, ImageDraw

from omnirelay.testing._fake_mj_video import TINY_MP4

__all__ = ["MEDIA_TYPES", "render"]

MEDIA_TYPES = {
    "png": "image/png",
    "webp": "image/webp",
    "jpg": "image/jpeg",
    "svg": "image/svg+xml",
    "mp4": "video/mp4",
    "gif": "image/gif",
}
_SIDE = 256
_VIDEO_SIDE = 64
_FRAMES = 8


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode()).digest()
    return digest[0], digest[1], digest[2]


def _picture(seed: str, frame: int = 0, side: int = _SIDE) -> Image.Image:
    """A coloured square with a disc whose place moves with ``frame`` (so frames differ)."""
    colour = _colour(seed)
    image = Image.new("RGB", (side, side), colour)
    draw = ImageDraw.Draw(image)
    offset = (frame * side // _FRAMES) % side
    draw.ellipse((offset // 2, side // 4, offset // 2 + side // 2, 3 * side // 4), fill=tuple(255 - c for c in colour))
    return image


def _image(seed: str, extension: str) -> bytes:
    buffer = io.BytesIO()
    _picture(seed).save(buffer, format={"jpg": "JPEG"}.get(extension, extension.upper()))
    return buffer.getvalue()


def _cutout(seed: str) -> bytes:
    """What background removal answers: the subject on a transparent background."""
    image = Image.new("RGBA", (_SIDE, _SIDE), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((64, 64, 192, 192), fill=(*_colour(seed), 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _svg(seed: str) -> bytes:
    red, green, blue = _colour(seed)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024" viewBox="0 0 1024 1024">'
        f'<rect width="1024" height="1024" fill="rgb({red},{green},{blue})"/>'
        '<circle cx="512" cy="512" r="256" fill="white"/></svg>'
    ).encode()


def _gif(seed: str) -> bytes:
    frames = [_picture(seed, index, _VIDEO_SIDE) for index in range(_FRAMES)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=125, loop=0)
    return buffer.getvalue()


def _mp4(seed: str) -> bytes:
    """One second of H.264 (PyAV); a tiny canned MP4 when PyAV is not installed."""
    try:
        import av
    except ImportError:
        return TINY_MP4
    handle, path = tempfile.mkstemp(suffix=".mp4")
    os.close(handle)
    try:
        with av.open(path, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=_FRAMES, options={"preset": "veryfast"})
            assert isinstance(stream, av.VideoStream)
            stream.width = stream.height = _VIDEO_SIDE
            stream.pix_fmt = "yuv420p"
            for index in range(_FRAMES):
                frame = av.VideoFrame.from_ndarray(np.asarray(_picture(seed, index, _VIDEO_SIDE)), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


def render(seed: str, extension: str) -> bytes:
    """The file named ``{seed}.{extension}``; ``cutout`` seeds (from rembg) are PNGs with alpha."""
    if extension == "svg":
        return _svg(seed)
    if extension == "gif":
        return _gif(seed)
    if extension == "mp4":
        return _mp4(seed)
    if extension == "png" and seed.endswith("-cutout"):
        return _cutout(seed)
    return _image(seed, extension)
