"""Run the whole product locally: migrate, seed, then the Webflow sandbox, a qcluster worker and the web server."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from stagingapp import demo
from stagingapp.services.demo import demo_seed

STOP_SECONDS = 4.5  # Ctrl-C ends everything within 5 s


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = "Migrate, load demo data and run the sandbox, a worker and the web server until Ctrl-C (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="web server port (default 8000)")
        parser.add_argument("--sandbox-port", type=int, default=8765, help="Webflow sandbox port (default 8765)")
        parser.add_argument("--sandbox-rate-limit", type=int, default=120, help="sandbox requests per minute")
        parser.add_argument(
            "--state-dir", type=Path, default=None, help="where logs and the sandbox's state go (default .demo/)"
        )
        parser.add_argument(
            "--sandbox-fault", action="append", default=[], metavar="KIND[:path=REGEX,times=N,...]",
            help="a fault for the sandbox to inject (see python -m webflow_sandbox --help); repeatable",
        )

    def handle(self, *args, port, sandbox_port, sandbox_rate_limit, state_dir, sandbox_fault, **options):
        if not settings.DEBUG:
            raise CommandError("run_demo only runs with DEBUG=True (it creates demo users with known passwords).")
        for label, number in (("web server", port), ("Webflow sandbox", sandbox_port)):
            if not _port_is_free(number):
                raise CommandError(
                    f"Port {number} for the {label} is in use. Is another demo still running? "
                    f"Stop it, or pick another port with --port / --sandbox-port."
                )
        call_command("migrate", interactive=False, verbosity=0)
        # The seed's review notifications would print one console e-mail each: count them instead.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            seeded = demo_seed()
            mails = len(mail.outbox)
        state_dir = state_dir or Path(settings.BASE_DIR) / ".demo"
        state_dir.mkdir(parents=True, exist_ok=True)

        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        child_env = {
            **os.environ,
            "DEBUG": "True",
            "WEBFLOW_API_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
            "WEBFLOW_API_TOKEN": demo.DEMO_TOKEN,
            "WEBFLOW_RATE_LIMIT_PER_MINUTE": str(sandbox_rate_limit),
        }
        commands = {
            # The sandbox runs on its own (no Django), as README shows it.
            "sandbox": [
                sys.executable, "-m", "webflow_sandbox", "--port", str(sandbox_port), "--token", demo.DEMO_TOKEN,
                "--rate-limit", str(sandbox_rate_limit), "--state-file", str(state_dir / "sandbox.json"), "--seed-demo",
                *[argument for fault in sandbox_fault for argument in ("--fault", fault)],
            ],
            "worker": [*manage, "qcluster"],
            "web": [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        }

        processes: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, argv in commands.items():
                log = open(state_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process below
                processes[name] = subprocess.Popen(
                    argv, env=child_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                    cwd=settings.BASE_DIR,
                )
            self._wait_until_listening({"web": port, "sandbox": sandbox_port}, processes)
            self._print_banner(port, sandbox_port, seeded, state_dir, mails, sandbox_fault)
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        raise CommandError(
                            f"The {name} process stopped (exit {process.returncode}); see {state_dir / (name + '.log')}"
                        )
                time.sleep(0.5)
        finally:
            self._stop_all(processes)
        self.stdout.write("Demo stopped.")

    def _wait_until_listening(self, ports: dict[str, int], processes) -> None:
        """Block until each process accepts connections on its port, so the banner never lies."""
        deadline = time.monotonic() + 90
        waiting = dict(ports)
        while waiting and time.monotonic() < deadline:
            for name, number in list(waiting.items()):
                if processes[name].poll() is not None:
                    return  # the main loop reports the dead process with its log
                with socket.socket() as sock:
                    sock.settimeout(1)
                    if sock.connect_ex(("127.0.0.1", number)) == 0:
                        del waiting[name]
            time.sleep(0.2)

    def _print_banner(self, port, sandbox_port, seeded, state_dir, mails, faults):
        lines = [
            "",
            self.style.SUCCESS("The staging app is running."),
            f"  Open    http://127.0.0.1:{port}/admin/",
            f"  Webflow sandbox  http://127.0.0.1:{sandbox_port}/  (no Webflow account needed)"
            + (f"  with faults: {', '.join(faults)}" if faults else ""),
            f"  Demo data ready ({mails} review notification e-mails not shown; new ones go to web.log / worker.log)",
            f"  Logs    {state_dir}/web.log, worker.log, sandbox.log",
            "  Demo logins (demo only):",
            *[f"    {username:<10} {password:<16} {role}" for username, password, role in seeded.users],
            "  Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))

    def _stop_all(self, processes):
        """TERM each process itself (a qcluster stops its workers cleanly in a few seconds when only its main
        process is signalled; TERM to its whole group left it hanging), then KILL whatever is left after 5 s."""
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # also any worker child a dead parent left behind
            process.wait()
