"""Times as people read them, the same on every page, message and audit entry."""
from django.utils import timezone
from django.utils.formats import date_format


def readable_time(moment) -> str:
    """'2 Dec 2026, 14:05' in the site's time zone, as every list writes times (project/formats)."""
    if not moment:
        return ""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
