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

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

__all__ = [
    "BootstrapAccount",
    "BootstrapChannel",
    "BootstrapKey",
    "BootstrapPrice",
    "FilesSettings",
    "ImagesSettings",
    "RelaySettings",
    "ServerSettings",
    "Settings",
    "TaskSettings",
    "WebhookSettings",
    "load_settings",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSettings(_Frozen):
    host: str = "127.0.0.1"
    port: int = 3000
    max_body_bytes: int = 20 * 1024 * 1024
    forwarded_allow_ips: str = ""
    """Proxies whose X-Forwarded-For is trusted for the client address (uvicorn syntax)."""
    public_url: str | None = None
    """The gateway's URL as clients and upstreams reach it (image links, upstream callbacks).
    Unset: taken from each submit request's own URL."""


class RelaySettings(_Frozen):
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
    """Reservations older than this with no settlement are released at start-up.
    Keep it above ``max_request_s``, so a call still running elsewhere is never released."""


class TaskSettings(_Frozen):
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


class WebhookSettings(_Frozen):
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


class FilesSettings(_Frozen):
    max_bytes: int = 512 * 1024 * 1024
    """Largest file ``POST /v1/files`` accepts; a larger upload gets 413 and leaves nothing stored."""


class ImagesSettings(_Frozen):
    chat_models: list[str] = Field(default_factory=list)
    """Image models also offered through ``/v1/chat/completions``: the images come back as markdown links."""


class WriterSettings(_Frozen):
    flush_interval_s: float = 0.2
    batch_size: int = 2000


class BootstrapAccount(_Frozen):
    name: str
    balance: int = 0
    """Micro-units credited when the account is first created."""
    group: str = "default"


class BootstrapKey(_Frozen):
    account: str
    name: str
    key: str
    """The key itself (``sk-...``); only its hash is stored."""
    models: list[str] | None = None
    rpm: int | None = None
    tpm: int | None = None
    max_concurrency: int | None = None
    spend_cap: int | None = None


class BootstrapChannel(_Frozen):
    name: str
    type: str = "openai"
    base_url: str
    secrets: list[str] = Field(default_factory=list)
    models: list[str]
    model_map: dict[str, str] = Field(default_factory=dict)
    priority: int = 0
    weight: int = 1
    groups: list[str] = Field(default_factory=lambda: ["default"])
    timeout_s: float | None = None


class BootstrapPrice(_Frozen):
    model: str
    mode: Literal["per_call", "per_token", "free"] = "per_token"
    per_call: int = 0
    input_per_million: int = 0
    output_per_million: int = 0


class Settings(BaseSettings):
    """Everything omnirelay reads from its environment, in one frozen object."""

    model_config = SettingsConfigDict(env_prefix="OMNIRELAY_", env_nested_delimiter="__", frozen=True, extra="forbid")

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
    server: ServerSettings = ServerSettings()
    relay: RelaySettings = RelaySettings()
    writer: WriterSettings = WriterSettings()
    tasks: TaskSettings = TaskSettings()
    webhooks: WebhookSettings = WebhookSettings()
    files: FilesSettings = FilesSettings()
    images: ImagesSettings = ImagesSettings()
    group_multipliers: dict[str, str] = Field(default_factory=dict)
    accounts: list[BootstrapAccount] = Field(default_factory=list)
    keys: list[BootstrapKey] = Field(default_factory=list)
    channels: list[BootstrapChannel] = Field(default_factory=list)
    prices: list[BootstrapPrice] = Field(default_factory=list)

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
    text = path.read_text(encoding="utf-8")
    if path.suffix in {".yaml", ".yml"}:
        loaded = yaml.safe_load(text) or {}
    else:
        loaded = tomllib.loads(text)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: the configuration file must hold a mapping at its top level")
    return loaded


def _config_path(explicit: Path | None, environ: dict[str, str]) -> Path | None:
    if explicit is not None:
        return explicit
    if environ.get("OMNIRELAY_CONFIG"):
        return Path(environ["OMNIRELAY_CONFIG"])
    candidate = Path(environ.get("OMNIRELAY_HOME", "data")) / "omnirelay.toml"
    return candidate if candidate.exists() else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the configuration file and the environment once into a frozen :class:`Settings`."""
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

    loaded = _Loaded(**overrides)
    return Settings.model_validate(loaded.model_dump())
