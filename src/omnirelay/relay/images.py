"""Images end to end: check, price per image, reserve, route with failover, deliver, settle.

A request is billed by the first price that exists among ``{model}:{size}:{quality}``,
``{model}:{size}`` and ``{model}`` (only the parts the request names). A per-call price is
per image: ``n`` images are reserved before the call and the images returned are settled
(never more than ``n``); a per-token price bills the upstream's reported usage.

Images are delivered as the client asked (``response_format``), else in the upstream's own
format. ``b64_json`` is inline; ``url`` is a link to a copy kept in the account's files
(purpose ``image``), signed so it opens without a key: never the upstream's own link.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest
from omnirelay.files.published import IMAGE_CONTENT_PATH, PublishedImages
from omnirelay.integers import whole_number
from omnirelay.providers.base import GeneratedImage, ImagesProvider, ImagesResult, ImageUpload, Usage
from omnirelay.providers.registry import capable
from omnirelay.relay.auth import Caller
from omnirelay.relay.chat import upstream_call
from omnirelay.relay.gate import Gate, JobRequest, as_failure
from omnirelay.relay.job import Job

__all__ = [
    "IMAGE_CONTENT_PATH",
    "ImageRequest",
    "ImagesOutcome",
    "ImagesRelay",
    "form_image_request",
    "generation_request",
    "price_names",
]

_MAX_IMAGES = 10
_NO_IMAGE_CHANNEL = (
    "No channel can generate images for the model `{model}`: the built-in local provider has no offline "
    "text-to-image model. An upstream image channel is required, for example an OpenAI-compatible channel "
    "serving dall-e-3 or gpt-image-1."
)


@dataclass(frozen=True, slots=True)
class ImageRequest:
    operation: str
    """``generations``, ``edits`` or ``variations``."""
    model: str
    body: dict[str, Any]
    """What goes upstream besides the files (the model name is the channel's)."""
    files: tuple[ImageUpload, ...]
    n: int
    size: str | None
    quality: str | None
    response_format: str | None
    body_size: int


@dataclass(frozen=True, slots=True)
class ImagesOutcome:
    created: int
    data: list[dict[str, Any]]
    extra: dict[str, Any]
    usage: Usage | None

    def to_wire(self) -> dict[str, Any]:
        """The OpenAI ``ImagesResponse``."""
        return {"created": self.created, "data": self.data, **self.extra}


def _count(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, str):  # a multipart form field
        return whole_number(value, "n", low=1, high=_MAX_IMAGES)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_IMAGES:
        raise InvalidRequest(f"'n' must be an integer between 1 and {_MAX_IMAGES}.", param="n")
    return value


def _text(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"'{name}' must be a non-empty string.", param=name)
    return value


def _checked(operation: str, body: Mapping[str, Any], files: tuple[ImageUpload, ...], size: int) -> ImageRequest:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("You must provide a model parameter.", param="model")
    if operation != "variations":
        _text(body, "prompt", required=True)
    if body.get("stream") in (True, "true"):
        raise InvalidRequest("Streamed image generation is not supported by this gateway.", param="stream")
    response_format = _text(body, "response_format")
    if response_format not in (None, "url", "b64_json"):
        raise InvalidRequest("'response_format' must be 'url' or 'b64_json'.", param="response_format")
    return ImageRequest(
        operation=operation,
        model=model,
        body=dict(body),
        files=files,
        n=_count(body.get("n")),
        size=_text(body, "size"),
        quality=_text(body, "quality"),
        response_format=response_format,
        body_size=size,
    )


def generation_request(body: Any, size: int) -> ImageRequest:
    """A ``POST /v1/images/generations`` JSON body, checked."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return _checked("generations", body, (), size)


def form_image_request(
    operation: str, fields: Mapping[str, str], files: tuple[ImageUpload, ...], size: int
) -> ImageRequest:
    """An edit or variation form, checked: it needs an ``image`` (or ``image[]``) file."""
    if not any(f.field in ("image", "image[]") for f in files):
        raise InvalidRequest("Missing required parameter: 'image' (a multipart file part).", param="image")
    return _checked(operation, fields, files, size)


def price_names(model: str, size: str | None, quality: str | None) -> list[str]:
    """Price names to look up, most specific first."""
    names = [f"{model}:{size}:{quality}"] if size and quality else []
    if size:
        names.append(f"{model}:{size}")
    return [*names, model]


class ImagesRelay:
    def __init__(
        self,
        *,
        gate: Gate,
        catalog: Catalog,
        providers: Mapping[str, object],
        published: PublishedImages,
        output_tokens_per_image: int,
    ) -> None:
        self._gate = gate
        self._catalog = catalog
        self._providers = providers
        self._published = published
        self._output_tokens = output_tokens_per_image

    def _can_draw(self, channel: Channel) -> bool:
        return capable(self._providers, channel.type, ImagesProvider) is not None

    def _check_channels(self, model: str) -> None:
        """A clear 400 when no channel could draw: the model's own, or any at all for an unknown model."""
        snapshot = self._catalog.snapshot
        serving = snapshot.by_model.get(model, [])
        if any(self._can_draw(c) for c in serving):
            return
        if serving or not any(self._can_draw(c) for c in snapshot.channels.values()):
            raise InvalidRequest(_NO_IMAGE_CHANNEL.format(model=model), param="model", code="no_image_channel")

    async def begin(self, caller: Caller, request: ImageRequest, request_id: str, endpoint: str) -> Job:
        """Check the model's channels and price, admit and reserve ``n`` images."""
        self._check_channels(request.model)
        prices = self._catalog.snapshot.prices
        names = price_names(request.model, request.size, request.quality)
        price_name = next((name for name in names if name in prices), request.model)
        job_request = JobRequest(
            endpoint,
            request.model,
            request.body_size,
            self._output_tokens * request.n,
            price_name=price_name,
            calls=request.n,
        )
        return await self._gate.open_job(caller, job_request, request_id)

    async def create(self, job: Job, request: ImageRequest, base_url: str) -> ImagesOutcome:
        """Relay, deliver and settle; the job is settled or refunded before this returns."""

        async def attempt(provider: ImagesProvider, channel: Channel) -> ImagesResult:
            body = {**request.body, "model": channel.upstream_model(job.model)}
            return await provider.create_images(upstream_call(channel, body), request.operation, request.files)

        result = await self._gate.run(job, ImagesProvider, attempt)
        images = result.images[: request.n]
        try:
            data = await self._deliver(job.caller, request, result, images, base_url)
        except BaseException as exc:
            await job.fail(as_failure(exc))
            raise
        await job.succeed(result.usage or Usage(0, 0), calls=len(images))
        return ImagesOutcome(result.created, data, result.extra, result.usage)

    async def _deliver(
        self,
        caller: Caller,
        request: ImageRequest,
        result: ImagesResult,
        images: tuple[GeneratedImage, ...],
        base_url: str,
    ) -> list[dict[str, Any]]:
        wanted = request.response_format or ("url" if result.linked else "b64_json")
        owner = str(caller.key.account_id)
        data: list[dict[str, Any]] = []
        for index, image in enumerate(images):
            if wanted == "b64_json":
                item: dict[str, Any] = {"b64_json": base64.b64encode(image.data).decode()}
            else:
                item = {"url": await self._link(owner, index, image, base_url)}
            if image.revised_prompt is not None:
                item["revised_prompt"] = image.revised_prompt
            data.append(item)
        return data

    async def _link(self, owner: str, index: int, image: GeneratedImage, base_url: str) -> str:
        return await self._published.publish(owner, image.data, image.content_type, base_url, f"image-{index + 1}")
