"""The Scrapy side of the crawler: spider, middlewares, scheduler and throttle.

Scrapy does the hard parts (robots.txt via Protego, redirects, retries, depth, AutoThrottle, the
on-disk queue and seen-set that make JOBDIR resume work); this module adds what a corpus crawl
needs on top, each piece at the point of Scrapy's flow where it belongs:

- `ScopeMiddleware` (downloader, 50): every request, redirect targets included, must be in the
  allow-list before anything (even robots.txt) is fetched from its host.
- `RobotsPolicyMiddleware` (101, just after Scrapy's RobotsTxtMiddleware at 100): RFC 9309's rule
  that an unavailable robots.txt means "disallow", and the robots decision put on the request.
- `WarcMiddleware` (950, next to the download handler): sees every raw exchange before redirects,
  retries or decompression; writes the WARC records and the crawl log, cuts huge bodies.
- `BudgetScheduler`: hands out no more page requests than `max_pages` allows, leaving the rest in
  the JOBDIR queue so a later `--resume` with a larger budget continues where this one stopped.
- `PoliteThrottle`: AutoThrottle, floored by the robots.txt Crawl-delay, with backoff on 429/503.

Only the crawl subprocess imports this module, so Scrapy stays optional for the rest of kazcorpus.
"""

from __future__ import annotations

import http
import io
import re
import time
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider, signals
from scrapy.core.scheduler import Scheduler
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from kazcorpus.sources.crawl.runner import CrawlRun

# Request meta keys this module owns.
KIND = "kz_kind"  # "page" | "sitemap" | "robots"
SKIP = "kz_skip_reason"
ROBOTS = "kz_robots"
FETCH_TIME = "kz_fetch_time"
RECEIVED = "kz_received"
TRUNCATED = "kz_truncated"
SITEMAP_LEVEL = "kz_sitemap_level"
ROBOTS_NETLOC = "kz_robots_netloc"

MAX_SITEMAP_NESTING = 3

# robots.txt state of a host -> the decision recorded on pages fetched from it.
_ROBOTS_DECISION = {
    "fetched": "allowed",
    "absent": "allowed_no_robots_txt",
    "unavailable": "allowed_robots_unavailable",
    "unreachable": "allowed_robots_unreachable",
}


def _run(crawler: Any) -> CrawlRun:
    return crawler.spider.run


def _kind(request: Request) -> str:
    if KIND in request.meta:
        return request.meta[KIND]
    # Scrapy's RobotsTxtMiddleware builds its own robots.txt requests; recognise them by their mark.
    if request.meta.get("dont_obey_robotstxt") and urlparse_cached(request).path == "/robots.txt":
        return "robots"
    return "page"


