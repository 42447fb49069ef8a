"""Settings: loaded once (file, then environment on top), frozen, passed down.

Sources, lowest priority first:

1. defaults below;
2. a TOML or YAML file: ``OMNIRELAY_CONFIG`` or ``$OMNIRELAY_HOME/omnirelay.toml`` when it exists;
3. environment variables ``OMNIRELAY_<FIELD>`` with ``__`` between nested names,
   e.g. ``OMNIRELAY_SERVER__PORT=8080``;
4. keyword arguments to :func:`load_settings` (tests and the CLI's flags).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings import SettingsError as EnvParseError

from omnirelay.billing.price_rules import checked_multiplier
from omnirelay.errors import InvalidRequest
from omnirelay.families.task_vendor.config import TaskVendors
from omnirelay.observability.tracing import missing_tracing_packages
from omnirelay.settings_base import Frozen, checked_networks
from omnirelay.settings_declared import BootstrapAccount, BootstrapChannel, BootstrapKey, BootstrapPrice
from omnirelay.settings_errors import (
    SettingProblem,
    SettingsError,
    from_env_parse_error,
    from_parse_error,
    from_validation_error,
)

__all__ = [
    "BillingSettings",
    "BootstrapAccount",
    "BootstrapChannel",
    "BootstrapKey",
    "BootstrapPrice",
    "ConsoleSettings",
    "FilesSettings",
    "ImagesSettings",
    "LocalSettings",
    "LogSettings",
    "OutboundSettings",
    "RelaySettings",
    "ResponsesSettings",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "TaskSettings",
    "TracingSettings",
    "WebhookSettings",
    "default_settings_file",
    "load_settings",
    "settings_file",
]


_ENV_PREFIX = "OMNIRELAY_"


class ServerSettings(Frozen):
    host: str = "127.0.0.1"
    port: int = 3000
    max_body_bytes: int = 20 * 1024 * 1024
    forwarded_allow_ips: str = ""
    """Proxies whose X-Forwarded-For is trusted for the client address (uvicorn syntax)."""
    public_url: str | None = None
    """The gateway's URL as clients and upstreams reach it (MJ media links, upstream callbacks).
    Unset: ``http://`` and the address of the socket each submit arrived on (never a request
    header, so a client cannot point links or callbacks at another host)."""
    max_header_bytes: int = Field(default=64 * 1024, ge=1024)
    """Largest request line plus headers; a larger request head gets 431 and the connection is closed."""
    max_headers: int = Field(default=100, ge=1)
    """Most header fields in one request; more get 431."""
    header_timeout_s: float = Field(default=10.0, gt=0)
    """Time a client has to send a whole request head (from connecting, or from the first byte of
    a further request on a kept-alive connection); slower clients get 408 and are dropped."""
    keep_alive_timeout_s: float = Field(default=5.0, gt=0)
    """An idle kept-alive connection is closed after this long."""
    max_connections: int | None = Field(default=None, ge=1)
    """Client connections one gateway process serves at once (idle kept-alive ones included); a request
    arriving past it gets 503 and its connection is closed. Unset: half the process's open-file limit
    (``ulimit -n``), so each connection has room for its upstream connection (docs/operate-deploy.md)."""
    workers: int = Field(default=1, ge=1, le=64)
    """Gateway processes serving the port (``omnirelay serve --workers``); more than 1 needs PostgreSQL
    (and should have ``redis_url``): docs/operate-scale-out.md."""
    shutdown_grace_s: int = Field(default=30, ge=0, le=3600)
    """On SIGTERM: seconds requests and streams in flight may take to finish before they are cut."""

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"{value!r} must be an http(s) URL without query, such as 'https://gw.example.com'")
        return value


class RelaySettings(Frozen):
    retries: int = 2
    """Further channels tried after the first one fails, before any byte reached the client."""
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 300.0
    breaker_failures: int = 5
    breaker_cooldown_s: float = 30.0
    probe_interval_s: float = 60.0
    default_output_tokens: int = 4096
    """Output tokens reserved when a chat request sets no max_tokens."""
    max_request_s: float = 600.0
    """Hard limit on one upstream call, streams included (then it fails and is refunded)."""
    reservation_timeout_s: float = 900.0
    """Reservations written before owners were recorded (schema 0005) and older than this with no
    settlement are released at start-up. Newer ones are released when their owner's lease
    (``billing.lease_s``) runs out, never while it lives, however long the call runs."""
    client_write_timeout_s: float = Field(default=30.0, gt=0)
    """Longest one write to a client may wait for it to read. A client that stops reading ends
    its call like a disconnect (what was delivered is billed, its concurrency slot is freed)."""
    affinity_header: str | None = None
    """A request header naming the client's conversation (e.g. ``x-session-id``): such requests stick to
    one channel and upstream key, so provider prompt caches hit. Off when unset."""
    affinity_max_entries: int = Field(default=100_000, ge=1)
    """Conversations whose channel this process remembers (least recently used dropped first)."""
    affinity_ttl_s: float = Field(default=3600.0, gt=0)
    """A conversation unused this long is forgotten (in memory and in Redis)."""
    limits_on_redis_outage: Literal["local", "refuse"] = "local"
    """With ``redis_url``, key limits (rpm, tpm, concurrency) are counted in Redis. While it is
    unreachable: ``local`` counts them in this process (fail-open to per-process limits);
    ``refuse`` answers 503 ``limits_unavailable`` to keys that have a limit (fail-closed)."""


class TaskSettings(Frozen):
    worker: bool = True
    """Run the engine's loops (polling, timeouts) in this process. On SQLite keep one worker."""
    timeout_s: float = 3600.0
    """A task not finished this long after submission fails and is refunded."""
    poll_min_s: float = 1.0
    poll_max_s: float = 15.0
    """Polling backs off from the minimum to the maximum interval while nothing changes."""
    poll_batch: int = 200
    lease_s: float = 30.0
    """How long a worker owns a task it is polling; another worker takes over after that."""
    sweep_interval_s: float = 5.0
    max_image_bytes: int = 10 * 1024 * 1024
    """Largest decoded image accepted in a submit (base64 fields)."""


