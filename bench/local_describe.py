"""Latency of the local provider's offline "describe an image" (the engine behind ``POST /mj/submit/describe``).

Encodes photos shipped inside scikit-image as PNG or JPEG, describes each once to warm up (the first call
also builds the ONNX classifier into the cache directory), then times ``ImageDescriber.describe`` over
``--rounds`` passes and prints milliseconds per image: p50 and max, per photo and overall. The issue asks
for a description "within ~0.5 s of CPU".

    .venv/bin/python bench/local_describe.py                # 20 rounds, fresh temporary cache
    .venv/bin/python bench/local_describe.py --rounds 50 --cache-dir /tmp/omnirelay-describe
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import skimage.data
from PIL import Image

from omnirelay.providers.local.describe import ImageDescriber

PHOTOS = {
    "chelsea.png": ("chelsea", "PNG"),
    "coffee.png": ("coffee", "PNG"),
    "rocket.jpg": ("rocket", "JPEG"),
    "astronaut.png": ("astronaut", "PNG"),
    "camera.png": ("camera", "PNG"),
    "motorcycle.png": ("stereo_motorcycle", "PNG"),
}


def photos() -> dict[str, bytes]:
    encoded: dict[str, bytes] = {}
    for label, (name, fmt) in PHOTOS.items():
        pixels: Any = getattr(skimage.data, name)()
        if isinstance(pixels, tuple):  # stereo_motorcycle: (left, right, disparity)
            pixels = pixels[0]
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, fmt)
        encoded[label] = buffer.getvalue()
    return encoded


def milliseconds(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:6.1f} ms   max {max(samples) * 1000:6.1f} ms"


def run(cache_dir: Path, rounds: int) -> None:
    images = photos()
    describer = ImageDescriber(cache_dir)
    cached = (cache_dir / "efficientnet-lite0.onnx").is_file()
    started = time.perf_counter()
    first = describer.describe(images["chelsea.png"])
    what = "load the cached ONNX" if cached else "build and load the ONNX"
    print(f"first call ({what}): {(time.perf_counter() - started) * 1000:.0f} ms")
    print(f"  e.g. {first.prompts[0]}")
    for data in images.values():
        describer.describe(data)
    timings: dict[str, list[float]] = {label: [] for label in images}
    for _ in range(rounds):
        for label, data in images.items():
            started = time.perf_counter()
            describer.describe(data)
            timings[label].append(time.perf_counter() - started)
    for label, samples in timings.items():
        print(f"{label:16s} {milliseconds(samples)}")
    print(f"{'all photos':16s} {milliseconds([s for samples in timings.values() for s in samples])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cache-dir", type=Path, help="where the ONNX file is cached (default: a fresh temp dir)")
    args = parser.parse_args()
    if args.cache_dir is not None:
        run(args.cache_dir, args.rounds)
        return
    with tempfile.TemporaryDirectory() as cache_dir:
        run(Path(cache_dir), args.rounds)


if __name__ == "__main__":
    main()
