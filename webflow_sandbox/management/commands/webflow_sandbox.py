"""`manage.py webflow_sandbox`: the same as `python -m webflow_sandbox` (cli.py), with the app's settings as
defaults for the token and the OpenAPI folder."""
import argparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from webflow_sandbox import cli


class Command(BaseCommand):
    help = "Serve a Webflow-compatible CMS API on localhost (see python -m webflow_sandbox --help)."

    def add_arguments(self, parser):
        cli.add_arguments(parser)

    def handle(self, *args, **options):
        options["token"] = options["token"] or settings.WEBFLOW_API_TOKEN
        options["openapi_dir"] = options["openapi_dir"] or str(settings.WEBFLOW_OPENAPI_DIR)
        namespace = argparse.Namespace(**options)
        try:
            sandbox = cli.build_sandbox(namespace)
            sandbox.bind(namespace.host, namespace.port)
        except cli.UsageError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"Cannot listen on {namespace.host}:{namespace.port}: {exc}") from exc
        self.stdout.write(cli.banner(sandbox, namespace))
        try:
            sandbox.serve_bound()
        except KeyboardInterrupt:
            self.stdout.write("Sandbox stopped.")
