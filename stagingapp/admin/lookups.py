"""Looking up the object an admin URL names: a malformed or unknown id is a 404, never a 500."""
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404

from ..db_limits import LARGEST_ID


def object_or_404(queryset_or_model, raw_pk):
    """The object with primary key raw_pk (as typed in a URL); Http404 when it is malformed or does not exist."""
    try:
        return get_object_or_404(queryset_or_model, pk=raw_pk)
    except (ValueError, TypeError, ValidationError, OverflowError) as exc:
        raise Http404(f"No object with id {raw_pk!r}.") from exc


def id_or_none(raw) -> int | None:
    """raw (a query-string or form value) as a database id, or None when it could not be one."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= LARGEST_ID else None
