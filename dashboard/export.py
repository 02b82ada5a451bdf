"""Report-ready PNGs of the dashboard's charts, offline: kaleido drives the system Chromium.

One long-lived kaleido server serves every image (a cold start costs about 2 s an image, a warm one about 0.2 s).
That server is not thread-safe — concurrent calls return one another's images — so every call goes through one
lock. MathJax is off: kaleido would fetch it from a CDN, which stalls offline.
"""

from __future__ import annotations

import atexit
import threading

import plotly.graph_objects as go

DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_SCALE = 1000, 560, 2


class PngExporter:
    """Turns figures into PNG bytes, one at a time, through one kaleido server started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = False

    def png(
        self,
        figure: go.Figure,
        *,
        width: int = DEFAULT_WIDTH,
        height: int = DEFAULT_HEIGHT,
        scale: float = DEFAULT_SCALE,
    ) -> bytes:
        import kaleido

        with self._lock:
            if not self._started:
                kaleido.start_sync_server(mathjax=False, silence_warnings=True)
                atexit.register(kaleido.stop_sync_server, silence_warnings=True)
                self._started = True
            sized = go.Figure(figure).update_layout(width=width, height=height)
            image = kaleido.calc_fig_sync(
                sized, opts={"format": "png", "width": width, "height": height, "scale": scale}
            )
        return bytes(image)


#: The process's exporter: kaleido's server is a singleton, so there is one of these too.
exporter = PngExporter()
