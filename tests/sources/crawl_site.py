"""A tiny web site on 127.0.0.1 for the crawler tests, recording every request it answers.

Routes are a dict of path -> callable(handler) returning (status, headers, body); the callable may
sleep to play a slow server.  `hits` lists (time, path, headers) as the server saw them, so tests
measure the crawler's request rate from the server's side, as a site owner would.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable

Route = Callable[["http.server.BaseHTTPRequestHandler"], tuple[int, dict[str, str], bytes]]


def html(body: str, status: int = 200, **headers: str) -> tuple[int, dict[str, str], bytes]:
    data = f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>".encode()
    return status, {"Content-Type": "text/html; charset=utf-8", **headers}, data


def links(*paths: str, nofollow: tuple[str, ...] = ()) -> str:
    out = [f'<a href="{p}">{p}</a>' for p in paths]
    out += [f'<a rel="nofollow" href="{p}">{p}</a>' for p in nofollow]
    return " ".join(out)


class Site:
    def __init__(self, routes: dict[str, Route] | None = None, prefixes: dict[str, Route] | None = None):
        self.routes = dict(routes or {})
        self.prefixes = dict(prefixes or {})  # path prefix -> route, for generated pages (calendars)
        self.hits: list[tuple[float, str, dict[str, str]]] = []
        self.active = 0  # requests being answered now; max_active shows the crawler's concurrency
        self.max_active = 0
        self._lock = threading.Lock()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with site._lock:
                    site.hits.append((time.monotonic(), self.path, dict(self.headers.items())))
                    site.active += 1
                    site.max_active = max(site.max_active, site.active)
                try:
                    self._answer()
                finally:
                    with site._lock:
                        site.active -= 1

            def _answer(self) -> None:
                route = site.routes.get(self.path)
                if route is None:
                    route = next((r for p, r in site.prefixes.items() if self.path.startswith(p)), None)
                status, headers, body = route(self) if route else html("not found", 404)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler gave up (timeout, size cut): that is what some tests want

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        with self._lock:
            return [p for _, p, _ in self.hits]

    def times(self, *, exclude: tuple[str, ...] = ()) -> list[float]:
        with self._lock:
            return [t for t, p, _ in self.hits if p not in exclude]
