"""Pushing batches to Webflow, one step per module; `run.batch_push` is where a run starts (see its docstring).

Planning and preview (what would be sent) live in bodies/planning/preflight/preview and write nothing.
"""
from .lease import batch_claim, worker_label
from .run import batch_push

__all__ = ["batch_claim", "batch_push", "worker_label"]
