"""Table definitions (SQLAlchemy Core). Times are epoch milliseconds; money is integer micro-units."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "account_webhooks",
    "accounts",
    "admin_tokens",
    "api_keys",
    "channels",
    "config_revision",
    "dead_letters",
    "group_multipliers",
    "idempotency_keys",
    "instances",
    "invite_codes",
    "ledger_entries",
    "metadata",
    "prices",
    "redemption_codes",
    "request_logs",
    "stored_responses",
    "task_vendors",
    "tasks",
    "user_sessions",
    "users",
    "webhook_attempts",
    "webhook_deliveries",
]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("group", sa.String(100), nullable=False, server_default="default"),
    sa.Column("balance", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("key_hint", sa.String(20), nullable=False),
    sa.Column("models", sa.JSON, nullable=True),
    sa.Column("ip_allowlist", sa.JSON, nullable=True),
    sa.Column("expires_at", sa.BigInteger, nullable=True),
    sa.Column("spend_cap", sa.BigInteger, nullable=True),
    sa.Column("spent", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rpm", sa.Integer, nullable=True),
    sa.Column("tpm", sa.Integer, nullable=True),
    sa.Column("max_concurrency", sa.Integer, nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("deleted_at", sa.BigInteger, nullable=True),
    # set when the account's owner deleted the key (console, platform API): disabled and no longer
    # listed to them; the row stays, so ledger entries and logs keep pointing at something
)

admin_tokens = sa.Table(
    "admin_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

prices = sa.Table(
    "prices",
    metadata,
    sa.Column("model", sa.String(200), primary_key=True),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("per_call", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("input_per_million", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("output_per_million", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("extras", sa.JSON, nullable=True),
    # optional per-kind prices (cache reads/writes, reasoning, audio, image), context tiers and
    # per-call tool surcharges (billing/prices.py); absent on rows written before they existed
)

group_multipliers = sa.Table(
    "group_multipliers",
    metadata,
    sa.Column("group", sa.String(100), primary_key=True),
    sa.Column("multiplier", sa.String(40), nullable=False),
)

channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("base_url", sa.String(500), nullable=False),
    sa.Column("secrets", sa.Text, nullable=False),
    sa.Column("models", sa.JSON, nullable=False),
    sa.Column("model_map", sa.JSON, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
    sa.Column("weight", sa.Integer, nullable=False, server_default="1"),
    sa.Column("groups", sa.JSON, nullable=False),
    sa.Column("timeout_s", sa.Float, nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("auto_disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("last_resort", sa.Boolean, nullable=False, server_default=sa.false()),
    # a last-resort channel serves a model only when no other channel is routed for it
    sa.Column("offered_models", sa.JSON, nullable=True),
    # models the gateway itself gave this channel (the built-in local one); start-up adds only others
    sa.Column("options", sa.JSON, nullable=True),
    # per-type switches (channels/model.py: Channel.options), e.g. {"responses": true}
)

_CLOSED_ONCE = "kind IN ('settle', 'refund', 'release') AND instance IS NOT NULL"
_OWNED_RESERVE = "kind = 'reserve' AND instance IS NOT NULL"

ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("key_id", sa.Integer, nullable=True),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("instance", sa.String(64), nullable=True),
    # the gateway process that wrote the entry (``instances.id``); a reserve's owner. NULL: written
    # before 0005, by the CLI, or by the task engine (whose closes are guarded by the task's version)
    sa.Index(
        "uq_ledger_entries_closing",
        "request_id",
        unique=True,
        sqlite_where=sa.text(_CLOSED_ONCE),
        postgresql_where=sa.text(_CLOSED_ONCE),
    ),
    # a reservation is closed (settle, refund or release) once: the store refuses a second close
    sa.Index(
        "ix_ledger_entries_reserve_instance",
        "instance",
        sqlite_where=sa.text(_OWNED_RESERVE),
        postgresql_where=sa.text(_OWNED_RESERVE),
    ),
)

instances = sa.Table(
    "instances",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("started_at", sa.BigInteger, nullable=False),
    sa.Column("heartbeat_at", sa.BigInteger, nullable=False),
    # renewed by the process every lease_s / 6; 0 once it stopped (billing/instances.py)
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("operation", sa.String(40), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("response", sa.JSON, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    # committed with the operation's ledger entry: a retry is answered ``response``, never done twice
)

request_logs = sa.Table(
    "request_logs",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.BigInteger, nullable=False, index=True),
    sa.Column("account_id", sa.Integer, nullable=True),
    sa.Column("key_id", sa.Integer, nullable=True, index=True),
    sa.Column("endpoint", sa.String(100), nullable=False),
    sa.Column("model", sa.String(200), nullable=True, index=True),
    sa.Column("channel_id", sa.Integer, nullable=True),
    sa.Column("stream", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cost", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("unbilled", sa.BigInteger, nullable=False, server_default="0"),
    # what the usage cost beyond the call's settle bound, not charged (billing/ledger.py)
    sa.Column("latency_ms", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.Integer, nullable=False, index=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("usage", sa.JSON, nullable=True),
    # every token kind the call used and what each cost, so a bill can be explained line by line
    sa.Index("ix_request_logs_account_id_id", "account_id", "id"),
    # an account's own log, newest first, and its spend since a row id (console, platform API)
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    # ``ledger_entry`` or ``request_log``: a write-behind row the store refused (db/deadletters.py)
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
)

config_revision = sa.Table(
    "config_revision",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

_BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("family", sa.String(20), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("key_id", sa.Integer, nullable=True),
    sa.Column("channel_id", sa.Integer, nullable=True),
    sa.Column("upstream_id", sa.String(100), nullable=True),
    sa.Column("parent_id", sa.String(40), nullable=True),
    sa.Column("hold", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("billing", sa.String(12), nullable=False),
    sa.Column("cost", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("fail_reason", sa.Text, nullable=True),
    sa.Column("notify_url", sa.Text, nullable=True),
    sa.Column("submit_time", sa.BigInteger, nullable=False),
    sa.Column("start_time", sa.BigInteger, nullable=True),
    sa.Column("finish_time", sa.BigInteger, nullable=True),
    sa.Column("deadline", sa.BigInteger, nullable=False),
    sa.Column("next_poll_at", sa.BigInteger, nullable=True, index=True),
    sa.Column("poll_interval_ms", sa.Integer, nullable=False, server_default="1000"),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_until", sa.BigInteger, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Index("ix_tasks_channel_upstream", "channel_id", "upstream_id"),
    sa.Index("ix_tasks_account_id_submit_time", "account_id", "submit_time"),
    sa.Index("ix_tasks_submit_time", "submit_time"),
    # every account's tasks, newest first (the operator console)
)

account_webhooks = sa.Table(
    "account_webhooks",
    metadata,
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("url", sa.Text, nullable=True),
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column("message_id", sa.String(80), nullable=False, unique=True),
    sa.Column("task_id", sa.String(40), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("account_id", sa.Integer, nullable=False, index=True),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("headers", sa.Text, nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.BigInteger, nullable=True),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_until", sa.BigInteger, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("delivered_at", sa.BigInteger, nullable=True),
    sa.Index("ix_webhook_deliveries_task_seq", "task_id", "seq"),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column("delivery_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("attempted_at", sa.BigInteger, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=False),
)

stored_responses = sa.Table(
    "stored_responses",
    metadata,
    # Responses API objects the gateway keeps itself (``store``, ``previous_response_id``) when the
    # upstream is chat-only; each belongs to one account and expires after the retention setting
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Integer, nullable=False, index=True),
    sa.Column("key_id", sa.Integer, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=True, index=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("previous_response_id", sa.String(64), nullable=True),
    sa.Column("channel_id", sa.Integer, nullable=True),
    sa.Column("input_items", sa.JSON, nullable=False),
    # the conversation so far as input items: earlier turns' items, then this request's input
    sa.Column("response", sa.JSON, nullable=False),
    # the Response object as the client got it
)

users = sa.Table(
    "users",
    metadata,
    # the people who sign in to the console and the platform API; each acts for one account
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    # stored lower-cased, as is the email: sign-in ignores case
    sa.Column("email", sa.String(254), nullable=True, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    # argon2id (accounts/passwords.py)
    sa.Column("totp_secret", sa.Text, nullable=True),
    # the TOTP seed sealed with the secret key; NULL: no second factor
    sa.Column("totp_last_step", sa.BigInteger, nullable=True),
    # the last 30-second step whose code was accepted: a code is used once
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("password_changed_at", sa.BigInteger, nullable=False),
    sa.Column("operator", sa.Boolean, nullable=False, server_default=sa.false()),
    # an operator also reaches the operator console (/console/admin): every account, channel, price
)

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    # console sessions (cookie) and personal access tokens (bearer); only a hash of the id is kept
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(10), nullable=False),
    # ``cookie`` or ``token``
    sa.Column("stage", sa.String(10), nullable=False),
    # ``full``; ``totp``: the password was right, the second factor is still owed
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("pending_totp", sa.Text, nullable=True),
    # a TOTP seed being enrolled (sealed), until a code from it confirms it
)

invite_codes = sa.Table(
    "invite_codes",
    metadata,
    # sign-up invite codes (the ``invite`` sign-up policy); single use, only a hash is kept
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=True),
    sa.Column("used_by", sa.Integer, nullable=True),
    sa.Column("used_at", sa.BigInteger, nullable=True),
)

redemption_codes = sa.Table(
    "redemption_codes",
    metadata,
    # top-up codes made by the operator in batches (platform/redeem.py); single use, only a hash is kept
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("code_hint", sa.String(20), nullable=False),
    sa.Column("batch", sa.String(40), nullable=False, index=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=True),
    sa.Column("disabled_at", sa.BigInteger, nullable=True),
    sa.Column("redeemed_by", sa.Integer, nullable=True, index=True),
    sa.Column("redeemed_at", sa.BigInteger, nullable=True),
)

task_vendors = sa.Table(
    "task_vendors",
    metadata,
    # declarative task vendors created through the admin API (families/task_vendor/config.py)
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)
