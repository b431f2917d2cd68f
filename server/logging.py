"""Line-oriented JSON logging with the request id; secrets and query strings never reach a log.

``RequestIdFilter`` stamps each record with the id of the request being served (set by the
request-id middleware), ``RedactFilter`` rewrites the message so values of sensitive keys,
bearer tokens, JWTs and partner tokens are replaced and CR/LF cannot forge lines (security.md §5,
security-tests.md S29), ``AccessPathFilter`` drops the query string from uvicorn's access log.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str] = ContextVar("haken_request_id", default="-")

REDACTED = "[REDACTED]"
_SENSITIVE_KEYS = (
    r"password|passwd|new_?password|current_?password|secret|secret_?key|"
    r"access_?token|refresh_?token|id_?token|token|api_?key|authorization|cookie|set-cookie|"
    r"account_?number|accountNumber|haken_session"
)
_KEY_VALUE = re.compile(
    rf"""(?P<key>["']?(?:{_SENSITIVE_KEYS})["']?\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}\])]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_PARTNER_TOKEN = re.compile(r"\bhkn_[A-Za-z0-9]{8,}")


def _redact_value(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in {'"', "'"} else ""
    return f"{match.group('key')}{quote}{REDACTED}{quote}"


def redact(text: str) -> str:
    """``text`` with secrets replaced by ``[REDACTED]``."""
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _PARTNER_TOKEN.sub(REDACTED, text)
    return _KEY_VALUE.sub(_redact_value, text)


def escape_lines(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class RedactFilter(logging.Filter):
    """Rewrites the rendered message; records are never dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        cleaned = escape_lines(redact(message))
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


class AccessPathFilter(logging.Filter):
    """uvicorn.access records carry (client, method, path?query, http_version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request id, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "message": escape_lines(redact(record.getMessage())),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping, also given to uvicorn as ``log_config``."""
    filters = ["request_id", "redact"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "redact": {"()": RedactFilter},
            "access_path": {"()": AccessPathFilter},
        },
        "formatters": {"json": {"()": JsonLineFormatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": filters,
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["access_path", *filters],
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": level},
    }


def configure_logging(level: str = "INFO") -> None:
    import logging.config

    logging.config.dictConfig(logging_config(level))