class WebhookSettings(Frozen):
    worker: bool = True
    retry_schedule_s: list[float] = Field(
        default_factory=lambda: [5.0, 30.0, 300.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 28800.0]
    )
    """Delay before each retry after the first attempt (the default ends about 24 h later)."""
    timeout_s: float = 15.0
    concurrency: int = 64
    batch: int = 200
    allow_networks: list[str] = Field(default_factory=list)
    """Private ranges deliveries may reach anyway, e.g. ``["127.0.0.1/32"]`` (tests, on-prem receivers)."""

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return checked_networks(value)


class OutboundSettings(Frozen):
    """Fetches of links an upstream gave (Midjourney images and videos): see docs/security.md."""

    allow_networks: list[str] = Field(default_factory=list)
    """Private ranges such links may lead to anyway, e.g. ``["10.0.0.0/8"]`` for a Midjourney-Proxy on
    the operator's network that serves its files from there (tests: ``["127.0.0.1/32"]``)."""
    max_media_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    """Largest image or video relayed; a longer one is cut off (a stated larger length is refused at once)."""
    max_redirects: int = Field(default=3, ge=0, le=10)
    """Redirects followed, each hop checked like the first URL."""
    max_decompression_ratio: int = Field(default=20, ge=1)
    """A compressed answer may inflate at most this many times its size; beyond, it is dropped."""

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return checked_networks(value)


class FilesSettings(Frozen):
    max_bytes: int = 512 * 1024 * 1024
    """Largest file ``POST /v1/files`` accepts; a larger upload gets 413 and leaves nothing stored."""


class ImagesSettings(Frozen):
    chat_models: list[str] = Field(default_factory=list)
    """Image models also offered through ``/v1/chat/completions``: the images come back as markdown links."""
    max_files: int = Field(default=16, ge=1, le=100)
    """Most image files one ``/v1/images/edits`` or ``/variations`` request may upload (gpt-image-1 takes 16);
    one more is a 400 before anything is forwarded."""


class LocalSettings(Frozen):
    """Limits of the built-in ``local`` provider's offline models, per gateway process."""

    max_concurrency: int = Field(default=4, ge=1, le=256)
    """Local-model calls (embeddings, rerank, describe, speech, chat) running at once; each runs in a thread."""
    max_queue: int = Field(default=64, ge=0)
    """Calls waiting for a turn; one more is refused at once with 503 and ``Retry-After``."""
    max_image_pixels: int = Field(default=24_000_000, ge=1_000_000)
    """Largest picture ``mj_describe`` decodes at full size, in pixels. JPEGs are decoded at 1/2 to 1/8 scale,
    and the reduced size is what counts, so larger JPEGs are described too."""


