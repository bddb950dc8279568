"""What no column or key of this app's database can take, checked where input arrives.

NUL (U+0000): PostgreSQL stores it in no text or JSON column and takes it in no query parameter; nobody means one
(it comes from bad pastes, damaged exports and scanners). Ids past 64 bits: SQLite raises OverflowError and
PostgreSQL "out of range" when asked about them.
"""
NUL = "\x00"
LARGEST_ID = 2**63 - 1


def holds_nul(value) -> bool:
    """Whether text, or any key or text inside dicts, lists and tuples, holds NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False


def without_nul(text: str) -> str:
    return text.replace(NUL, "") if NUL in text else text
