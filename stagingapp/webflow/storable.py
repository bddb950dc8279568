"""Webflow's answers made storable: NUL (U+0000) is dropped from them before anything reads them.

PostgreSQL keeps NUL in no text or JSON column, so one such character in an item's field (as a raw byte or as
the JSON escape \\u0000) made a pull, a verification or the audit of an answer fail on the database. It is never
content an editor meant: it comes from damaged pastes and exports.
"""
import json

NUL = "\x00"
ESCAPED_NUL = "\\u0000"


def without_nul(text: str) -> str:
    return text.replace(NUL, "") if NUL in text else text


def loads(text: str):
    """json.loads, with NUL dropped from every string when the text escapes one (the common case costs one scan)."""
    payload = json.loads(without_nul(text))
    return _cleaned(payload) if ESCAPED_NUL in text else payload


def _cleaned(value):
    if isinstance(value, str):
        return without_nul(value)
    if isinstance(value, dict):
        return {_cleaned(key): _cleaned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    return value
