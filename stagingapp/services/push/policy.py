"""What the run does after a Webflow error: wait, back off, or stop the batch with a message for editors."""
import random

from django.conf import settings

from .lease import nap

TOKEN_MESSAGE = (
    "Webflow refused the API token ({error}). Check WEBFLOW_API_TOKEN: it must be a valid site token with the "
    "cms:write scope for this site. The batch was stopped; nothing more was sent."
)
COLLECTION_GONE_MESSAGE = (
    "Webflow does not know collection {collection_id} ({error}). Check the collection's Webflow ID or sync it "
    "again. The batch was stopped."
)
# The client already waits out a few 429s per request; this many more waits in one run means something else is
# spending the token's budget, and the batch stops rather than spinning.
MAX_RATE_LIMIT_WAITS = 20


class StopBatch(Exception):
    """Webflow answered in a way that makes every further request pointless (token, scope, missing collection)."""


def wait_rate_limit(run, exc) -> None:
    """A 429 that outlived the client's own waits: wait again; a token stuck at its limit stops the batch."""
    run.rate_limited += 1
    if run.rate_limited > MAX_RATE_LIMIT_WAITS:
        raise StopBatch(f"Webflow kept answering 429 Too Many Requests ({exc}); another integration may be "
                        "using the same token's budget. The batch was stopped.")
    nap(run, max(1.0, float(getattr(exc, "retry_after", 60.0) or 60.0)))


def backoff(attempt: int) -> float:
    cap = min(settings.WEBFLOW_PUSH_BACKOFF_MAX_SECONDS, settings.WEBFLOW_PUSH_BACKOFF_BASE_SECONDS * 2 ** attempt)
    return random.uniform(cap / 2, cap)
