"""Keeping the Webflow token out of logs, error messages and audit excerpts."""
from __future__ import annotations

import logging
import re

REDACTED = "[REDACTED]"
# Any bearer credential, whatever token it carries (also catches tokens of other processes or tests).
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+")
_MIN_SECRET_LENGTH = 6
# How far past the kept part redact_head looks beyond the longest secret (a Bearer value of an unknown token).
_HEAD_MARGIN = 512


def _configured_token() -> str:
    try:
        from django.conf import settings

        return getattr(settings, "WEBFLOW_API_TOKEN", "") or ""
    except Exception:  # settings not configured (a bare script): nothing configured to hide
        return ""


def redact(text, *secrets: str) -> str:
    """`text` with the configured token, any extra `secrets` and every `Bearer ...` value replaced."""
    if text is None:
        return ""
    text = str(text)
    for secret in (_configured_token(), *secrets):
        # Very short values would blank out ordinary words; a real token is long.
        if secret and len(secret) >= _MIN_SECRET_LENGTH and secret in text:
            text = text.replace(secret, REDACTED)
    return _BEARER.sub(lambda match: match.group(1) + REDACTED, text)


def redact_head(text: str, limit: int, *secrets: str) -> str:
    """redact(text, *secrets)[:limit], without scanning all of a long text (a 100-item answer is ~50 kB).

    Only a head reaching past `limit` by more than the longest secret (and a Bearer value) is redacted. When
    nothing in that head needed redacting, no secret can start inside the kept part either; when something did,
    replacements may have pulled text from past the head forward, so the whole text is redacted instead."""
    longest = max(len(secret or "") for secret in (_configured_token(), *secrets))
    head = text[:limit + longest + _HEAD_MARGIN]
    cleaned = redact(head, *secrets)
    if cleaned != head and len(head) < len(text):
        cleaned = redact(text, *secrets)
    return cleaned[:limit]


def redact_headers(headers) -> dict:
    return {
        key: (REDACTED if key.lower() in ("authorization", "cookie", "set-cookie") else redact(value))
        for key, value in dict(headers or {}).items()
    }


class RedactTokenFilter(logging.Filter):
    """Logging filter that rewrites each record's message (and exception text) without the token.

    Installed on the root handlers in project/settings.py LOGGING, so third-party loggers (urllib3, requests)
    are covered too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; still never leak the token
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
