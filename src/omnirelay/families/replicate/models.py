"""The Replicate models the gateway knows (spec §1.5), as data: their main input fields and billing unit.

One row per model; :mod:`.validation` reads the table, nothing else in it is code. A model
pinned to a version (community models) is reached through ``POST /v1/predictions`` and billed
per second of ``metrics.predict_time``, as Replicate bills hardware time; an official model
(``version: "hidden"``) through ``/v1/models/{owner}/{name}/predictions`` and billed per
prediction. Any model not in the table passes through unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["FIELD_KINDS", "KNOWN_MODELS", "Field", "KnownModel", "by_name", "by_version"]

FIELD_KINDS = ("text", "whole", "number", "flag", "choice", "file")


@dataclass(frozen=True, slots=True)
class Field:
    """One input field: its kind (``FIELD_KINDS``) and the bounds a value must keep."""

    kind: str
    required: bool = False
    low: float | None = None
    high: float | None = None
    multiple_of: int | None = None
    choices: tuple[str | int, ...] = ()


@dataclass(frozen=True, slots=True)
class KnownModel:
    name: str
    """``owner/name``: the model name channels list and prices are set on."""
    fields: Mapping[str, Field]
    version_prefix: str | None = None
    """First hex digits of its pinned version; None for an official model."""
    offline: str | None = None
    """Why the built-in ``local`` provider cannot serve it, said when no channel does."""

    @property
    def per_second(self) -> bool:
        """Billed per second of predict time (version-pinned), else per prediction."""
        return self.version_prefix is not None


_NO_OFFLINE_REMBG = (
    "The built-in local provider cannot remove backgrounds offline: no permissively licensed, general-purpose "
    "segmentation model ships inside a package (ISNet, the one that does, is AGPL-3.0; MediaPipe's selfie "
    "segmentation cuts out people only). Add a `replicate` channel that serves cjwbw/rembg."
)


def _text(required: bool = False) -> Field:
    return Field("text", required)


def _whole(low: float | None = None, high: float | None = None, multiple_of: int | None = None) -> Field:
    return Field("whole", low=low, high=high, multiple_of=multiple_of)


def _number(low: float | None = None, high: float | None = None) -> Field:
    return Field("number", low=low, high=high)


def _choice(*values: str | int) -> Field:
    return Field("choice", choices=values)


_FLAG = Field("flag")
_FILE = Field("file")
_NEEDED_FILE = Field("file", required=True)
_SEED = _whole()
_SD_SCHEDULERS = _choice("DPMSolverMultistep", "K_EULER", "DDIM", "K_EULER_ANCESTRAL", "PNDM", "KLMS", "DDPM")
_FLUX_RATIOS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
_FORMATS = _choice("webp", "jpg", "png")
_SIDE_64 = _whole(64, 2048, 64)
_OUTPUTS = _whole(1, 4)

_STABLE_DIFFUSION = {
    "prompt": _text(True),
    "negative_prompt": _text(),
    "width": _SIDE_64,
    "height": _SIDE_64,
    "num_outputs": _OUTPUTS,
    "num_inference_steps": _whole(1, 500),
    "guidance_scale": _number(1, 20),
    "scheduler": _SD_SCHEDULERS,
    "seed": _SEED,
}
_FLUX_SCHNELL = {
    "prompt": _text(True),
    "aspect_ratio": _choice(*_FLUX_RATIOS),
    "num_outputs": _OUTPUTS,
    "num_inference_steps": _whole(1, 4),
    "seed": _SEED,
    "output_format": _FORMATS,
    "output_quality": _whole(0, 100),
    "go_fast": _FLAG,
    "megapixels": _choice("1", "0.25"),
    "disable_safety_checker": _FLAG,
}
_FLUX_PRO_COMMON = {
    "prompt": _text(True),
    "image_prompt": _FILE,
    "aspect_ratio": _choice(*_FLUX_RATIOS, "custom"),
    "width": _whole(256, 1440, 32),
    "height": _whole(256, 1440, 32),
    "safety_tolerance": _whole(1, 6),
    "seed": _SEED,
    "output_format": _FORMATS,
    "output_quality": _whole(0, 100),
    "prompt_upsampling": _FLAG,
}
_RECRAFT_SIZES = _text()

KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel("stability-ai/stable-diffusion", _STABLE_DIFFUSION, "ac732df8"),
    KnownModel(
        "stability-ai/sdxl",
        {
            **_STABLE_DIFFUSION,
            "image": _FILE,
            "mask": _FILE,
            "prompt_strength": _number(0, 1),
            "refine": _choice("no_refiner", "expert_ensemble_refiner", "base_image_refiner"),
            "high_noise_frac": _number(0, 1),
            "lora_scale": _number(0, 1),
            "apply_watermark": _FLAG,
            "disable_safety_checker": _FLAG,
            "scheduler": _choice(
                "DDIM", "DPMSolverMultistep", "HeunDiscrete", "KarrasDPM", "K_EULER_ANCESTRAL", "K_EULER", "PNDM"
            ),
        },
        "7762fd07",
    ),
    KnownModel(
        "stability-ai/stable-diffusion-inpainting",
        {**_STABLE_DIFFUSION, "image": _NEEDED_FILE, "mask": _NEEDED_FILE},
        "95b72231",
    ),
    KnownModel(
        "stability-ai/stable-diffusion-img2img",
        {
            **{k: v for k, v in _STABLE_DIFFUSION.items() if k not in ("width", "height")},
            "prompt": _text(),
            "image": _NEEDED_FILE,
            "prompt_strength": _number(0, 1),
        },
        "15a3689e",
    ),
    KnownModel("black-forest-labs/flux-schnell", _FLUX_SCHNELL),
    KnownModel(
        "black-forest-labs/flux-dev",
        {
            **_FLUX_SCHNELL,
            "image": _FILE,
            "prompt_strength": _number(0, 1),
            "num_inference_steps": _whole(1, 50),
            "guidance": _number(0, 10),
        },
    ),
    KnownModel(
        "black-forest-labs/flux-pro",
        {**_FLUX_PRO_COMMON, "steps": _whole(1, 50), "guidance": _number(2, 5), "interval": _number(1, 4)},
    ),
    KnownModel("black-forest-labs/flux-1.1-pro", _FLUX_PRO_COMMON),
    KnownModel(
        "black-forest-labs/flux-1.1-pro-ultra",
        {
            "prompt": _text(True),
            "aspect_ratio": _choice(*_FLUX_RATIOS),
            "raw": _FLAG,
            "image_prompt": _FILE,
            "image_prompt_strength": _number(0, 1),
            "safety_tolerance": _whole(1, 6),
            "seed": _SEED,
            "output_format": _choice("jpg", "png"),
        },
    ),
    KnownModel(
        "lucataco/flux-schnell-lora",
        {
            **{k: v for k, v in _FLUX_SCHNELL.items() if k not in ("go_fast", "megapixels")},
            "hf_lora": _text(),
            "lora_scale": _number(-1, 2),
        },
        "2a6b576a",
    ),
    KnownModel(
        "lucataco/flux-dev-lora",
        {
            "prompt": _text(True),
            "hf_lora": _text(),
            "lora_scale": _number(-1, 2),
            "num_outputs": _OUTPUTS,
            "aspect_ratio": _choice(*_FLUX_RATIOS),
            "output_format": _FORMATS,
            "guidance_scale": _number(0, 10),
            "output_quality": _whole(0, 100),
            "prompt_strength": _number(0, 1),
            "num_inference_steps": _whole(1, 50),
            "image": _FILE,
            "seed": _SEED,
        },
        "09149576",
    ),
    KnownModel(
        "lucataco/animate-diff",
        {
            "prompt": _text(True),
            "n_prompt": _text(),
            "path": _choice(
                "toonyou_beta3.safetensors",
                "lyriel_v16.safetensors",
                "rcnzCartoon3d_v10.safetensors",
                "majicmixRealistic_v5Preview.safetensors",
                "realisticVisionV40_v20Novae.safetensors",
            ),
            "motion_module": _choice("mm_sd_v14", "mm_sd_v15", "mm_sd_v15_v2"),
            "steps": _whole(1, 100),
            "guidance_scale": _number(1, 10),
            "seed": _SEED,
        },
        "beecf59c",
    ),
    KnownModel(
        "andreasjansson/stable-diffusion-animation",
        {
            "prompt_start": _text(True),
            "prompt_end": _text(True),
            "width": _choice(128, 256, 384, 448, 512, 576, 640, 704, 768, 832, 896, 960, 1024),
            "height": _choice(128, 256, 384, 448, 512, 576, 640, 704, 768, 832, 896, 960, 1024),
            "num_inference_steps": _whole(1, 500),
            "prompt_strength": _number(0, 1),
            "num_animation_frames": _whole(2, 50),
            "num_interpolation_steps": _whole(1, 50),
            "guidance_scale": _number(1, 20),
            "gif_frames_per_second": _whole(1, 50),
            "gif_ping_pong": _FLAG,
            "film_interpolation": _FLAG,
            "intermediate_output": _FLAG,
            "output_format": _choice("gif", "mp4"),
            "seed": _SEED,
        },
        "ca1f5e30",
    ),
    KnownModel(
        "sujaykhandekar/object-removal",
        {"image_path": _NEEDED_FILE, "objects_to_remove": _text()},
        "153b0087",
    ),
    KnownModel("cjwbw/rembg", {"image": _NEEDED_FILE}, "fb8af171", offline=_NO_OFFLINE_REMBG),
    KnownModel(
        "minimax/video-01",
        {"prompt": _text(True), "prompt_optimizer": _FLAG, "first_frame_image": _FILE, "subject_reference": _FILE},
    ),
    KnownModel(
        "minimax/video-01-live",
        {"prompt": _text(True), "first_frame_image": _NEEDED_FILE, "prompt_optimizer": _FLAG},
    ),
    KnownModel(
        "recraft-ai/recraft-v3",
        {"prompt": _text(True), "size": _RECRAFT_SIZES, "aspect_ratio": _text(), "style": _text()},
    ),
    KnownModel(
        "recraft-ai/recraft-v3-svg",
        {
            "prompt": _text(True),
            "size": _RECRAFT_SIZES,
            "aspect_ratio": _text(),
            "style": _choice("any", "engraving", "line_art", "line_circuit", "linocut"),
        },
    ),
    KnownModel(
        "ideogram-ai/ideogram-v2-turbo",
        {
            "prompt": _text(True),
            "negative_prompt": _text(),
            "aspect_ratio": _text(),
            "resolution": _text(),
            "style_type": _choice("None", "Auto", "General", "Realistic", "Design", "Render 3D", "Anime"),
            "magic_prompt_option": _choice("Auto", "On", "Off"),
            "image": _FILE,
            "mask": _FILE,
            "seed": _SEED,
        },
    ),
)

_BY_NAME = {model.name: model for model in KNOWN_MODELS}


def by_name(name: str) -> KnownModel | None:
    return _BY_NAME.get(name)


def by_version(version: str) -> KnownModel | None:
    """The version-pinned model whose version starts like ``version`` (64 hex digits), if any."""
    return next(
        (m for m in KNOWN_MODELS if m.version_prefix is not None and version.startswith(m.version_prefix)), None
    )
