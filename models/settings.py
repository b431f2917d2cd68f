"""Runtime settings, read once from the environment.

Every setting has a safe development default; production mode refuses the insecure ones.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEV_SECRET = "haken-development-secret-key-not-for-production"


class SettingsError(RuntimeError):
    """A setting is missing or unsafe for the selected mode."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = "sqlite://var/haken.sqlite3"
    secret_key: str = DEV_SECRET
    data_key: str = ""
    smtp_url: str = ""
    mail_from: str = "no-reply@haken.example.jp"
    mailbox_dir: Path = Path("var/mailbox")
    upload_dir: Path = Path("var/uploads")
    public_base_url: str = "http://127.0.0.1:8000"
    cors_origins: tuple[str, ...] = ()
    jwt_issuer: str = "haken"
    jwt_audience: str = "haken-api"
    access_token_seconds: int = 900
    refresh_token_seconds: int = 30 * 24 * 3600
    session_seconds: int = 8 * 3600
    login_max_failures: int = 5
    lockout_seconds: int = 15 * 60
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 10 * 1024 * 1024
    # Whether `haken serve` runs the background loops (sweeper, outbox, reminders) in-process.
    background_loops: bool = True
    db_pool_max: int = 10
    statement_timeout_ms: int = 5000
    # How long an idempotency key of a money or filing mutation replays its result.
    idempotency_ttl_seconds: int = 24 * 3600
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def encryption_key(self) -> bytes:
        """32-byte key for data encrypted at rest (bank accounts).

        ``DATA_ENCRYPTION_KEY`` when set, else derived from ``SECRET_KEY`` with a fixed label so the
        two uses of the secret never share key material.
        """
        material = self.data_key or ("haken-data-key:" + self.secret_key)
        return hashlib.sha256(material.encode()).digest()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        mode = env.get("HAKEN_ENV", "development")
        if mode not in {"development", "production", "test"}:
            raise SettingsError(f"HAKEN_ENV must be development, production or test, not {mode!r}")
        secret = env.get("SECRET_KEY", DEV_SECRET)
        if mode == "production" and (secret == DEV_SECRET or len(secret) < 32):
            raise SettingsError("production mode needs SECRET_KEY of at least 32 characters")
        origins = tuple(o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            env=mode,
            database_url=env.get("DATABASE_URL", cls.database_url),
            secret_key=secret,
            data_key=env.get("DATA_ENCRYPTION_KEY", ""),
            smtp_url=env.get("SMTP_URL", ""),
            mail_from=env.get("MAIL_FROM", cls.mail_from),
            mailbox_dir=Path(env.get("MAILBOX_DIR", str(cls.mailbox_dir))),
            upload_dir=Path(env.get("UPLOAD_DIR", str(cls.upload_dir))),
            public_base_url=env.get("PUBLIC_BASE_URL", cls.public_base_url).rstrip("/"),
            cors_origins=origins,
            access_token_seconds=int(env.get("ACCESS_TOKEN_SECONDS", cls.access_token_seconds)),
            refresh_token_seconds=int(env.get("REFRESH_TOKEN_SECONDS", cls.refresh_token_seconds)),
            session_seconds=int(env.get("SESSION_SECONDS", cls.session_seconds)),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", cls.max_body_bytes)),
            max_upload_bytes=int(env.get("MAX_UPLOAD_BYTES", cls.max_upload_bytes)),
            background_loops=env.get("BACKGROUND_LOOPS", "1").strip().lower()
            not in {"0", "false", "no", "off"},
            db_pool_max=int(env.get("DB_POOL_MAX", cls.db_pool_max)),
            jwt_issuer=env.get("JWT_ISSUER", cls.jwt_issuer),
            jwt_audience=env.get("JWT_AUDIENCE", cls.jwt_audience),
            login_max_failures=int(env.get("LOGIN_MAX_FAILURES", cls.login_max_failures)),
            lockout_seconds=int(env.get("LOCKOUT_SECONDS", cls.lockout_seconds)),
            idempotency_ttl_seconds=int(
                env.get("IDEMPOTENCY_TTL_SECONDS", cls.idempotency_ttl_seconds)
            ),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests replace them with :func:`override_settings`)."""
    return Settings.from_env()


def override_settings(settings: Settings) -> None:
    """Install explicit settings (tests, CLI flags)."""
    get_settings.cache_clear()
    _override.clear()
    _override.append(settings)


_override: list[Settings] = []


def current_settings() -> Settings:
    return _override[-1] if _override else get_settings()