def _error_reason(exc: BaseException) -> str:
    name = type(exc).__name__
    if "Timeout" in name or "TimedOut" in name:
        return "timeout"
    if "DNS" in name or "Resolve" in name:
        return "dns_error"
    if "Refused" in name:
        return "connection_refused"
    if name in ("ResponseFailed", "ConnectionLost", "DownloadFailedError", "ResponseNeverReceived"):
        return "connection_lost"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class KazSpider(Spider):
    """Follows links from the seeds (and sitemaps) within scope and depth; records nothing itself."""

    name = "kazcorpus"

    def __init__(self, *args: Any, run: CrawlRun, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.run = run
        self.links = LinkExtractor(canonicalize=False, unique=True)
        self._sitemap_hosts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> KazSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._robots_parsed, signal=signals.robots_parsed)
        return spider

    # -- requests -------------------------------------------------------------------------------
    def _page_request(self, url: str, **meta: Any) -> Request:
        return Request(url, callback=self.parse, errback=self.on_error, meta={KIND: "page", **meta},
                       headers=self.run.conditional_headers(url))

    async def start(self):  # noqa: ANN201 - Scrapy's async-generator start hook (>= 2.13)
        for request in self.start_requests():
            yield request

    def start_requests(self):  # noqa: ANN201
        for url in self.run.seed_urls():
            yield self._page_request(url)

    def _follow(self, url: str, depth: int, *, kind: str = "page") -> Request | None:
        norm = self.run.normalise(url)
        if norm is None:
            return None
        reason = self.run.scope.reason(norm)
        if reason is None and depth > self.run.max_depth:
            reason = "max_depth"
        if reason is not None:
            self.run.log_skip(norm, reason, kind=kind, depth=depth)
            return None
        return self._page_request(norm)

    # -- callbacks ------------------------------------------------------------------------------
    def parse(self, response: Any):  # noqa: ANN201
        if response.meta.get(SKIP) or not 200 <= response.status < 300:
            return
        if not isinstance(response, HtmlResponse):
            return
        depth = response.meta.get("depth", 0) + 1
        for link in self.links.extract_links(response):
            if link.nofollow and not self.run.config.follow_nofollow:
                continue
            request = self._follow(link.url, depth)
            if request is not None:
                yield request

    def parse_sitemap(self, response: Any):  # noqa: ANN201
        from scrapy.utils.gz import gunzip, gzip_magic_number
        from scrapy.utils.sitemap import Sitemap

        if not 200 <= response.status < 300:
            return
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.run.config.max_decompressed_bytes)
            except Exception:  # noqa: BLE001 - a broken sitemap is logged and skipped, never fatal
                self.run.log_skip(response.url, "bad_sitemap", kind="sitemap")
                return
        try:
            sitemap = Sitemap(body)
        except Exception:  # noqa: BLE001 - lxml raises several types on garbage
            self.run.log_skip(response.url, "bad_sitemap", kind="sitemap")
            return
        level = response.meta.get(SITEMAP_LEVEL, 0)
        depth = response.meta.get("depth", 0) + 1
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                if level + 1 < MAX_SITEMAP_NESTING:
                    yield self._sitemap_request(loc, level + 1)
            else:
                request = self._follow(loc, depth)
                if request is not None:
                    yield request

    def on_error(self, failure: Any) -> None:
        request = failure.request
        self.run.unclaim(request)
        if failure.check(IgnoreRequest) and not _is_http_error(failure):
            reason = request.meta.get(SKIP)
            if reason is None:
                reason = "robots_disallowed" if "robots.txt" in str(failure.value) else "ignored"
            self.run.log_skip(request.url, reason, kind=_kind(request), depth=request.meta.get("depth", 0))
        # Download errors were logged by WarcMiddleware, per attempt; HTTP errors were recorded.

    # -- sitemap discovery ----------------------------------------------------------------------
    def _sitemap_request(self, url: str, level: int) -> Request:
        return Request(url, callback=self.parse_sitemap, errback=self.on_error,
                       meta={KIND: "sitemap", SITEMAP_LEVEL: level})

    def _robots_parsed(self, robotparser: Any, request: Request) -> None:
        if not self.run.discover_sitemaps:
            return
        parts = urlparse_cached(request)
        base = f"{parts.scheme}://{parts.netloc}"
        if base in self._sitemap_hosts:
            return
        self._sitemap_hosts.add(base)
        protego = getattr(robotparser, "rp", None)
        declared = list(getattr(protego, "sitemaps", []) or [])
        for url in declared or [f"{base}/sitemap.xml"]:
            norm = self.run.normalise(url)
            if norm and self.run.scope.reason(norm) is None:
                self.crawler.engine.crawl(self._sitemap_request(norm, 0))


def _is_http_error(failure: Any) -> bool:
    from scrapy.spidermiddlewares.httperror import HttpError

    return bool(failure.check(HttpError))


class ScopeMiddleware:
    """Refuses requests outside the allow-list (redirect targets included) before any fetch."""

    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        run = _run(self.crawler)
        reason = run.scope.reason(request.url)
        if reason is not None:
            if _kind(request) == "robots":
                # A robots.txt redirected out of scope cannot be read: RFC 9309 treats that as
                # "no robots.txt", not as "unreachable".
                run.robots_state[request.meta.get(ROBOTS_NETLOC, urlparse_cached(request).netloc)] = "absent"
            request.meta[SKIP] = reason
            raise IgnoreRequest(reason)


class RobotsPolicyMiddleware:
    """Applies RFC 9309 to hosts whose robots.txt failed, and marks the robots decision."""

    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RobotsPolicyMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        if _kind(request) == "robots":
            return
        run = _run(self.crawler)
        if not run.config.obey_robots:
            request.meta[ROBOTS] = "not_checked"
            return
        state = run.robots_state.get(urlparse_cached(request).netloc, "fetched")
        if state in ("unavailable", "unreachable") and run.config.robots_unavailable == "disallow":
            request.meta[SKIP] = f"robots_{state}"
            raise IgnoreRequest(f"robots.txt {state}")
        request.meta[ROBOTS] = _ROBOTS_DECISION[state]