class LogSettings(Frozen):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["console", "json"] = "console"
    """``console``: aligned, readable lines; ``json``: one JSON object per line, for log shippers."""
    access: bool = True
    """One line per request: method, path, status, duration, request id, account, key id, model."""

    @field_validator("level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class MetricsSettings(Frozen):
    """``GET /metrics`` (Prometheus text format): docs/operate-observability.md."""

    enabled: bool = True
    token: str | None = None
    """When set, a scrape must send ``Authorization: Bearer <token>``; unset, ``/metrics`` is open
    (it names channels and models, never keys, accounts or amounts per account)."""
    workers_interval_s: float = Field(default=1.0, gt=0, le=60)
    """With ``server.workers`` > 1: how often each worker shares its counters with the others, so
    the ``/metrics`` of any worker answers the totals of all (at most this much behind)."""


class TracingSettings(Frozen):
    """OpenTelemetry traces sent over OTLP/HTTP (docs/operate-observability.md); off by default.

    Needs the ``tracing`` extra (``pip install 'omnirelay[tracing]'``)."""

    enabled: bool = False
    otlp_endpoint: str | None = None
    """The collector's OTLP/HTTP base URL, e.g. ``http://otel-collector:4318`` (``/v1/traces`` is added).
    Unset: ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else ``OTEL_EXPORTER_OTLP_ENDPOINT``, else
    ``http://localhost:4318``, as every OpenTelemetry SDK reads them."""
    service_name: str = Field(default="omnirelay", min_length=1, max_length=200)
    """``service.name`` of every span (``OTEL_RESOURCE_ATTRIBUTES`` adds more resource attributes)."""
    sample_ratio: float = Field(default=1.0, ge=0, le=1, allow_inf_nan=False)
    """Share of new traces recorded (0.1: one in ten); a client's ``traceparent`` decision is followed."""

    @field_validator("otlp_endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} must be an http(s) URL such as 'http://otel-collector:4318'")
        return value

    @model_validator(mode="after")
    def _installed(self) -> TracingSettings:
        missing = missing_tracing_packages() if self.enabled else []
        if missing:
            raise ValueError(
                f"tracing is enabled but OpenTelemetry is not installed (missing: {', '.join(missing)}): "
                "install the tracing extra (pip install 'omnirelay[tracing]') or set tracing.enabled = false"
            )
        return self


class BillingSettings(Frozen):
    overage_tolerance: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    """How far above its hold one call may be charged, as a fraction of the hold (0.1: 10% more).
    0: a call never costs more than was held for it; what its usage cost beyond that is not
    charged but logged (``unbilled`` on the request log, and a warning)."""
    lease_s: float = Field(default=30.0, gt=0)
    """A gateway process owns its reservations while it renews its lease (every ``lease_s / 6``);
    once a lease is this old the holds of that process are released by any other (or the next start)."""
    reconcile_interval_s: float = Field(default=60.0, gt=0)
    """With Redis: every this often all live counters are checked against the ledger (and repaired);
    after a Redis error the accounts it touched are repaired as soon as Redis answers again."""


class WriterSettings(Frozen):
    flush_interval_s: float = 0.2
    batch_size: int = 2000


class ResponsesSettings(Frozen):
    retention_days: float = Field(default=30.0, gt=0, le=3650)
    """How long the gateway keeps the Responses API objects it stores itself (``store`` not false on a
    chat-only upstream, and the ids of responses an upstream keeps); expired ones are deleted hourly."""


class ConsoleSettings(Frozen):
    """The web console and the platform API (docs/console.md, docs/api-platform.md)."""

    signup: Literal["open", "invite", "closed"] = "closed"
    """Who may create an account: anyone (``open``), holders of an invite code (``invite``), nobody
    (``closed``: the operator creates users with ``omnirelay users create``)."""
    session_ttl_s: float = Field(default=7 * 86400.0, ge=60, le=365 * 86400.0)
    """How long a console sign-in lasts."""
    token_ttl_s: float = Field(default=90 * 86400.0, ge=60, le=3650 * 86400.0)
    """How long a personal access token (``POST /api/v1/auth/login`` with ``"token": true``) lasts."""
    login_failures_per_user: int = Field(default=5, ge=1)
    """Failed sign-ins one user name may have in ``login_window_s`` before more are refused (429)."""
    login_failures_per_ip: int = Field(default=20, ge=1)
    """Failed sign-ins one client address may have in ``login_window_s`` before more are refused (429)."""
    login_window_s: float = Field(default=900.0, gt=0)
    micro_units_per_unit: int = Field(default=1_000_000, ge=1, le=10**12)
    """How many micro-units one displayed money unit is (``1000000``: balances show as ``$1.50``)."""
    money_symbol: str = Field(default="$", min_length=1, max_length=8)
    """The symbol shown before amounts, e.g. ``$`` or ``¥``."""
    default_language: Literal["en", "zh-CN"] = "en"
    """The console's language until a visitor picks one (kept in a cookie)."""


class Settings(BaseSettings):
    """Everything omnirelay reads from its environment, in one frozen object."""

    model_config = SettingsConfigDict(env_prefix=_ENV_PREFIX, env_nested_delimiter="__", frozen=True, extra="forbid")

    home: Path = Path("data")
    database_url: str | None = None
    """SQLAlchemy async URL; default ``sqlite+aiosqlite:///$OMNIRELAY_HOME/omnirelay.db``."""
    redis_url: str | None = None
    """When set: live balances, key spend and cache invalidation are shared through Redis."""
    redis_prefix: str = "omnirelay"
    """Prefix of every Redis key and channel (several deployments can share one Redis)."""
    secret_key: str | None = None
    """Fernet key for upstream secrets at rest; default: generated into ``$OMNIRELAY_HOME/secret.key``."""
    admin_key: str | None = None
    """Declared admin key (``sk-...``); when unset the first start creates one and prints it."""
    cache_refresh_s: float = 1.0
    local_provider: bool = True
    """Create the built-in ``local`` channel (offline models, free by default) when it is missing."""
    local_models: list[str] | None = None
    """The models the ``local`` channel serves, made so at every start. Unset: every local model, except
    those an operator removed (a model is added once, when a version brings it)."""
    local_fallback: bool | None = None
    """``true``: the ``local`` channel is also a failover target for models other channels serve.
    ``false``: only for models no other channel serves (the default of a new channel). Unset: as stored."""
    server: ServerSettings = ServerSettings()
    relay: RelaySettings = RelaySettings()
    writer: WriterSettings = WriterSettings()
    billing: BillingSettings = BillingSettings()
    tasks: TaskSettings = TaskSettings()
    webhooks: WebhookSettings = WebhookSettings()
    outbound: OutboundSettings = OutboundSettings()
    files: FilesSettings = FilesSettings()
    images: ImagesSettings = ImagesSettings()
    responses: ResponsesSettings = ResponsesSettings()
    local: LocalSettings = LocalSettings()
    log: LogSettings = LogSettings()
    metrics: MetricsSettings = MetricsSettings()
    tracing: TracingSettings = TracingSettings()
    console: ConsoleSettings = ConsoleSettings()
    group_multipliers: dict[str, str] = Field(default_factory=dict)
    accounts: list[BootstrapAccount] = Field(default_factory=list)
    keys: list[BootstrapKey] = Field(default_factory=list)
    channels: list[BootstrapChannel] = Field(default_factory=list)
    prices: list[BootstrapPrice] = Field(default_factory=list)
    task_vendors: TaskVendors = Field(default_factory=list)
    """Declared "submit, then poll" vendors (docs/operate-task-vendors.md); more through the admin API."""

    @field_validator("group_multipliers")
    @classmethod
    def _bounded_multipliers(cls, value: dict[str, str]) -> dict[str, str]:
        for group, multiplier in value.items():
            try:
                checked_multiplier(group, multiplier)
            except InvalidRequest as exc:
                raise ValueError(exc.message) from exc
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.home.resolve() / 'omnirelay.db'}"


