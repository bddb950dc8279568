"""Validators for Webflow identifiers and slugs, shared by models, forms and imports."""
import re

from django.core.exceptions import ValidationError
from django.utils.text import slugify

# Real Webflow ids are 24-hex Mongo ObjectIds, but the official spec's examples also show 20- and 32-character
# ids, so 24-hex is only a soft rule (a warning); the hard rule just keeps obviously broken values out.
OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")
LOOSE_ID_RE = re.compile(r"^[0-9A-Za-z]{12,64}$")
# Webflow lowercases slugs and turns spaces into dashes; this is the safe subset that never gets rewritten.
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 256


def validate_webflow_id(value: str) -> None:
    if not LOOSE_ID_RE.match(value or ""):
        raise ValidationError(
            "%(value)s is not a Webflow ID: expected 12 to 64 letters and digits (usually 24 hex characters).",
            code="invalid_webflow_id",
            params={"value": value},
        )


def is_canonical_webflow_id(value: str) -> bool:
    return bool(OBJECT_ID_RE.match(value or ""))


def validate_item_slug(value: str) -> None:
    if not SLUG_RE.match(value or ""):
        raise ValidationError(
            "'%(value)s' is not a valid slug: use lowercase letters, digits and single dashes "
            "(no spaces, no leading or trailing dash), e.g. '%(suggestion)s'.",
            code="invalid_slug",
            params={"value": value, "suggestion": suggest_slug(value) or "my-item"},
        )


def suggest_slug(name: str) -> str:
    """A Webflow-safe slug for a name: ASCII-folded, lowercase, dash-separated."""
    slug = slugify(name or "").replace("_", "-")
    slug = re.sub(r"-{2,}", "-", slug).strip("-")
    return slug[:SLUG_MAX_LENGTH].rstrip("-")


# RFC 5646 language tags (BCP 47) in their usual shape: language[-extlang][-Script][-REGION][-variant]
# [-extension][-x-private], e.g. en-US, zh-Hans-CN, es-419, sr-Latn-RS; case is not significant.
LANGUAGE_TAG_RE = re.compile(
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?$"
)
LANGUAGE_TAG_MAX_LENGTH = 35


def validate_language_tag(value: str) -> None:
    if not isinstance(value, str) or len(value) > LANGUAGE_TAG_MAX_LENGTH or not LANGUAGE_TAG_RE.match(value):
        raise ValidationError(
            "'%(value)s' is not a language tag (BCP 47): use a language code with an optional script and region, "
            "e.g. en-US, fr-FR, zh-Hans-CN or es-419.",
            code="invalid_language_tag",
            params={"value": str(value)[:60]},
        )
