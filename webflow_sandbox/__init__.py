"""A local Webflow-compatible CMS API server for the demo and the tests (see server.py)."""
from .server import FaultPlan, WebflowSandbox

__all__ = ["FaultPlan", "WebflowSandbox"]
