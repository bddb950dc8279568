"""`python -m webflow_sandbox`: the sandbox on its own, without Django, settings or a SECRET_KEY.

    python -m webflow_sandbox --port 8765 --token my-local-token --seed-demo --fault 502:path=/items/bulk,times=2

Then point the app at it with WEBFLOW_API_BASE_URL=http://127.0.0.1:8765 and WEBFLOW_API_TOKEN=my-local-token
(the line it prints on start says exactly that). Without --token it takes WEBFLOW_API_TOKEN from the environment,
or makes one up and prints it.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

from .demo import seed_demo
from .faults import FaultPlan
from .server import DUPLICATE_SLUG_MODES, WebflowSandbox


def default_openapi_dir() -> Path:
    """WEBFLOW_OPENAPI_DIR, else the first shared/webflow-openapi beside a parent folder (as project/settings.py)."""
    if os.environ.get("WEBFLOW_OPENAPI_DIR"):
        return Path(os.environ["WEBFLOW_OPENAPI_DIR"])
    candidates = [parent / "shared" / "webflow-openapi" for parent in Path(__file__).resolve().parents]
    return next((path for path in candidates if path.is_dir()), candidates[0])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m webflow_sandbox",
                                     description="Serve a Webflow-compatible CMS API on localhost.")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options, shared with `manage.py webflow_sandbox`."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="", help="Bearer token to accept (default: WEBFLOW_API_TOKEN, else a "
                                                    "new random one, printed on start).")
    parser.add_argument("--rate-limit", type=int, default=120, help="Requests per window per token.")
    parser.add_argument("--rate-window", type=float, default=60.0, help="Window length in seconds.")
    parser.add_argument("--retry-after", type=float, default=60.0, help="Retry-After seconds sent with 429.")
    parser.add_argument("--latency", type=float, default=0.0, help="Seconds before each answer (Webflow's own "
                                                                   "processing time).")
    parser.add_argument("--jitter", type=float, default=0.0, help="Up to this many seconds more or less latency.")
    parser.add_argument("--duplicate-slugs", choices=DUPLICATE_SLUG_MODES, default="refuse",
                        help="refuse a taken slug (Webflow today) or store it as slug-xxxxx (its older behaviour).")
    parser.add_argument("--ignore-list-filters", action="store_true",
                        help="List requests ignore createdOn/lastUpdated/lastPublished filters and sorting.")
    parser.add_argument("--state-file", default="", help="JSON file the state is loaded from and saved to.")
    parser.add_argument("--seed-demo", action="store_true", help="Create the demo site and blog collection.")
    parser.add_argument("--config", default="", help='JSON file: {"sites": [{"id", "name", "locales": [{"tag", '
                                                     '"cmsLocaleId", "primary"}]}], "collections": [{"siteId", '
                                                     '"id", "name", "slug", "fields": [...]}]}.')
    parser.add_argument("--openapi-dir", default="", help="Folder holding Webflow's v2.yml (default: "
                                                          "WEBFLOW_OPENAPI_DIR or shared/webflow-openapi).")
    parser.add_argument("--no-validate", action="store_true", help="Skip OpenAPI request-body validation.")
    parser.add_argument("--fault", action="append", default=[],
                        metavar="KIND[:path=REGEX,method=M,times=N,delay=S,retry_after=S,probability=P,after=N]",
                        help="Inject a fault, e.g. 502:path=/items/bulk,times=2 or drop_after_commit:method=POST. "
                             "Repeatable; kinds are listed in webflow_sandbox/faults.py.")


class UsageError(Exception):
    """A bad option, said in one sentence (no traceback)."""


def build_sandbox(options: argparse.Namespace) -> WebflowSandbox:
    token = options.token or os.environ.get("WEBFLOW_API_TOKEN") or "wf-sandbox-" + secrets.token_hex(16)
    try:
        sandbox = WebflowSandbox(
            token=token, rate_limit=options.rate_limit, rate_window=options.rate_window,
            retry_after=options.retry_after, state_file=options.state_file or None,
            openapi_dir=options.openapi_dir or default_openapi_dir(), validate_requests=not options.no_validate,
            latency=options.latency, jitter=options.jitter, duplicate_slugs=options.duplicate_slugs,
            list_filters=not options.ignore_list_filters,
        )
        for spec in options.fault:
            sandbox.faults.add(**FaultPlan.parse(spec))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if options.seed_demo:
        seed_demo(sandbox)
    if options.config:
        try:
            sandbox.load_config(json.loads(Path(options.config).read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"Cannot use --config {options.config}: {exc!r}") from exc
    sandbox.spec()  # parse the OpenAPI file now rather than inside the first request
    return sandbox


def banner(sandbox: WebflowSandbox, options: argparse.Namespace) -> str:
    url = sandbox.url
    return (f"Webflow sandbox on {url} ({len(sandbox.state.sites)} sites, {len(sandbox.state.collections)} "
            f"collections, {options.rate_limit} requests/{options.rate_window:g}s"
            f"{f', {len(options.fault)} fault rule(s)' if options.fault else ''}). Open {url}/ in a browser.\n"
            f"Point the app at it: WEBFLOW_API_BASE_URL={url} WEBFLOW_API_TOKEN={sandbox.token}\n"
            "Ctrl-C stops it.")


def main(argv: list[str] | None = None, *, out=sys.stdout) -> int:
    options = build_parser().parse_args(argv)
    try:
        sandbox = build_sandbox(options)
    except UsageError as exc:
        print(f"webflow_sandbox: {exc}", file=sys.stderr)
        return 2
    try:
        sandbox.bind(options.host, options.port)
    except OSError as exc:
        print(f"webflow_sandbox: cannot listen on {options.host}:{options.port}: {exc}", file=sys.stderr)
        return 1
    print(banner(sandbox, options), file=out, flush=True)
    try:
        sandbox.serve_bound()
    except KeyboardInterrupt:
        print("Sandbox stopped.", file=out)
    return 0
