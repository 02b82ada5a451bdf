"""plotly.js for the pages' charts: a partial bundle of the trace types they draw (dashboard/vendor/, rebuilt by
scripts/build_plotly_bundle.sh), about a quarter of the full plotly.js that dcc.Graph would otherwise fetch.

It is served at a URL that carries a hash of its content, compressed once per process (brotli, else gzip) and
cached by browsers for a year: a new bundle is a new URL. Its script tag comes before Dash's component scripts, so
``window.Plotly`` is defined when the first graph renders and dcc.Graph never loads its own copy.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from functools import cache
from pathlib import Path

from flask import Flask, Response, request

#: The bundle as built by scripts/build_plotly_bundle.sh.
BUNDLE_FILE = Path(__file__).parent / "vendor" / "plotly-partial.min.js"
#: A year, and never revalidated: the URL changes with the content.
CACHE_CONTROL = "public, max-age=31536000, immutable"
_BROTLI_QUALITY = 9  # within 10 % of the best (quality 11) at a twentieth of its time


@cache
def body() -> bytes:
    return BUNDLE_FILE.read_bytes()


@cache
def digest() -> str:
    """The first 16 hex digits of the bundle's SHA-256."""
    return hashlib.sha256(body()).hexdigest()[:16]


def url() -> str:
    """Where the bundle is served: a new content, a new URL."""
    return f"/vendor/plotly-{digest()}.min.js"


_encoded: dict[str, bytes] = {}
_encoding_lock = threading.Lock()


def encoded(encoding: str) -> bytes:
    """The bundle compressed with ``encoding`` ("br" or "gzip"), compressed once per process."""
    with _encoding_lock:
        if encoding not in _encoded:
            if encoding == "br":
                import brotli

                _encoded[encoding] = brotli.compress(body(), quality=_BROTLI_QUALITY)
            else:
                _encoded[encoding] = gzip.compress(body(), compresslevel=9, mtime=0)
        return _encoded[encoding]


def _best_encoding() -> str | None:
    accepted = request.accept_encodings
    for encoding in ("br", "gzip"):
        if accepted[encoding] > 0:
            return encoding
    return None


def serve(name: str) -> Response:
    """The bundle at its hashed name, compressed as the browser accepts; any other name is 404."""
    if name != f"plotly-{digest()}.min.js":
        return Response("not found\n", status=404, mimetype="text/plain")
    if request.if_none_match.contains(digest()):
        response = Response(status=304)
    else:
        encoding = _best_encoding()
        response = Response(encoded(encoding) if encoding else body(), mimetype="application/javascript")
        if encoding:
            response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves it as it is
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(digest())
    return response


def install(server: Flask) -> None:
    server.add_url_rule("/vendor/<name>", "plotly_bundle", serve)
