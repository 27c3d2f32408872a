"""The Content-Security-Policy (and other safety headers) on every response of ``hark gui``.

Names of recordings, labels and CSV contents are escaped before they reach the page; the
policy is the second wall: even markup that slipped through cannot run script. It allows
scripts only from the server itself and the page's own inline bootstrap scripts, pinned by
their SHA-256 hashes (computed per response, since Bokeh writes session ids into them), so
an ``onerror=`` attribute or a planted ``<script>`` never runs. ``'unsafe-eval'`` stays:
BokehJS compiles the page's ``CustomJS`` (the key listener) with ``new Function``; it lets
the page's own code build functions, not markup in data run. Styles may be inline (Bokeh
lays out its widgets with them); images, audio and fonts come from the server or ``data:``
URLs (the spectrogram and the played sound); the page talks only to its own server
(``connect-src`` names its WebSocket address); it cannot be framed, send forms, or change its base.

Applied as a tornado output transform, so it covers every handler Bokeh installs
(the page, static files, the autoload script), not only the ones hark knows about.
"""

from __future__ import annotations

import base64
import hashlib
import re

from tornado.web import OutputTransform

# an inline script element that the browser runs: no src, and no type or a JavaScript type
_SCRIPT = re.compile(rb"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
_TYPE = re.compile(rb"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_RUN_TYPES = {b"", b"text/javascript", b"application/javascript", b"module"}


def inline_script_hashes(page: bytes) -> list[str]:
    """The CSP source expressions (``'sha256-...'``) of the inline scripts a browser would run in ``page``."""
    hashes = []
    for found in _SCRIPT.finditer(page):
        attrs = found.group("attrs")
        if re.search(rb"\bsrc\s*=", attrs, re.IGNORECASE):
            continue
        kind = _TYPE.search(attrs)
        if (kind.group(1).lower() if kind else b"") not in _RUN_TYPES:
            continue  # data (application/json) is never run, so needs no hash
        digest = base64.b64encode(hashlib.sha256(found.group("body")).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return sorted(set(hashes))


def content_security_policy(host: str, script_hashes: list[str]) -> str:
    """The policy for a page served to a browser that reached the server as ``host`` (``name:port``)."""
    sockets = f"ws://{host} wss://{host}" if host and re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", host) else ""
    script = " ".join(["'self'", *script_hashes, "'unsafe-eval'"])
    return "; ".join([
        "default-src 'none'",
        f"script-src {script}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "font-src 'self' data:",
        f"connect-src 'self' {sockets}".strip(),
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])  # fmt: skip


class SecurityHeaders(OutputTransform):
    """Adds the policy (with the hashes of a page's own inline scripts) and no-sniff, no-referrer headers."""

    def __init__(self, request):
        super().__init__(request)
        self._host = request.host or ""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        # an HTML page sent in pieces cannot be hashed whole: its inline scripts are then refused,
        # which fails closed (Bokeh writes its pages in one piece)
        is_html = headers.get("Content-Type", "").startswith("text/html")
        hashes = inline_script_hashes(chunk) if is_html and finishing else []
        headers["Content-Security-Policy"] = content_security_policy(self._host, hashes)
        headers["X-Content-Type-Options"] = "nosniff"
        # the page's address may carry the token: never send it to another site
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        return status_code, headers, chunk
