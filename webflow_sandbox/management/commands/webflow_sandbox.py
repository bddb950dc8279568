"""Run the local Webflow sandbox standalone (the demo's Webflow): python manage.py webflow_sandbox --port 8765."""
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from webflow_sandbox import FaultPlan, WebflowSandbox
from webflow_sandbox.demo import seed_demo


class Command(BaseCommand):
    help = "Serve a Webflow-compatible CMS API on localhost for the demo and manual tests."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--token", default="", help="Bearer token to accept (default: WEBFLOW_API_TOKEN).")
        parser.add_argument("--rate-limit", type=int, default=120, help="Requests per window per token.")
        parser.add_argument("--rate-window", type=float, default=60.0, help="Window length in seconds.")
        parser.add_argument("--retry-after", type=float, default=60.0, help="Retry-After seconds sent with 429.")
        parser.add_argument("--state-file", default="", help="JSON file the state is loaded from and saved to.")
        parser.add_argument("--seed-demo", action="store_true", help="Create the demo site and blog collection.")
        parser.add_argument(
            "--config", default="",
            help='JSON file with {"sites": [{"id", "name", "locales": [{"tag", "cmsLocaleId", "primary"}]}], '
                 '"collections": [{"siteId", "id", "name", "slug", "fields": [...]}]}.',
        )
        parser.add_argument("--no-validate", action="store_true", help="Skip OpenAPI request-body validation.")
        parser.add_argument(
            "--fault", action="append", default=[], metavar="KIND[:path=REGEX,method=M,times=N,delay=S,...]",
            help="Inject a fault, e.g. 502:path=/items/bulk,times=2 or drop_after_commit:method=POST. Repeatable.",
        )

    def handle(self, *args, **options):
        token = options["token"] or settings.WEBFLOW_API_TOKEN
        if not token:
            raise CommandError("No token: pass --token or set WEBFLOW_API_TOKEN (the app must send the same one).")
        sandbox = WebflowSandbox(
            token=token, rate_limit=options["rate_limit"], rate_window=options["rate_window"],
            retry_after=options["retry_after"], state_file=options["state_file"] or None,
            openapi_dir=settings.WEBFLOW_OPENAPI_DIR, validate_requests=not options["no_validate"],
        )
        try:
            for spec in options["fault"]:
                sandbox.faults.add(**FaultPlan.parse(spec))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["seed_demo"]:
            seed_demo(sandbox)
        if options["config"]:
            try:
                sandbox.load_config(json.loads(Path(options["config"]).read_text()))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"Cannot use --config {options['config']}: {exc!r}") from exc
        sandbox.spec()  # parse the OpenAPI file now rather than on the first request
        self.stdout.write(
            f"Webflow sandbox on http://{options['host']}:{options['port']} "
            f"({len(sandbox.state.sites)} sites, {len(sandbox.state.collections)} collections, "
            f"{options['rate_limit']} requests/{options['rate_window']:g}s). Ctrl-C stops it."
        )
        try:
            sandbox.serve_forever(options["host"], options["port"])
        except KeyboardInterrupt:
            self.stdout.write("Sandbox stopped.")
        except OSError as exc:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {exc}") from exc
