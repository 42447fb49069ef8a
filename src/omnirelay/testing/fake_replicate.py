"""A faithful fake of the Replicate HTTP API (spec §1), with knobs for relay tests.

Create by version (``POST /v1/predictions``), by model path and by deployment; get, cancel and
list (cursor pages, newest first); the account's webhook signing secret. Every route also answers
under ``/replicate/v1/...``, as aggregators re-expose the API. Predictions really walk
``starting -> processing -> succeeded | failed`` on the server's loop, honour ``Prefer: wait[=N]``
and ``Cancel-After``, and send Standard Webhooks-signed webhooks (``webhook_events_filter``,
``output``/``logs`` throttled, ``completed`` retried). Outputs are real files the fake serves
under ``/files/`` (PNG/WebP/JPEG images, an MP4 or GIF for video models, SVG for recraft-v3-svg)::

    fake = FakeReplicate(FakeReplicateKnobs(start_s=0.05, run_s=0.1, api_token="r8_test"))
    with serve_in_thread(fake.app) as url:
        client = replicate.Client(api_token="r8_test", base_url=url)
        output = client.run("black-forest-labs/flux-schnell", input={"prompt": "a red fox"})
        ...  # flip fake.knobs.queue_full / fail_next / hold between calls, read fake.predictions
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omnirelay.testing._fake_replicate_engine import FakePrediction, ReplicateEngine, new_id
from omnirelay.testing._fake_replicate_knobs import FakeReplicateKnobs
from omnirelay.testing._fake_replicate_media import MEDIA_TYPES, render
from omnirelay.testing._fake_replicate_models import GENERIC, ModelSpec, by_name, by_version
from omnirelay.testing._fake_replicate_webhooks import DEFAULT_EVENTS, HookState
from omnirelay.testing._fake_replicate_wire import Problem, cancel_after_s, checked_body, prefer_wait_s, required_inputs
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeReplicate", "FakeReplicateKnobs", "run_fake_replicate"]

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MODEL = re.compile(r"[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*", re.IGNORECASE)
_NOT_FOUND = Problem(404, "Not found", "The requested resource could not be found.")
Handler = Callable[[Request, Any], Awaitable[Response]]


class FakeReplicate:
    def __init__(self, knobs: FakeReplicateKnobs | None = None) -> None:
        self.engine = ReplicateEngine(knobs or FakeReplicateKnobs())
        self.requests: list[RecordedRequest] = []
        self.app = Starlette(routes=self._routes(), lifespan=self._lifespan)

    @property
    def knobs(self) -> FakeReplicateKnobs:
        return self.engine.knobs

    @knobs.setter
    def knobs(self, knobs: FakeReplicateKnobs) -> None:
        self.engine.knobs = knobs

    @property
    def predictions(self) -> dict[str, dict[str, Any]]:
        """Every prediction as ``GET /v1/predictions/{id}`` shows it (copies)."""
        return {key: p.to_json() for key, p in list(self.engine.predictions.items())}

    @property
    def webhook_deliveries(self) -> list[Any]:
        """Every webhook POST so far (:class:`~._fake_replicate_webhooks.Delivery`), retries included."""
        return list(self.engine.webhooks.deliveries)

    def release(self) -> None:
        """Let every prediction held by ``knobs.hold`` so far end."""
        self.engine.release()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.engine.close()

    def _routes(self) -> list[Route]:
        api: list[tuple[str, str, Handler]] = [
            ("/v1/predictions", "POST", self._by_version),
            ("/v1/models/{owner}/{name}/predictions", "POST", self._by_model),
            ("/v1/deployments/{owner}/{name}/predictions", "POST", self._by_deployment),
            ("/v1/predictions", "GET", self._list),
            ("/v1/predictions/{id}", "GET", self._get),
            ("/v1/predictions/{id}/cancel", "POST", self._cancel),
            ("/v1/webhooks/default/secret", "GET", self._secret),
            ("/v1/models/{owner}/{name}/versions/{id}", "GET", self._version),
        ]
        routes = [
            Route(prefix + path, self._endpoint(handler), methods=[method])
            for path, method, handler in api
            for prefix in ("", "/replicate")
        ]
        routes.append(Route("/files/{id}/{name}", self._file, methods=["GET"]))
        return routes

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body = await record_json(request, self.requests)
            try:
                self._authorize(request)
                if self.knobs.latency_s > 0:
                    await asyncio.sleep(self.knobs.latency_s)
                return await handler(request, body)
            except Problem as problem:
                return problem.response()

        return endpoint

    def _authorize(self, request: Request) -> None:
        token = self.knobs.api_token
        given = request.headers.get("authorization", "")
        if token is not None and given not in (f"Bearer {token}", f"Token {token}"):
            raise Problem(401, "Unauthenticated", "You did not pass a valid authentication token")

    def _admit(self) -> None:
        """The account-level refusals of a create, before its body is read."""
        knobs = self.knobs
        if knobs.queue_full:
            raise Problem(
                429, "Request was throttled", "Request was throttled. Expected available in 1 second.", retry_after=1
            )
        if knobs.out_of_credit:
            detail = (
                "You have insufficient credit to run this model. "
                "Go to https://replicate.com/account/billing to purchase credit."
            )
            raise Problem(402, "Insufficient credit", detail)
        if knobs.error_next > 0:
            knobs.error_next -= 1
            raise Problem(500, "Internal server error", "The fake upstream was told to fail this create (error_next).")

    async def _by_version(self, request: Request, body: Any) -> Response:
        self._admit()
        checked = checked_body(body, with_version=True)
        model, version = _resolved(checked["version"])
        return await self._create(request, checked, model, version, None)

    async def _by_model(self, request: Request, body: Any) -> Response:
        self._admit()
        checked = checked_body(body, with_version=False)
        model = by_name(f"{request.path_params['owner']}/{request.path_params['name']}")
        return await self._create(request, checked, model, "hidden" if model.prefix is None else model.version, None)

    async def _by_deployment(self, request: Request, body: Any) -> Response:
        self._admit()
        checked = checked_body(body, with_version=False)
        deployment = f"{request.path_params['owner']}/{request.path_params['name']}"
        runs = self.knobs.deployments.get(deployment)
        model = by_name(runs) if runs else ModelSpec(GENERIC.name, GENERIC.output, GENERIC.many, prefix="de91033e")
        return await self._create(request, checked, model, model.version, deployment)

    async def _create(
        self, request: Request, body: dict[str, Any], model: ModelSpec, version: str, deployment: str | None
    ) -> Response:
        wait = prefer_wait_s(request.headers.get("prefer"))
        cancel_after = cancel_after_s(request.headers.get("cancel-after"), self.knobs.min_cancel_after_s)
        required_inputs(model, body["input"])
        prediction = FakePrediction(
            id=new_id(),
            seq=0,
            model=model,
            version=version,
            input=body["input"],
            base_url=str(request.base_url),
            hooks=HookState(_targets(body)),
            webhook=body.get("webhook"),
            events_filter=body.get("webhook_events_filter"),
            deployment=deployment,
        )
        if cancel_after is not None:
            prediction.deadline = prediction.created_at + cancel_after
        self.engine.start(prediction)
        if wait is not None:
            await self.engine.wait(prediction, wait)
        answer = prediction.to_json()
        status = 201
        if wait is not None and not prediction.finished:
            # Replicate answers a wait that ran out as "starting" whatever the prediction is doing
            # (the official client's run() reads any other status as "outputs are ready").
            status, answer["status"] = 202, "starting"
        return JSONResponse(answer, status_code=status, headers={"Location": answer["urls"]["get"]})

    def _found(self, request: Request) -> FakePrediction:
        prediction = self.engine.predictions.get(request.path_params["id"])
        if prediction is None:
            raise _NOT_FOUND
        return prediction

    async def _get(self, request: Request, body: Any) -> Response:
        return JSONResponse(self._found(request).to_json())

    async def _cancel(self, request: Request, body: Any) -> Response:
        prediction = self._found(request)
        self.engine.cancel(prediction)
        return JSONResponse(prediction.to_json())

    async def _secret(self, request: Request, body: Any) -> Response:
        return JSONResponse({"key": self.knobs.webhook_secret})

    async def _version(self, request: Request, body: Any) -> Response:
        """A model version (the official client's ``run("owner/name:hash")`` reads its output schema)."""
        params = request.path_params
        model = by_name(f"{params['owner']}/{params['name']}")
        if not _HEX64.fullmatch(params["id"]):
            raise _NOT_FOUND
        output = {"type": "array", "items": {"type": "string", "format": "uri"}} if model.many else {"type": "string"}
        schema = {"openapi": "3.0.2", "components": {"schemas": {"Output": output}}}
        created = "2024-01-01T00:00:00.000000Z"
        return JSONResponse(
            {"id": params["id"], "created_at": created, "cog_version": "0.9.0", "openapi_schema": schema}
        )

    async def _list(self, request: Request, body: Any) -> Response:
        query = request.query_params
        after, before = _moment(query.get("created_after")), _moment(query.get("created_before"))
        chosen = [
            p
            for p in sorted(self.engine.predictions.values(), key=lambda p: -p.seq)
            if (after is None or p.created_at > after) and (before is None or p.created_at < before)
        ]
        offset, size = _offset(query.get("cursor")), max(1, self.knobs.page_size)
        base = f"{request.base_url}v1/predictions"
        page = chosen[offset : offset + size]
        more = offset + size < len(chosen)
        return JSONResponse(
            {
                "next": f"{base}?cursor={_cursor(offset + size)}" if more else None,
                "previous": f"{base}?cursor={_cursor(max(0, offset - size))}" if offset > 0 else None,
                "results": [p.to_json() for p in page],
            }
        )

    async def _file(self, request: Request) -> Response:
        await record_json(request, self.requests)
        prediction = self.engine.predictions.get(request.path_params["id"])
        if prediction is None or not any(out.endswith(request.url.path) for out in prediction.outputs):
            return Response(status_code=404)
        name = request.path_params["name"]
        stem, _, extension = name.rpartition(".")
        content = await asyncio.to_thread(render, f"{prediction.id}/{stem}", extension)
        return Response(content, media_type=MEDIA_TYPES.get(extension, "application/octet-stream"))


def _resolved(version: Any) -> tuple[ModelSpec, str]:
    """The model and version a ``version`` field names: ``owner/name``, ``owner/name:hash`` or ``hash``."""
    text = version if isinstance(version, str) else ""
    name, _, digest = text.partition(":")
    if _HEX64.fullmatch(text):
        known = by_version(text)
        return (
            known if known is not None else ModelSpec(GENERIC.name, GENERIC.output, GENERIC.many, prefix=text[:8])
        ), text
    if _MODEL.fullmatch(name) and (not digest or _HEX64.fullmatch(digest)):
        model = by_name(name)
        return model, digest or ("hidden" if model.prefix is None else model.version)
    description = "Invalid version or not permitted"
    raise Problem(
        422,
        "Input validation failed",
        f"- version: {description}",
        [{"type": "format", "field": "version", "description": description}],
    )


def _targets(body: dict[str, Any]) -> list[tuple[str, frozenset[str]]]:
    targets = []
    if isinstance(body.get("webhook"), str):
        events = body.get("webhook_events_filter")
        targets.append((body["webhook"], frozenset(events) if events is not None else DEFAULT_EVENTS))
    if isinstance(body.get("webhook_completed"), str):
        targets.append((body["webhook_completed"], frozenset({"completed"})))
    return targets


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    with contextlib.suppress(ValueError):
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("o") and text[1:].isdigit():
            return int(text[1:])
    raise Problem(400, "Invalid cursor", f"The cursor {cursor!r} is not one this server gave.")


def _moment(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise Problem(400, "Invalid date", f"{text!r} is not an ISO 8601 date-time.") from exc


def run_fake_replicate(host: str, port: int, knobs: FakeReplicateKnobs) -> None:
    """Blocking: serve a :class:`FakeReplicate` on ``host:port`` (``omnirelay fake-upstream replicate``)."""
    uvicorn.run(FakeReplicate(knobs).app, host=host, port=port, log_level="warning", access_log=False)
