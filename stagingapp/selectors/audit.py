"""Audit history search: object, message and actor read as one text, so PostgreSQL probes one trigram index
(migration 0017) instead of three ORed ones, each of which walked the long posting lists of common trigrams."""
from django.db.models import Func, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.text import smart_split, unescape_string_literal


class AuditSearchText(Func):
    """object_repr, message and actor_label joined by a line break, which a search term (one line of a search box)
    never holds, so neither a term nor a "quoted phrase" matches across two fields. The SQL is exactly migration
    0017's index expression."""

    arg_joiner = " || '\n' || "
    template = "(%(expressions)s)"
    output_field = TextField()

    def __init__(self):
        super().__init__(Cast("object_repr", TextField()), "message", Cast("actor_label", TextField()))


def audit_search(queryset: QuerySet, search_term: str) -> QuerySet:
    """Every whitespace-separated term (or "quoted phrase") must occur, case-insensitively, in one of the fields."""
    queryset = queryset.alias(search_text=AuditSearchText())
    for term in smart_split(search_term):
        if term[:1] in "\"'" and term[:1] == term[-1:] and len(term) > 1:
            term = unescape_string_literal(term)
        queryset = queryset.filter(search_text__icontains=term)
    return queryset
