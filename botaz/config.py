"""Settings read once from the environment (and `botaz serve` flags), then passed down frozen."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace, field
from typing import Any, Mapping

DEFAULT_DATABASE_URL = "sqlite:///./botaz.db"
RATE_LIMITS = ("rate_limit_token", "rate_limit_visitor", "rate_limit_visitor_create",
               "rate_limit_mail_sender", "rate_limit_mail_conversation")


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


def normalised_database_url(url: str) -> str:
    """The database a URL names, without what may differ between its nodes: the password, options,
    spelling of the scheme and host, a default port, a relative SQLite path."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # As botaz/store/db.py reads it: sqlite:///relative/path, sqlite:////absolute/path.
        path = url.strip()[len("sqlite:///" if url.strip().startswith("sqlite:///") else "sqlite://"):]
        if path and not path.startswith((":memory:", "file:")):
            path = os.path.realpath(path)
        return f"sqlite://{path or ':memory:'}"
    if scheme in {"postgres", "postgresql"}:
        host = (parts.hostname or "localhost").lower()
        user = unquote(parts.username or "")
        return f"postgresql://{user}@{host}:{parts.port or 5432}/{unquote(parts.path.lstrip('/'))}"
    return url.strip()


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    # Prefix of every Redis key and channel; unset: derived from the database URL (see
    # redis_namespace), so installations that share a Redis never hear each other.
    redis_prefix: str | None = None
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
    # Received email (docs/email.md): messages per envelope sender, and per conversation.
    rate_limit_mail_sender: str = "20/600"
    rate_limit_mail_conversation: str = "30/600"
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
    # The largest email the receiver accepts (SMTP SIZE); bigger ones get 552.
    smtp_max_bytes: int = 10 * 1024 * 1024
    # The domain of reply addresses <token>@<reply_domain>; default: the public URL's host.
    reply_domain: str | None = None
    # An unseen agent reply to a visitor without a connected widget is emailed after this long.
    email_delay_s: float = 120.0
    # A visitor message no agent answered is emailed to the agents who should see it after this long.
    alert_delay_s: float = 300.0
    # Visitors who never wrote and to whom nobody wrote are deleted this long after last seen.
    prune_silent_days: float = 30.0
    # Web Push: the contact put in every push's VAPID claim (mailto: or https:); see vapid_contact().
    vapid_subject: str | None = None
    # Connection limits (docs/security.md, "Connection limits"): a request head larger than
    # max_header_bytes is answered 431; a head not complete within header_timeout seconds, or a
    # body not complete within body_timeout seconds, closes the connection (408); an idle
    # keep-alive connection is closed after keep_alive_timeout seconds.
    max_header_bytes: int = 16_384
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    keep_alive_timeout: float = 5.0
    # WebSocket frames from clients: at most this many bytes a message (larger ones close 1009),
    # and budgets of "frames/seconds" per socket and per visitor (docs/realtime.md).
    ws_max_frame_bytes: int = 65_536
    ws_frames_socket: str = "60/3"
    ws_frames_visitor: str = "120/3"
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
        if env.get("BOTAZ_REDIS_PREFIX"):
            values["redis_prefix"] = env["BOTAZ_REDIS_PREFIX"].strip()
        if env.get("BOTAZ_RATE_LIMITS"):
            values["rate_limits"] = env["BOTAZ_RATE_LIMITS"].strip().lower() != "off"
        if env.get("BOTAZ_WEBHOOKS_ALLOW_PRIVATE"):
            values["webhooks_allow_private"] = _bool(env["BOTAZ_WEBHOOKS_ALLOW_PRIVATE"])
        if env.get("BOTAZ_PUBLIC_URL"):
            values["public_url"] = env["BOTAZ_PUBLIC_URL"].rstrip("/")
        if env.get("BOTAZ_LOG_LEVEL"):
            values["log_level"] = env["BOTAZ_LOG_LEVEL"]
        for name in (*RATE_LIMITS, "ws_frames_socket", "ws_frames_visitor"):
            key = "BOTAZ_" + name.upper()
            if env.get(key):
                values[name] = env[key]
        if env.get("BOTAZ_MAX_SOCKETS_PER_VISITOR"):
            values["max_sockets_per_visitor"] = int(env["BOTAZ_MAX_SOCKETS_PER_VISITOR"])
        for name in ("webhook_backoff_scale", "webhook_poll_interval", "ws_ping_interval",
                     "header_timeout", "body_timeout", "keep_alive_timeout"):
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
        if env.get("BOTAZ_PRUNE_SILENT_DAYS"):
            values["prune_silent_days"] = float(env["BOTAZ_PRUNE_SILENT_DAYS"])
        if env.get("BOTAZ_VAPID_SUBJECT"):
            values["vapid_subject"] = env["BOTAZ_VAPID_SUBJECT"].strip()
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
                     "max_attachment_bytes", "max_queue", "smtp_max_bytes", "max_header_bytes",
                     "ws_max_frame_bytes"):
            key = "BOTAZ_" + name.upper()
            if env.get(key):
                values[name] = int(env[key])
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if k in known and v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        for name in (*RATE_LIMITS, "ws_frames_socket", "ws_frames_visitor"):
            parse_rate(getattr(self, name), name)
        if self.vapid_subject and not self.vapid_subject.startswith(("mailto:", "https://")):
            raise ValueError("BOTAZ_VAPID_SUBJECT must be a mailto: or https:// address, "
                             f"not {self.vapid_subject!r}")
        for name in ("max_header_bytes", "ws_max_frame_bytes"):
            if getattr(self, name) < 1024:
                raise ValueError(f"{name} must be at least 1024 bytes")
        for name in ("header_timeout", "body_timeout", "keep_alive_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        if self.smtp_url:
            from .mail.smtp import SmtpServer

            SmtpServer.parse(self.smtp_url)

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

    def vapid_contact(self) -> str:
        """Who push services may contact about our pushes: BOTAZ_VAPID_SUBJECT, else the public
        URL when it is https, else mailto: BOTAZ_MAIL_FROM."""
        if self.vapid_subject:
            return self.vapid_subject
        if self.public_url and self.public_url.startswith("https://"):
            return self.public_url
        return f"mailto:{self.mail_from}"

    def redis_namespace(self) -> str:
        """BOTAZ_REDIS_PREFIX, else "botaz:" and a short hash of the normalised database URL: the
        nodes of one installation share it, another installation on the same Redis does not."""
        if self.redis_prefix:
            return self.redis_prefix
        import hashlib

        return "botaz:" + hashlib.sha256(normalised_database_url(self.database_url).encode()).hexdigest()[:12]

    def rate(self, kind: str) -> tuple[int, int]:
        return parse_rate(getattr(self, "rate_limit_" + kind), kind)

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **changes)
