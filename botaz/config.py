"""Settings read once from the environment (and `botaz serve` flags), then passed down frozen."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace, field
from typing import Any, Mapping

DEFAULT_DATABASE_URL = "sqlite:///./botaz.db"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def parse_rate(spec: str, name: str) -> tuple[int, int]:
    """'120/60' means 120 requests per 60-second window."""
    try:
        count, window = (int(part) for part in spec.split("/"))
        if count < 1 or window < 1:
            raise ValueError
    except ValueError:
        raise ValueError(f"{name} must look like 120/60 (requests/seconds), not {spec!r}") from None
    return count, window


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    rate_limits: bool = True
    webhooks_allow_private: bool = False
    max_body_bytes: int = 1_048_576
    max_message_chars: int = 10_000
    max_json_depth: int = 32
    public_url: str | None = None
    data_dir: str = "./botaz-data"
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_queue: int = 256
    # "requests/seconds" windows; see botaz/ratelimit.py for what each one counts.
    # Generous on purpose: they stop floods, not busy integrations or busy offices behind one NAT.
    rate_limit_token: str = "6000/60"
    rate_limit_visitor: str = "600/60"
    rate_limit_visitor_create: str = "600/60"
    max_sockets_per_visitor: int = 10
    # Seconds between WebSocket pings; a socket that has not answered by the next one is closed.
    ws_ping_interval: float = 20.0
    webhook_poll_interval: float = 1.0
    # Tests shrink every webhook delay (retries, give-up, switch-off) by this factor.
    webhook_backoff_scale: float = 1.0
    log_level: str = "info"
    # Email (docs/email.md). smtp_url unset: botaz sends no mail.
    smtp_url: str | None = None
    mail_from: str = "botaz@localhost"
    # When set, `botaz serve` also receives mail on this port (replies to conversations).
    smtp_port: int | None = None
    # The domain of reply addresses <token>@<reply_domain>; default: the public URL's host.
    reply_domain: str | None = None
    # An unseen agent reply to a visitor without a connected widget is emailed after this long.
    email_delay_s: float = 120.0
    # A visitor message no agent answered is emailed to the agents who should see it after this long.
    alert_delay_s: float = 300.0
    # The answer bot's optional writer (docs/knowledge-base.md): an OpenAI-compatible endpoint.
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_timeout_s: float = 20.0
    llm_max_chars: int = 2000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        if env.get("BOTAZ_DATABASE_URL"):
            values["database_url"] = env["BOTAZ_DATABASE_URL"]
        if env.get("BOTAZ_REDIS_URL"):
            values["redis_url"] = env["BOTAZ_REDIS_URL"]
        if env.get("BOTAZ_RATE_LIMITS"):
            values["rate_limits"] = env["BOTAZ_RATE_LIMITS"].strip().lower() != "off"
        if env.get("BOTAZ_WEBHOOKS_ALLOW_PRIVATE"):
            values["webhooks_allow_private"] = _bool(env["BOTAZ_WEBHOOKS_ALLOW_PRIVATE"])
        if env.get("BOTAZ_PUBLIC_URL"):
            values["public_url"] = env["BOTAZ_PUBLIC_URL"].rstrip("/")
        if env.get("BOTAZ_LOG_LEVEL"):
            values["log_level"] = env["BOTAZ_LOG_LEVEL"]
        for name in ("rate_limit_token", "rate_limit_visitor", "rate_limit_visitor_create"):
            key = "BOTAZ_" + name.upper()
            if env.get(key):
                values[name] = env[key]
        if env.get("BOTAZ_MAX_SOCKETS_PER_VISITOR"):
            values["max_sockets_per_visitor"] = int(env["BOTAZ_MAX_SOCKETS_PER_VISITOR"])
        for name in ("webhook_backoff_scale", "webhook_poll_interval", "ws_ping_interval"):
            key = "BOTAZ_" + name.upper()
            if env.get(key):
                values[name] = float(env[key])
        for name in ("smtp_url", "mail_from", "reply_domain"):
            key = "BOTAZ_" + name.upper()
            if env.get(key):
                values[name] = env[key].strip()
        if env.get("BOTAZ_SMTP_PORT"):
            values["smtp_port"] = int(env["BOTAZ_SMTP_PORT"])
        for name in ("email_delay_s", "alert_delay_s"):
            key = "BOTAZ_" + name.upper()
            if env.get(key):
                values[name] = float(env[key])
        for name in ("llm_url", "llm_model", "llm_api_key"):
            if env.get("BOTAZ_" + name.upper()):
                values[name] = env["BOTAZ_" + name.upper()].strip()
        if env.get("BOTAZ_LLM_TIMEOUT_S"):
            values["llm_timeout_s"] = float(env["BOTAZ_LLM_TIMEOUT_S"])
        if env.get("BOTAZ_LLM_MAX_CHARS"):
            values["llm_max_chars"] = int(env["BOTAZ_LLM_MAX_CHARS"])
        if env.get("BOTAZ_DATA_DIR"):
            values["data_dir"] = env["BOTAZ_DATA_DIR"]
        for name in ("max_body_bytes", "max_message_chars", "max_json_depth",
                     "max_attachment_bytes", "max_queue"):
            key = "BOTAZ_" + name.upper()
            if env.get(key):
                values[name] = int(env[key])
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if k in known and v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        for name in ("rate_limit_token", "rate_limit_visitor", "rate_limit_visitor_create"):
            parse_rate(getattr(self, name), name)

    def base_url(self) -> str:
        """BOTAZ_PUBLIC_URL, else the URL `botaz serve` listens on: the base of emailed links."""
        if self.public_url:
            return self.public_url
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def mail_domain(self) -> str:
        """The domain of reply addresses: BOTAZ_REPLY_DOMAIN, else the public URL's host."""
        if self.reply_domain:
            return self.reply_domain
        if self.public_url:
            from urllib.parse import urlsplit

            host = urlsplit(self.public_url).hostname
            if host:
                return host
        return "localhost"

    def rate(self, kind: str) -> tuple[int, int]:
        return parse_rate(getattr(self, "rate_limit_" + kind), kind)

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **changes)