class _FileSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        loaded = (yaml.safe_load(text) or {}) if path.suffix in {".yaml", ".yml"} else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise from_parse_error(path, exc) from exc
    if not isinstance(loaded, dict):
        raise SettingsError(path, [SettingProblem(str(path), "", "must hold a mapping of settings at its top level")])
    return loaded


def _config_path(explicit: Path | None, environ: dict[str, str]) -> Path | None:
    if explicit is not None:
        return explicit
    if environ.get("OMNIRELAY_CONFIG"):
        return Path(environ["OMNIRELAY_CONFIG"])
    candidate = default_settings_file()
    return candidate if candidate.exists() else None


def default_settings_file() -> Path:
    """``$OMNIRELAY_HOME/omnirelay.toml``: read when it exists and no other file is named."""
    return Path(os.environ.get("OMNIRELAY_HOME", "data")) / "omnirelay.toml"


def settings_file(explicit: Path | None = None) -> Path | None:
    """The file :func:`load_settings` reads: ``explicit``, ``OMNIRELAY_CONFIG`` or the default, if any."""
    return _config_path(explicit, dict(os.environ))


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the configuration file and the environment once into a frozen :class:`Settings`.

    Raises :class:`~omnirelay.settings_errors.SettingsError` naming every invalid setting.
    """
    environ = dict(os.environ)
    path = _config_path(config_file, environ)
    file_data = _read_file(path) if path is not None else {}

    class _Loaded(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, _FileSource(settings_cls, file_data))

    try:
        loaded = _Loaded(**overrides)
        return Settings.model_validate(loaded.model_dump())
    except ValidationError as exc:
        raise from_validation_error(exc, Settings, path, environ, _ENV_PREFIX) from exc
    except EnvParseError as exc:
        raise from_env_parse_error(exc, environ, _ENV_PREFIX) from exc
