"""Webflow's official OpenAPI document (shared/webflow-openapi/v2.yml): loading it and validating bodies against it.

The YAML is 3 MB (about 2 s to parse with CSafeLoader), so a parsed copy is kept in memory per file path and
mtime, and as JSON in the temp folder (about 0.1 s to read) for the next process. Both hold published data,
not configuration: a changed file has a new key and is parsed again. The JSON round trip turns YAML dates into
strings, which is what a JSON answer from Webflow holds anyway; every load returns the round-tripped form.

Schema normalisation (documented divergence): the spec declares OpenAPI 3.1 but still uses the 3.0 keyword
`nullable: true`, and its item schemas type `lastPublished` as a plain string while every item example (and
Webflow itself) returns `null` for a never-published item; likewise the error body's `externalReference` is typed string
while the spec's own error examples send `null`. All are turned into `["string", "null"]` before
validating. The spec's `oneOf` alternatives (single item vs `items` list, `itemIds` vs `items`) declare no
`required` keys, so every object matches several of them and a strict oneOf would reject each valid body:
they are validated as `anyOf`. The error `details` schema lists its item alternatives as an array under
`items` (draft-04 tuple syntax, meant as "a string or a {field, message} object"): read as `anyOf` too.
Nothing else is relaxed.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

_cache: dict[tuple[str, float], dict] = {}
_cache_lock = threading.Lock()

NULLABLE_PROPERTIES = {"lastPublished", "externalReference"}


class SpecNotFound(FileNotFoundError):
    pass


def load_spec(path: str | Path) -> dict:
    """The parsed OpenAPI document at `path` (parsed once per process while the file is unchanged)."""
    path = Path(path)
    if not path.is_file():
        raise SpecNotFound(
            f"Webflow OpenAPI spec not found at {path}. Set WEBFLOW_OPENAPI_DIR to the folder holding v2.yml "
            "(shared/webflow-openapi next to the repository)."
        )
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _load_via_json_copy(path, stat)
        return _cache[key]


def _load_via_json_copy(path: Path, stat) -> dict:
    digest = hashlib.sha256(f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()[:20]
    copy_path = Path(tempfile.gettempdir()) / f"stagingapp-openapi-{digest}.json"
    try:
        return json.loads(copy_path.read_text())
    except (OSError, ValueError):
        pass
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as handle:
        text = json.dumps(yaml.load(handle, Loader=loader), default=str)  # noqa: S506 - SafeLoader variant
    try:
        partial = copy_path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text)
        partial.replace(copy_path)  # atomic, so a parallel process never reads half a file
    except OSError:
        pass  # a read-only temp folder only costs the next process a slower start
    return json.loads(text)


def operation(spec: dict, method: str, template: str) -> dict:
    """The operation object for e.g. ("post", "/collections/{collection_id}/items/bulk")."""
    try:
        return spec["paths"][template][method.lower()]
    except KeyError as exc:
        raise KeyError(f"the spec has no {method.upper()} {template}") from exc


def _json_content(container: dict | None) -> dict | None:
    if not container:
        return None
    content = container.get("content") or {}
    return content.get("application/json")


def request_schema(spec: dict, method: str, template: str) -> dict | None:
    media = _json_content(operation(spec, method, template).get("requestBody"))
    return normalise(media["schema"], for_request=True) if media and "schema" in media else None


def response_schema(spec: dict, method: str, template: str, status: int | str) -> dict | None:
    media = _json_content((operation(spec, method, template).get("responses") or {}).get(str(status)))
    return normalise(media["schema"]) if media and "schema" in media else None


def response_examples(spec: dict, method: str, template: str, status: int | str) -> dict:
    media = _json_content((operation(spec, method, template).get("responses") or {}).get(str(status))) or {}
    return {name: example.get("value") for name, example in (media.get("examples") or {}).items()}


def _make_nullable(schema: dict) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]


def normalise(schema, *, for_request: bool = False):
    """A deep copy with `nullable` (3.0 style) and the always-nullable properties turned into 3.1 types.

    for_request applies OpenAPI's readOnly rule: a readOnly property is not required in a request (the spec
    reuses its item response schema, with required id/createdOn..., as the live-create request body) and must
    not be sent (Webflow refuses echoed read-only fields with a 400).
    """
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if for_request and isinstance(node.get("properties"), dict):
                read_only = {name for name, sub in node["properties"].items()
                             if isinstance(sub, dict) and sub.get("readOnly")}
                if read_only:
                    if isinstance(node.get("required"), list):
                        node["required"] = [name for name in node["required"] if name not in read_only]
                    for name in read_only:
                        node["properties"][name] = False
            if node.pop("nullable", False):
                _make_nullable(node)
            if "oneOf" in node:
                node["anyOf"] = node.pop("oneOf")
            if isinstance(node.get("items"), list):
                node["items"] = {"anyOf": node["items"]}
            for name, sub in (node.get("properties") or {}).items():
                if name in NULLABLE_PROPERTIES and isinstance(sub, dict):
                    _make_nullable(sub)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def schema_errors(schema: dict | None, instance) -> list[tuple[str, str]]:
    """[(json path, message)] for every way `instance` breaks `schema` (formats are not asserted: the spec
    uses private ones like `objectid` and `date-string`)."""
    if schema is None:
        return []
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
    return [(error.json_path, _short(error.message)) for error in errors]


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
