"""Faults the sandbox injects, and the answers a faulty Webflow gives.

Kinds (FaultPlan.add):
- before anything is applied: "500", "502", "503" (JSON error body; json_body=False sends an HTML page;
  retry_after adds a Retry-After header), "429" (`times` answers with Retry-After), "slow" (`delay` seconds,
  then normal), "drop_before" (the connection is closed, nothing applied);
- after the write is applied (WRITE_FAULTS): "drop_after_commit" (closed without an answer),
  "timeout_after_commit" (silence for `delay` seconds, then closed), "malformed" (a 2xx whose body is not JSON),
  "truncated" (a body shorter than its Content-Length), "500_after_commit" (a 500 JSON error although the write
  happened), "null_ids" (a 2xx whose items have `"id": null`), "empty_answer" (a 2xx with
  `{"items": [], "pagination": {"total": 0}}`); the last two also apply to lookups (GET), where nothing is written;
- "late_commit": silence for `delay` seconds (longer than the client's read timeout), then the write is
  applied and the connection closed: Webflow still working after the client gave up.

`probability` (0..1) makes a fault fire on that share of the matching requests only, at random (`times=0`
with a probability is a steady rate of faults; the soak uses it). `after=N` lets the first N matching requests
through before the fault starts firing.
"""
from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass

WRITE_FAULTS = {"drop_after_commit", "timeout_after_commit", "malformed", "truncated", "500_after_commit",
                "null_ids", "empty_answer"}
# Well-formed 2xx answers the client cannot use, with nothing applied: the worst case for a loop, as every
# re-send is accepted again and lookups find nothing.
UNAPPLIED_2XX = {
    "unapplied_null_ids": {"items": [{"id": None, "cmsLocaleId": None, "isDraft": False, "fieldData": {}}]},
    "unapplied_empty": {"items": [], "pagination": {"limit": 100, "offset": 0, "total": 0}},
}
FAULT_KINDS = {"500", "502", "503", "429", "slow", "drop_before", "late_commit"} | WRITE_FAULTS | set(UNAPPLIED_2XX)
# Answers that are well-formed HTTP 2xx but carry nothing the client can use (issue 10's endless loops).
UNUSABLE_KINDS = {"null_ids", "empty_answer"}


@dataclass
class Fault:
    kind: str
    path: str = ""
    method: str = ""
    times: int = 1
    delay: float = 0.0
    retry_after: float | None = None
    json_body: bool = True
    probability: float = 1.0
    after: int = 0  # matching requests let through before the fault fires
    used: int = 0
    passed: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not self.path or re.search(self.path, path) is not None


class FaultPlan:
    """Faults to inject, consumed in the order added; `times=0` means every matching request forever."""

    def __init__(self, *, seed: int | None = None):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._random = random.Random(seed)

    def add(self, kind: str, *, path: str = "", method: str = "", times: int = 1, delay: float = 0.0,
            retry_after: float | None = None, json_body: bool = True, probability: float = 1.0,
            after: int = 0) -> Fault:
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {', '.join(sorted(FAULT_KINDS))}")
        if not 0.0 < probability <= 1.0:
            raise ValueError(f"a fault's probability must be above 0 and at most 1, not {probability!r}")
        fault = Fault(kind=kind, path=path, method=method.upper(), times=times, delay=delay,
                      retry_after=retry_after, json_body=json_body, probability=probability, after=after)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path) or (fault.times and fault.used >= fault.times):
                    continue
                if fault.passed < fault.after:
                    fault.passed += 1
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                fault.used += 1
                return fault
        return None

    @staticmethod
    def parse(spec: str) -> dict:
        """Command-line form: KIND[:key=value,...], e.g. "502:path=/items/bulk,times=3,json_body=false"."""
        kind, _, rest = spec.partition(":")
        options: dict = {"kind": kind}
        for part in filter(None, rest.split(",")):
            key, _, value = part.partition("=")
            try:
                if key in ("times", "after"):
                    options[key] = int(value)
                elif key in ("delay", "retry_after", "probability"):
                    options[key] = float(value)
                elif key == "json_body":
                    options[key] = value.lower() not in ("0", "false", "no")
                elif key in ("path", "method"):
                    options[key] = value
                else:
                    raise ValueError(f"unknown fault option {key!r} in {spec!r}")
            except ValueError as exc:
                if "unknown fault option" in str(exc):
                    raise
                raise ValueError(f"fault option {key}={value!r} in {spec!r} is not a number") from exc
        return options


def unusable_body(kind: str, payload):
    """The 2xx body a fault of kind "null_ids" / "empty_answer" sends instead of `payload`."""
    if kind == "empty_answer":
        return {"items": [], "pagination": {"total": 0}}
    entries = payload.get("items") if isinstance(payload, dict) and "items" in payload else [payload]
    return {"items": [dict(entry, id=None) if isinstance(entry, dict) else entry for entry in entries or [{}]],
            **({"pagination": payload["pagination"]} if isinstance(payload, dict) and "pagination" in payload
               else {})}
