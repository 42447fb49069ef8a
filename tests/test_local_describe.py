"""The local provider's offline "describe an image": real photos in, four honest Midjourney-style prompts out."""

from __future__ import annotations

import base64
import io
import pickle
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageEnhance, ImageFilter

from conftest import USER_KEY, Gateway, funded, sqlite_only
from offline import run_offline
from omnirelay.providers.local.describe import Description, ImageDescriber, NotAnImage, numbered
from omnirelay.providers.local.describe.image import decode
from omnirelay.providers.local.describe.torch_weights import UnsafeCheckpoint, read_state_dict


def photo(name: str) -> np.ndarray[Any, Any]:
    """One of the photos that ship inside scikit-image (skimage/data/), as an RGB or grey array."""
    pixels: np.ndarray[Any, Any] = getattr(skimage.data, name)()
    return pixels


def encode(pixels: np.ndarray[Any, Any] | Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def describer(tmp_path_factory: pytest.TempPathFactory) -> ImageDescriber:
    return ImageDescriber(tmp_path_factory.mktemp("describe-cache"))


def mentions(description: Description, *words: str) -> bool:
    text = " ".join(description.prompts).lower()
    return any(word in text for word in words)


def assert_well_formed(description: Description, ratio: str) -> None:
    assert len(description.prompts) == 4
    assert len(set(description.prompts)) == 4, "the four prompts differ"
    assert all(p.endswith(f" --ar {ratio}") and p.count("--ar") == 1 for p in description.prompts)
    assert len(description.labels) == 3
    probabilities = [p for _, p in description.labels]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1 + 1e-6
    assert len({name for name, _ in description.labels}) == 3, "duplicate ImageNet names are merged"
    assert description.palette and all(colour in description.prompts[0] for colour in description.palette)


def test_the_cat_photo_is_described_as_a_cat(describer: ImageDescriber) -> None:
    description = describer.describe(encode(photo("chelsea")))
    assert (description.width, description.height) == (451, 300)
    assert_well_formed(description, "3:2")
    assert mentions(description, "cat", "tabby")
    assert all(word not in " ".join(description.prompts) for word in ("person", "woman", "man ", "sitting"))


def test_the_coffee_photo_is_described_as_espresso(describer: ImageDescriber) -> None:
    description = describer.describe(encode(photo("coffee"), "JPEG", quality=90))
    assert_well_formed(description, "3:2")
    assert description.labels[0][0] == "espresso" and description.labels[0][1] > 0.5
    assert mentions(description, "espresso", "cup", "coffee")
    assert "vivid colors" in " ".join(description.prompts)


def test_the_rocket_photo_is_described_as_a_rocket(describer: ImageDescriber) -> None:
    description = describer.describe(encode(photo("rocket"), "JPEG", quality=90))
    assert (description.width, description.height) == (640, 427)
    assert_well_formed(description, "3:2")
    assert mentions(description, "missile", "rocket", "space shuttle")


def test_an_unsure_classification_is_hedged(describer: ImageDescriber) -> None:
    description = describer.describe(encode(photo("astronaut")))
    assert_well_formed(description, "1:1")
    assert description.labels[0][1] < 0.3, "EfficientNet has no 'astronaut' class and is unsure"
    assert "possibly of" in description.prompts[0] and description.prompts[3].startswith("what looks like")


def test_measured_properties_follow_the_picture(describer: ImageDescriber) -> None:
    cat = Image.fromarray(photo("chelsea"))
    sharp = " ".join(describer.describe(encode(cat)).prompts)
    blurred = " ".join(describer.describe(encode(cat.filter(ImageFilter.GaussianBlur(4)))).prompts)
    dark = " ".join(describer.describe(encode(ImageEnhance.Brightness(cat).enhance(0.25))).prompts)
    grey = " ".join(describer.describe(encode(photo("camera"))).prompts)
    assert "sharp focus" in sharp and "soft focus" not in sharp
    assert "soft focus" in blurred and "sharp focus" not in blurred
    assert "dark, low-key lighting" in dark and "balanced lighting" in sharp
    assert "black and white" in grey and "black and white" not in sharp


@pytest.mark.parametrize(
    ("size", "ratio"), [((1600, 900), "16:9"), ((300, 400), "3:4"), ((500, 500), "1:1"), ((1000, 200), "5:1")]
)
def test_the_aspect_ratio_is_the_input_s(describer: ImageDescriber, size: tuple[int, int], ratio: str) -> None:
    image = Image.fromarray(photo("coffee")).resize(size)
    description = describer.describe(encode(image, "JPEG"))
    assert (description.width, description.height) == size
    assert all(p.endswith(f" --ar {ratio}") for p in description.prompts)


def test_exif_rotation_is_applied(describer: ImageDescriber) -> None:
    image = Image.fromarray(photo("chelsea"))
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    description = describer.describe(encode(image, "JPEG", exif=exif))
    assert (description.width, description.height) == (300, 451)
    assert all(p.endswith(" --ar 2:3") for p in description.prompts)


def test_transparent_and_animated_images_are_described(describer: ImageDescriber) -> None:
    rgba = np.dstack([photo("coffee"), np.full((400, 600), 200, np.uint8)])
    assert describer.describe(encode(rgba)).labels[0][0] == "espresso"
    frames = [Image.fromarray(photo("coffee")), Image.new("RGB", (600, 400), "white")]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    assert describer.describe(gif.getvalue()).labels[0][0] == "espresso", "the first frame is described"


def test_bytes_that_are_not_an_image_are_refused(describer: ImageDescriber) -> None:
    png = encode(photo("chelsea"))
    for bad in (random.Random(7).randbytes(4096), png[: len(png) // 2], png[:60], b"", b"%PDF-1.7\n"):
        with pytest.raises(NotAnImage) as refused:
            describer.describe(bad)
        assert refused.value.status_code == 400
        assert isinstance(refused.value, ValueError)
        assert any(word in str(refused.value) for word in ("PNG", "truncated", "empty"))


def test_decompression_bombs_are_refused_before_decoding(describer: ImageDescriber) -> None:
    bomb = encode(Image.new("1", (10_000, 5_000)))  # 50 megapixels in a few kB
    assert len(bomb) < 100_000
    with pytest.raises(NotAnImage, match="10000×5000 pixels, more than the 24 megapixels"):
        describer.describe(bomb)


def _peak_rss_growth_mb(work: Callable[[], object]) -> float:
    """How far the process's peak RSS rose above its RSS while ``work`` ran (Linux: VmHWM is reset first)."""

    def status(field: str) -> int:
        with open("/proc/self/status") as lines:
            return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))

    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pytest.skip("this kernel cannot reset the peak RSS (/proc/self/clear_refs)")
    start = status("VmRSS")
    work()
    return (status("VmHWM") - start) / 1024


def test_a_large_jpeg_is_decoded_at_reduced_size(describer: ImageDescriber) -> None:
    jpeg = encode(Image.new("RGB", (8000, 8000), (30, 90, 200)), "JPEG", quality=90)
    describer.describe(jpeg)  # the model is loaded before measuring
    started = time.monotonic()
    described: list[Description] = []
    growth = _peak_rss_growth_mb(lambda: described.append(describer.describe(jpeg)))
    assert (described[0].width, described[0].height) == (8000, 8000)
    assert described[0].palette[0] == "blue"
    assert time.monotonic() - started < 5
    assert growth < 60, f"peak RSS grew {growth:.0f} MB for a 64-megapixel JPEG (full size: 256 MB)"


def test_a_picture_over_the_pixel_cap_is_refused_from_its_header(describer: ImageDescriber) -> None:
    png = encode(Image.new("RGB", (6300, 6300), (200, 30, 30)))  # 39.7 megapixels, 128 kB
    started = time.monotonic()
    with pytest.raises(NotAnImage, match="6300×6300 pixels, more than the 24 megapixels .* PNG") as refused:
        _peak_rss_growth_mb(lambda: describer.describe(png))
    assert refused.value.status_code == 400 and "JPEG" in str(refused.value)
    assert time.monotonic() - started < 1, "refused from the header, nothing decoded"


@pytest.mark.parametrize(
    ("mode", "size", "fmt"),
    [("RGBA", 4800, "PNG"), ("I;16", 4800, "PNG"), ("RGB", 4800, "BMP"), ("P", 4800, "GIF"), ("RGB", 2400, "WEBP")],
)
def test_pictures_under_the_cap_decode_in_about_four_bytes_a_pixel(
    describer: ImageDescriber, mode: str, size: int, fmt: str
) -> None:
    colour: Any = 30_000 if mode == "I;16" else 90 if mode == "P" else (40, 160, 60, 255)[: len(mode)]
    data = encode(Image.new(mode, (size, size), colour), fmt)
    describer.describe(encode(photo("coffee")))  # the model is loaded before measuring
    described: list[Description] = []
    growth = _peak_rss_growth_mb(lambda: described.append(describer.describe(data)))
    assert (described[0].width, described[0].height) == (size, size)
    assert growth < 140, f"peak RSS grew {growth:.0f} MB decoding a {size}×{size} {mode} {fmt}"


def test_the_pixel_cap_is_set_per_call(describer: ImageDescriber) -> None:
    png = encode(Image.new("RGB", (2000, 1500), "white"))
    assert describer.describe(png).width == 2000
    with pytest.raises(NotAnImage, match="2000×1500 pixels, more than the 2 megapixels"):
        describer.describe(png, max_pixels=2_000_000)
    large_jpeg = encode(Image.new("RGB", (4000, 4000), "white"), "JPEG")
    assert describer.describe(large_jpeg, max_pixels=2_000_000).width == 4000, "decoded at 1/4 scale: 1 megapixel"


def test_numbered_uses_keycap_digits() -> None:
    assert (
        numbered(["p1", "p2", "p3", "p4"])
        == "1\ufe0f\u20e3 p1\n\n2\ufe0f\u20e3 p2\n\n3\ufe0f\u20e3 p3\n\n4\ufe0f\u20e3 p4"
    )
    assert numbered(["a", "b", "c", "d"]).split("\n\n")[3] == "4️⃣ d"


def test_the_onnx_file_is_built_once_and_rebuilt_when_damaged(tmp_path: Path) -> None:
    chelsea = encode(photo("chelsea"))
    runs = [ImageDescriber(tmp_path), ImageDescriber(tmp_path)]
    threads = [threading.Thread(target=d.describe, args=(chelsea,)) for d in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [p.name for p in tmp_path.iterdir()] == ["efficientnet-lite0.onnx"], "no temporary file is left"
    built = (tmp_path / "efficientnet-lite0.onnx").stat()
    assert built.st_size > 15_000_000
    ImageDescriber(tmp_path).describe(chelsea)
    assert (tmp_path / "efficientnet-lite0.onnx").stat().st_mtime_ns == built.st_mtime_ns, "the cache is reused"
    (tmp_path / "efficientnet-lite0.onnx").write_bytes(b"half a file")
    assert mentions(ImageDescriber(tmp_path).describe(chelsea), "cat", "tabby")


def test_an_unwritable_cache_directory_still_describes(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    description = ImageDescriber(tmp_path / "a-file" / "cache").describe(encode(photo("coffee")))
    assert description.labels[0][0] == "espresso"


class _Exploit:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (print, ("this must never run",))


def test_a_weights_file_that_runs_code_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "evil.pth"
    with path.open("wb") as file:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, file, protocol=2)
        pickle.dump({"weight": _Exploit()}, file, protocol=2)
    with pytest.raises(UnsafeCheckpoint, match=r"refusing to load \w+\.print"):
        read_state_dict(path)
    assert "never run" not in capsys.readouterr().out


_OFFLINE_SCRIPT = """
import io, sys, pathlib
import skimage.data
from PIL import Image
from omnirelay.providers.local.describe import ImageDescriber
buffer = io.BytesIO()
Image.fromarray(skimage.data.coffee()).save(buffer, "PNG")
description = ImageDescriber(pathlib.Path(sys.argv[1])).describe(buffer.getvalue())
assert description.labels[0][0] == "espresso", description
print("offline ok", description.prompts[0])
"""


def test_describe_needs_no_network(tmp_path: Path) -> None:
    done = run_offline(_OFFLINE_SCRIPT, str(tmp_path), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "offline ok" in done.stdout
    assert (tmp_path / "efficientnet-lite0.onnx").is_file(), "the ONNX file was generated offline too"


def test_exif_rotation_is_applied_to_reduced_pictures_too() -> None:
    image = Image.new("RGB", (3000, 1500), "white")
    exif = image.getexif()
    exif[0x0112] = 6
    for fmt in ("JPEG", "PNG"):
        decoded = decode(encode(image, fmt, exif=exif))
        assert (decoded.width, decoded.height) == (1500, 3000)
        assert decoded.rgb.height > decoded.rgb.width and min(decoded.rgb.size) < 1024


@sqlite_only
def test_describe_through_the_gateway_refuses_a_large_png_and_takes_a_large_jpeg(
    make_gateway: Callable[..., Gateway],
) -> None:
    price = {"model": "mj_describe", "mode": "per_call", "per_call": 50_000}
    gateway = make_gateway(**funded(10_000_000), prices=[price])
    client = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=60)

    def describe(data: bytes) -> dict[str, Any]:
        answer: dict[str, Any] = client.post(
            "/mj/submit/describe", json={"base64": base64.b64encode(data).decode()}
        ).json()
        return answer

    refused = describe(encode(Image.new("RGB", (6300, 6300), (200, 30, 30))))
    assert refused["code"] == 4 and "6300×6300 pixels, more than the 24 megapixels" in refused["description"]
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["balance"] == 10_000_000
    accepted = describe(encode(Image.new("RGB", (6300, 6300), (200, 30, 30)), "JPEG"))
    assert accepted["code"] == 1
    deadline = time.monotonic() + 30
    while (task := client.get(f"/mj/task/{accepted['result']}/fetch").json())["status"] != "SUCCESS":
        assert time.monotonic() < deadline, task
        time.sleep(0.1)
    assert "--ar 1:1" in task["prompt"] and "red" in task["prompt"]
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["balance"] == 10_000_000 - 50_000
