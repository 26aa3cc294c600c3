"""Logs never hold a key's secret: the access log's request lines (``?key=``) and any
message that quotes a key keep only the key's prefix, which `gridctl auth list` shows."""
from __future__ import annotations

import logging
import re
from urllib.parse import unquote

_SECRETS = [(re.compile(r"(?i)\b(key=)(hk_[0-9a-f]{8}_)?[^&\s\"]*"), r"\1\2***"),
            (re.compile(r"\b(hk_[0-9a-f]{8}_)[A-Za-z0-9_-]+"), r"\1***"),
            (re.compile(r"\bhs_[0-9a-f]{8}_[0-9a-f_]+"), "hs_***")]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def mask(text: str) -> str:
    """``text`` with every key and session masked, however the URL encoded it."""
    plain = unquote(text)
    decoded = plain != text and any(pattern.search(plain) for pattern, _ in _SECRETS)
    if decoded:
        text = plain   # an encoded key (hk%5F..., %6Bey=) is masked in its decoded form
    for pattern, kept in _SECRETS:
        text = pattern.sub(kept, text)
    # What decoding made a control character (%0A) is encoded again: no request forges a log line.
    return _CONTROL.sub(lambda c: f"%{ord(c.group()):02X}", text) if decoded else text


class MaskSecrets(logging.Filter):
    """Rewrites a record's message and arguments with the secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    """Mask secrets in uvicorn's access and error logs and in ours (idempotent)."""
    for name in ("uvicorn.access", "uvicorn.error", "geo", "api"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskSecrets) for f in logger.filters):
            logger.addFilter(MaskSecrets())
