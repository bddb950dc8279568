"""python -m webflow_sandbox --help (see cli.py)."""
import signal
import sys

from .cli import main

# SIGTERM (the demo stopping it, a container stopping) ends it like Ctrl-C: no traceback, state already saved.
signal.signal(signal.SIGTERM, signal.default_int_handler)
sys.exit(main())