class WarcMiddleware:
    """Writes every exchange to WARC and the crawl log; enforces content-type and size limits."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        crawler.signals.connect(self._headers_received, signal=signals.headers_received)
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarcMiddleware:
        return cls(crawler)

    # -- signals from the download handler ----------------------------------------------------
    def _headers_received(self, headers: Any, body_length: Any, request: Request, spider: Any = None) -> None:
        request.meta[FETCH_TIME] = time.time()
        request.meta[RECEIVED] = 0
        if _kind(request) != "page":
            return
        ctype = (headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower().decode("latin-1")
        if ctype and ctype not in _run(self.crawler).config.content_types:
            request.meta[SKIP] = "content_type_not_allowed"
            raise StopDownload(fail=False)

    def _bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        limit = self._limit(request)
        request.meta[RECEIVED] = request.meta.get(RECEIVED, 0) + len(data)
        if request.meta[RECEIVED] > limit:
            request.meta[TRUNCATED] = True
            raise StopDownload(fail=False)

    def _limit(self, request: Request) -> int:
        cfg = _run(self.crawler).config
        return cfg.max_page_bytes if _kind(request) == "page" else cfg.max_discovery_bytes

    # -- downloader middleware hooks ------------------------------------------------------------
    def process_request(self, request: Request, spider: Any = None) -> None:
        kind = _kind(request)
        if kind == "robots":
            request.meta.setdefault(ROBOTS_NETLOC, urlparse_cached(request).netloc)
        elif kind == "page":
            _run(self.crawler).count_fetch(request)
        # Scrapy's own size limit would drop (not cut) big bodies; it only guards decompression here.
        request.meta["download_maxsize"] = 0
        for key in (SKIP, TRUNCATED, FETCH_TIME, RECEIVED):
            request.meta.pop(key, None)

    def process_response(self, request: Request, response: Any, spider: Any = None) -> Any:
        run = _run(self.crawler)
        kind = _kind(request)
        request.meta["download_maxsize"] = run.config.max_decompressed_bytes
        fetched = request.meta.get(FETCH_TIME) or time.time()
        status = response.status
        body = response.body
        truncated = bool(request.meta.get(TRUNCATED))
        if truncated:
            body = body[: self._limit(request)]
            response = response.replace(body=body)
        skip = request.meta.get(SKIP)
        entry: dict[str, Any] = {
            "url": request.url, "kind": kind, "status": status, "bytes": len(body),
            "depth": request.meta.get("depth", 0), "time": fetched,
            "content_type": _header(response, "Content-Type"),
        }
        if retry := request.meta.get("retry_times"):
            entry["attempt"] = retry + 1
        if skip and 200 <= status < 300:
            run.log_fetch(**entry, reason=skip)
            return response
        if kind == "robots":
            response = self._robots_response(run, request, response)
        robots = request.meta.get(ROBOTS) if kind != "robots" else None
        stream = "discovery" if kind != "page" else ("pages" if 200 <= status < 300 else "diagnostics")
        records = self._records(request, response, body, fetched, robots=robots, truncated=truncated,
                                stopped=bool(skip))
        warc, offset = run.write_warc(stream, records)
        if 300 <= status < 400:
            entry["location"] = _header(response, "Location")
        if 200 <= status < 300 and kind == "page":
            entry["etag"] = _header(response, "ETag")
            entry["last_modified"] = _header(response, "Last-Modified")
        run.log_fetch(**entry, robots=robots, truncated=truncated, warc=warc, offset=offset)
        return response

    def process_exception(self, request: Request, exception: BaseException, spider: Any = None) -> None:
        if isinstance(exception, IgnoreRequest):
            return
        run = _run(self.crawler)
        kind = _kind(request)
        if kind == "robots":
            run.robots_state[request.meta.get(ROBOTS_NETLOC, urlparse_cached(request).netloc)] = "unreachable"
        entry: dict[str, Any] = {"url": request.url, "kind": kind, "status": None, "bytes": None,
                                 "depth": request.meta.get("depth", 0), "time": time.time(),
                                 "reason": _error_reason(exception), "detail": str(exception)[:300]}
        if retry := request.meta.get("retry_times"):
            entry["attempt"] = retry + 1
        run.log_fetch(**entry)

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _robots_response(run: CrawlRun, request: Request, response: Any) -> Any:
        netloc = request.meta.get(ROBOTS_NETLOC, urlparse_cached(request).netloc)
        status = response.status
        if 300 <= status < 400:
            return response  # RedirectMiddleware follows it; the final answer sets the state
        if 200 <= status < 300:
            run.robots_state[netloc] = "fetched"
            return response
        run.robots_state[netloc] = "absent" if status < 500 else "unavailable"
        # A 4xx robots.txt means "no rules" (RFC 9309): its error page must not be parsed as rules.
        return response.replace(body=b"")

    def _records(self, request: Request, response: Any, body: bytes, fetched: float, *,
                 robots: str | None, truncated: bool, stopped: bool) -> list[Any]:
        from warcio.statusandheaders import StatusAndHeaders

        from kazcorpus.sources.crawl.warcfiles import utc_iso

        builder = _record_builder()
        date = utc_iso(fetched)
        parts = urlparse_cached(request)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_headers = [(k.decode("latin-1"), v.decode("latin-1"))
                       for k, vs in request.headers.items() for v in vs]
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", parts.netloc))
        req_rec = builder.create_warc_record(
            request.url, "request", payload=io.BytesIO(request.body or b""),
            http_headers=StatusAndHeaders(f"{request.method} {target} HTTP/1.1", req_headers,
                                          is_http_request=True),
        )
        req_rec.rec_headers.replace_header("WARC-Date", date)
        headers = []
        for k, vs in response.headers.items():
            name = k.decode("latin-1")
            for v in vs:
                value = v.decode("latin-1")
                # The body is stored de-chunked, and perhaps cut: keep the original values under
                # X-Crawler-* (as Common Crawl does) so readers do not re-apply them.
                if name.lower() == "transfer-encoding" or (name.lower() == "content-length" and truncated):
                    name = "X-Crawler-" + name
                headers.append((name, value))
        if truncated:
            headers.append(("Content-Length", str(len(body))))
        phrase = _phrase(response.status)
        protocol = getattr(response, "protocol", None) or "HTTP/1.1"
        resp_rec = builder.create_warc_record(
            response.url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(f"{response.status} {phrase}".strip(), headers, protocol=protocol),
        )
        resp_rec.rec_headers.replace_header("WARC-Date", date)
        custom = []
        if response.ip_address is not None:
            custom.append(("WARC-IP-Address", str(response.ip_address)))
        if truncated:
            custom.append(("WARC-Truncated", "length"))
        elif stopped:
            custom.append(("WARC-Truncated", "unspecified"))
        if robots is not None:
            custom.append(("WARC-Robots", robots))
        custom.append(("WARC-Crawl-Depth", str(request.meta.get("depth", 0))))
        _insert_before_content_type(resp_rec, custom)
        rid = resp_rec.rec_headers.get_header("WARC-Record-ID")
        _insert_before_content_type(req_rec, [("WARC-Concurrent-To", rid)])
        return [req_rec, resp_rec]


_BUILDER: Any = None


def _record_builder() -> Any:
    """A warcio writer used only to build records (its target buffer is never written to)."""
    global _BUILDER
    if _BUILDER is None:
        from warcio.warcwriter import WARCWriter

        _BUILDER = WARCWriter(io.BytesIO(), gzip=True)
    return _BUILDER


def _insert_before_content_type(record: Any, fields: list[tuple[str, str]]) -> None:
    # Keeps the WARC-* fields together, ahead of Content-Type/Length, as readers and people expect.
    headers = record.rec_headers.headers
    idx = next((i for i, (k, _) in enumerate(headers) if k.lower() == "content-type"), len(headers))
    headers[idx:idx] = fields


def _header(response: Any, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value is not None else None


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


class BudgetScheduler(Scheduler):
    """Scrapy's scheduler, handing out page requests only while the `max_pages` budget lasts.

    Requests left in the queue stay in JOBDIR, so `--resume` with a larger budget continues them.
    """

    _closing = False

    def next_request(self) -> Request | None:
        run = _run(self.crawler)
        if run.budget_exhausted():
            if self.has_pending_requests():  # else the crawl simply finishes
                self._close("max_pages")
            return None
        request = super().next_request()
        if request is not None and _kind(request) == "page":
            run.claim(request)
        return request

    def _close(self, reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        from scrapy.utils.defer import deferred_from_coro

        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):
            deferred_from_coro(engine.close_spider_async(reason=reason))
        else:  # Scrapy < 2.14
            engine.close_spider(self.crawler.spider, reason)


class PoliteThrottle(AutoThrottle):
    """AutoThrottle that never goes below a host's robots.txt Crawl-delay, and backs off on 429/503."""

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.floors: dict[str, float] = {}
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)

    def _robots_parsed(self, robotparser: Any, request: Request) -> None:
        run = _run(self.crawler)
        wanted = robotparser.crawl_delay(run.config.robots_agent)
        if wanted is None:
            return
        floor = max(run.config.delay, min(float(wanted), run.config.max_crawl_delay))
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        self.floors[key] = floor
        # New slots for this host (after Scrapy garbage-collects idle ones) start at the floor too.
        downloader.per_slot_settings.setdefault(key, {})["delay"] = floor
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, floor)
        run.note_crawl_delay(key, floor)

    def _response_downloaded(self, response: Any, request: Request, spider: Any = None) -> None:
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if slot is None:
            return
        if response.status in (429, 503):
            wait = _retry_after(response)
            slot.delay = min(self.maxdelay, max(slot.delay * 2, wait, self.mindelay, 0.1))
        slot.delay = max(slot.delay, self.floors.get(key, self.mindelay))


def _retry_after(response: Any) -> float:
    value = _header(response, "Retry-After")
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return 0.0
