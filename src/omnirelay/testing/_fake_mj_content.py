"""What the fake Midjourney "draws" and "writes": served PNGs, DESCRIBE/SHORTEN texts, seeds, final prompts.

Everything is deterministic in its inputs, so tests can compare exact values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
from functools import lru_cache

from PIL import Image

__all__ = [
    "IMAGE_SIDE",
    "decode_image",
    "describe_text",
    "final_image_name",
    "final_prompt",
    "numbered_prompts",
    "render_png",
    "seed_of",
    "shorten_text",
    "upload_name",
]

IMAGE_SIDE = 128
_KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")
_DATA_URL = re.compile(r"^data:[\w.+/-]+;base64,", re.IGNORECASE)
_SUBJECTS = (
    "a lighthouse on a cliff",
    "a red fox in the snow",
    "a paper boat on a puddle",
    "an old tram in the rain",
    "a glass teapot on a table",
    "a mountain village at dawn",
    "a neon street at night",
    "a sleeping cat on a windowsill",
)
_STYLES = (
    "watercolor",
    "oil painting",
    "isometric render",
    "35mm film photograph",
    "ink sketch",
    "low poly",
    "pastel illustration",
    "cinematic lighting",
)


def decode_image(value: object) -> bytes | None:
    """The bytes of a data URL or a bare base64 string; ``None`` when it is neither (or empty)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    payload = _DATA_URL.sub("", text, count=1)
    if text[:5].lower() == "data:" and payload == text:
        return None
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data or None


def upload_name(data: bytes) -> str:
    """File name under which an uploaded image is "re-hosted" (like Discord's CDN)."""
    return f"upload_{hashlib.sha256(data).hexdigest()[:32]}.png"


def final_image_name(prompt: str | None, job_hash: str) -> str:
    """``omnirelay_<first prompt words>_<jobHash>.png``: the job hash follows the last ``_``, as on Discord."""
    words: list[str] = []
    for part in (prompt or "").split():
        if not part.startswith(("http://", "https://", "--")):
            words.extend(re.findall(r"[a-z0-9]+", part.lower()))
    slug = "_".join(words[:4]) or "image"
    return f"omnirelay_{slug}_{job_hash}.png"


@lru_cache(maxsize=256)
def render_png(name: str) -> bytes:
    """A small solid PNG whose colour is derived from ``name``."""
    digest = hashlib.sha256(name.encode()).digest()
    image = Image.new("RGB", (IMAGE_SIDE, IMAGE_SIDE), (digest[0], digest[1], digest[2]))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def final_prompt(prompt: str | None, bot_type: str) -> str:
    """The prompt as Midjourney echoes it back: with a model version flag when the user gave none."""
    text = (prompt or "").strip()
    if not text:
        return ""
    if "--v " in text or "--niji" in text:
        return text
    flag = "--niji 6" if bot_type == "NIJI_JOURNEY" else "--v 7.0"
    return f"{text} {flag}".strip()


def describe_text(seed: bytes) -> str:
    """Four numbered prompts separated by blank lines, as the DESCRIBE embed shows them."""
    digest = hashlib.sha256(seed).digest()
    lines = []
    for n, keycap in enumerate(_KEYCAPS[:4]):
        subject = _SUBJECTS[digest[n] % len(_SUBJECTS)]
        style = _STYLES[digest[n + 4] % len(_STYLES)]
        lines.append(f"{keycap} {subject}, {style} --ar 1:1")
    return "\n\n".join(lines)


def shorten_text(prompt: str) -> str:
    """The SHORTEN analysis: important tokens (bold = heavier) and five ever shorter prompts."""
    tokens = [w.strip(",.;") for w in prompt.split() if not w.startswith("--")]
    tokens = [t for t in tokens if t][:8] or ["prompt"]
    important = ", ".join(f"**{t}**" if i % 2 == 0 else t for i, t in enumerate(tokens))
    shortened = [" ".join(tokens[: max(1, len(tokens) - i)]) for i in range(5)]
    numbered = "\n\n".join(f"{keycap} {text}" for keycap, text in zip(_KEYCAPS, shortened, strict=True))
    return f"## Important tokens\n{important}\n## Shortened prompts\n{numbered}"


def numbered_prompts(text: str | None) -> list[str]:
    """The prompts of a DESCRIBE or SHORTEN result, without their keycap numbers."""
    found = []
    for line in (text or "").split("\n"):
        for keycap in _KEYCAPS:
            if line.startswith(keycap):
                found.append(line[len(keycap) :].strip())
    return found


def seed_of(job_hash: str) -> str:
    """The job's seed (digits), derived from its hash."""
    return str(int(job_hash.replace("-", ""), 16) % 4_294_967_296)
