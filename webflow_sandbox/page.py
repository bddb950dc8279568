"""The sandbox's root page: what it holds and what it was asked lately, for a person with a browser."""
from __future__ import annotations

from datetime import UTC, datetime
from html import escape

RECENT_REQUESTS = 30

_STYLE = ("body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d2433}"
          "table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{text-align:left;padding:.3rem .5rem;"
          "border-bottom:1px solid #dde1e8}code{background:#f1f3f6;padding:0 .25rem}.bad{color:#b42318}")


def _rows(rows: list[list[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)


def render(sandbox) -> bytes:
    with sandbox.state.lock:
        sites = [[escape(site["displayName"]), f"<code>{escape(site_id)}</code>",
                  escape(", ".join(loc["tag"] for loc in _locales(site)))]
                 for site_id, site in sandbox.state.sites.items()]
        collections = [[escape(col["displayName"]), f"<code>{escape(cid)}</code>",
                        str(len(sandbox.state.items.get(cid, {}))), str(len(sandbox.state.live.get(cid, {})))]
                       for cid, col in sandbox.state.collections.items()]
    with sandbox._requests_lock:
        recent = list(sandbox.requests[-RECENT_REQUESTS:])
    requests = [[datetime.fromtimestamp(r["time"], UTC).strftime("%H:%M:%S"), escape(r["method"]),
                 escape(r["path"]), _status(r.get("status")), escape(r.get("fault") or "")]
                for r in reversed(recent)]
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Webflow sandbox</title>
<style>{_STYLE}</style></head><body>
<h1>Webflow sandbox</h1>
<p>A local stand-in for Webflow's CMS API (under <code>/v2</code>). The app talks to it when
<code>WEBFLOW_API_BASE_URL</code> is this address and <code>WEBFLOW_API_TOKEN</code> is the token it was started
with. Limit: {sandbox.rate.limit} requests per {sandbox.rate.window:g} s.
{len(sandbox.requests)} API requests so far. Raw data: <a href="/__sandbox__/state">state</a>,
<a href="/__sandbox__/requests">request log</a> (JSON).</p>
<h2>Sites</h2><table><tr><th>Name</th><th>ID</th><th>Locales</th></tr>{_rows(sites) or _empty(3)}</table>
<h2>Collections</h2><table><tr><th>Name</th><th>ID</th><th>Items</th><th>Published</th></tr>
{_rows(collections) or _empty(4)}</table>
<h2>Latest requests</h2><table><tr><th>Time (UTC)</th><th>Method</th><th>Path</th><th>Status</th><th>Fault</th></tr>
{_rows(requests) or _empty(5, "No requests yet.")}</table></body></html>"""
    return body.encode()


def _locales(site: dict) -> list[dict]:
    locales = site.get("locales") or {}
    return [loc for loc in [locales.get("primary"), *(locales.get("secondary") or [])] if loc]


def _status(status) -> str:
    text = escape(str(status if status is not None else "–"))
    return f'<span class="bad">{text}</span>' if not str(status).startswith("2") else text


def _empty(columns: int, text: str = "None yet.") -> str:
    return f'<tr><td colspan="{columns}">{text}</td></tr>'
