"""One crawl run: its output folder, its state across resumes, and the Scrapy process that does it.

Output folder layout:
```
OUT/warc/*.warc.gz          2xx page fetches (what `kazcorpus run` reads: inputs: OUT/warc/*.warc.gz)
OUT/diagnostics/*.warc.gz   redirects, 4xx, 5xx (the audit trail; not documents)
OUT/discovery/*.warc.gz     robots.txt and sitemap fetches
OUT/crawl-log.jsonl         one line per fetch attempt or skipped URL
OUT/crawl-runs.jsonl        one line per run: config, start/end, finish reason, counts
OUT/job/                    Scrapy JOBDIR (queue + seen set) and our page counter: what --resume needs
OUT/job-recrawl/            the same for a --recrawl
```
`CrawlRun` is plain Python (no Scrapy import) so its bookkeeping can be read and tested alone; the
Scrapy classes in `spider.py` call into it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kazcorpus.sources.crawl.config import ConfigError, CrawlConfig
from kazcorpus.sources.crawl.scope import Scope, normalise_url
from kazcorpus.sources.crawl.warcfiles import (
    CrawlLog,
    WarcStream,
    read_log,
    recover_open_files,
    utc_iso,
    warcinfo_fields,
)

STREAMS = {"pages": "warc", "diagnostics": "diagnostics", "discovery": "discovery"}
LOG_NAME = "crawl-log.jsonl"
RUNS_NAME = "crawl-runs.jsonl"
STATE_NAME = "kazcorpus-state.json"


class CrawlRun:
    """Everything one crawl run decides and writes, outside of Scrapy."""

    def __init__(self, config: CrawlConfig, output: str | Path, *, seeds: list[str], recrawl: bool = False,
                 conditional: dict[str, dict[str, str]] | None = None):
        self.config = config
        self.output = Path(output)
        self.recrawl = recrawl
        self.jobdir = self.output / ("job-recrawl" if recrawl else "job")
        self.scope = Scope(config.allow, config.deny)
        self.seeds = seeds
        self.conditional = conditional or {}
        # A recrawl refreshes known pages: it follows no links and reads no sitemaps.
        self.max_depth = 0 if recrawl else config.max_depth
        self.discover_sitemaps = config.sitemaps and not recrawl
        self.robots_state: dict[str, str] = {}
        self.crawl_delays: dict[str, float] = {}
        self._claimed: set[int] = set()
        self._skipped: set[tuple[str, str]] = set()
        self.state = self._load_state()
        self.fetches_this_run = 0
        from kazcorpus.pipeline import __version__

        info = warcinfo_fields(
            software=f"kazcorpus {__version__} crawler (Scrapy {_scrapy_version()}, warcio)",
            user_agent=config.full_user_agent,
            robots="obey" if config.obey_robots else "ignore",
            description="kazcorpus recrawl" if recrawl else "kazcorpus crawl",
        )
        self.streams = {
            name: WarcStream(self.output / folder, prefix=config.warc_prefix, max_bytes=config.warc_max_bytes,
                             info=info)
            for name, folder in STREAMS.items()
        }
        self.log = CrawlLog(self.output / LOG_NAME)

    # -- state kept across resumes --------------------------------------------------------------
    def _load_state(self) -> dict[str, Any]:
        path = self.jobdir / STATE_NAME
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        return {"pages": 0}

    def save_state(self) -> None:
        self.jobdir.mkdir(parents=True, exist_ok=True)
        tmp = self.jobdir / (STATE_NAME + ".tmp")
        tmp.write_text(json.dumps(self.state, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.jobdir / STATE_NAME)

    # -- URLs -----------------------------------------------------------------------------------
    def normalise(self, url: str) -> str | None:
        return normalise_url(url, strip_params=self.config.strip_query_params)

    def seed_urls(self) -> Iterator[str]:
        for raw in self.seeds:
            url = self.normalise(raw)
            if url is None:
                self.log_skip(raw, "bad_url", kind="page", depth=0)
                continue
            reason = self.scope.reason(url)
            if reason is not None:
                self.log_skip(url, reason, kind="page", depth=0)
                continue
            yield url

    def conditional_headers(self, url: str) -> dict[str, str]:
        known = self.conditional.get(url) or {}
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    # -- the page budget ------------------------------------------------------------------------
    def claim(self, request: Any) -> None:
        self._claimed.add(id(request))

    def unclaim(self, request: Any) -> None:
        self._claimed.discard(id(request))

    def count_fetch(self, request: Any) -> None:
        self.unclaim(request)
        self.state["pages"] += 1
        self.fetches_this_run += 1
        self.save_state()

    def budget_exhausted(self) -> bool:
        limit = self.config.max_pages
        return limit is not None and self.state["pages"] + len(self._claimed) >= limit

    # -- output ---------------------------------------------------------------------------------
    def write_warc(self, stream: str, records: list[Any]) -> tuple[str, int]:
        name, offset = self.streams[stream].write(records)
        return f"{STREAMS[stream]}/{name}", offset

    def log_fetch(self, **entry: Any) -> None:
        entry["time"] = utc_iso(entry["time"], millis=True)
        entry.setdefault("reason", None)
        self.log.write(**{k: v for k, v in entry.items() if v is not None or k in ("status", "bytes", "reason")})

    def log_skip(self, url: str, reason: str, *, kind: str = "page", depth: int | None = None) -> None:
        if (url, reason) in self._skipped:  # a link on every page is logged once, not once per page
            return
        self._skipped.add((url, reason))
        self.log.write(time=utc_iso(time.time(), millis=True), url=url, kind=kind, status=None, bytes=None,
                       depth=depth, reason=reason)

    def note_crawl_delay(self, host: str, delay: float) -> None:
        self.crawl_delays[host] = delay

    def close(self) -> list[str]:
        for stream in self.streams.values():
            stream.close()
        self.save_state()
        self.log.close()
        return [str(p.relative_to(self.output)) for s in self.streams.values() for p in s.files]


class _QuietThirdParty(logging.Filter):
    """Drops Scrapy/Twisted records below the crawl's log level from handlers we did not set up."""

    NAMES = ("scrapy", "twisted", "asyncio", "protego", "py.warnings")

    def __init__(self, level: str):
        super().__init__()
        self.level = logging.getLevelName(level)

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level or not record.name.startswith(self.NAMES)


def _scrapy_version() -> str:
    try:
        import scrapy

        return scrapy.__version__
    except ImportError:  # the bookkeeping is usable (and tested) without Scrapy
        return "absent"


def recrawl_targets(output: str | Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    """URLs an earlier crawl into `output` fetched with a 2xx answer, with their validators."""
    seen: dict[str, dict[str, str]] = {}
    for entry in read_log(Path(output) / LOG_NAME):
        status = entry.get("status")
        if entry.get("kind") != "page" or not isinstance(status, int) or not 200 <= status < 300:
            continue
        seen[entry["url"]] = {k: entry[k] for k in ("etag", "last_modified") if entry.get(k)}
    return list(seen), seen


def prepare_output(output: Path, *, resume: bool, recrawl: bool) -> None:
    """Checks the folder can take this run, and closes WARC files a killed run left open."""
    jobdir = output / ("job-recrawl" if recrawl else "job")
    if recrawl and not (output / LOG_NAME).exists():
        raise ConfigError(f"--recrawl needs an earlier crawl in {output} (no {LOG_NAME} there)")
    if jobdir.exists() and any(jobdir.iterdir()) and not resume:
        if recrawl:
            shutil.rmtree(jobdir)  # a new recrawl starts over; its earlier WARCs are kept
        else:
            raise ConfigError(
                f"{output} already holds a crawl (its job folder {jobdir} exists): pass --resume to "
                "continue it, --recrawl to refetch its pages, or choose a new --output folder"
            )
    for folder in STREAMS.values():
        if (output / folder).is_dir():
            recover_open_files(output / folder)


def scrapy_settings(config: CrawlConfig, jobdir: Path) -> dict[str, Any]:
    from scrapy.settings import default_settings

    here = "kazcorpus.sources.crawl.spider"
    settings: dict[str, Any] = {
        "BOT_NAME": "kazcorpus",
        "USER_AGENT": config.full_user_agent,
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": config.accept_language,
        },
        "ROBOTSTXT_OBEY": config.obey_robots,
        "ROBOTSTXT_USER_AGENT": config.robots_agent,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        "DOWNLOAD_DELAY": config.delay,
        "CONCURRENT_REQUESTS": config.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": config.per_host_concurrency,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": config.delay,
        "AUTOTHROTTLE_MAX_DELAY": max(config.max_delay, config.delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": config.autothrottle_target_concurrency,
        "DOWNLOAD_TIMEOUT": config.timeout,
        "RETRY_ENABLED": config.retries > 0,
        "RETRY_TIMES": config.retries,
        "RETRY_HTTP_CODES": config.retry_http_codes,
        "REDIRECT_MAX_TIMES": config.max_redirects,
        "DEPTH_LIMIT": config.max_depth + 1,  # the spider logs and stops at max_depth; this is a backstop
        "DEPTH_PRIORITY": 1,  # breadth first: every site gets its top pages before anyone's deep ones
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "SCHEDULER": f"{here}.BudgetScheduler",
        "JOBDIR": str(jobdir),
        "DOWNLOAD_MAXSIZE": 0,  # size limits are applied (by cutting, not dropping) in WarcMiddleware
        "DOWNLOAD_WARNSIZE": 0,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": config.log_level,
        "DOWNLOADER_MIDDLEWARES": {
            f"{here}.ScopeMiddleware": 50,
            f"{here}.RobotsPolicyMiddleware": 101,
            f"{here}.WarcMiddleware": 950,
        },
        "EXTENSIONS": {
            "scrapy.extensions.throttle.AutoThrottle": None,
            f"{here}.PoliteThrottle": 0,
        },
    }
    if hasattr(default_settings, "REMOTE_CONTROL_ENABLED"):
        settings["REMOTE_CONTROL_ENABLED"] = False  # Scrapy >= 2.19 would open a listening port
    # The per-host delay is a floor we promise site owners, so it must not be randomised below.
    if hasattr(default_settings, "DOWNLOAD_DELAY_JITTER"):
        settings["DOWNLOAD_DELAY_JITTER"] = 0.0
    else:  # Scrapy < 2.14
        settings["RANDOMIZE_DOWNLOAD_DELAY"] = False
    return settings


def run_crawl(config: CrawlConfig, output: str | Path, seeds: list[str], *, resume: bool = False,
              recrawl: bool = False) -> tuple[str, dict[str, Any]]:
    """Runs one crawl in this process (the Twisted reactor starts once per process). Returns
    (Scrapy's finish reason, a summary)."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    prepare_output(output, resume=resume, recrawl=recrawl)  # refuse before the slow imports

    from scrapy.crawler import CrawlerProcess

    from kazcorpus.sources.crawl.spider import KazSpider

    conditional: dict[str, dict[str, str]] = {}
    if recrawl:
        seeds, conditional = recrawl_targets(output)
    run = CrawlRun(config, output, seeds=seeds, recrawl=recrawl, conditional=conditional)
    started = time.time()
    settings = scrapy_settings(config, run.jobdir)
    quiet = _QuietThirdParty(config.log_level)
    root = logging.getLogger()
    if root.handlers:
        # `kazcorpus` already set up logging: Scrapy must not add a second handler, and its
        # chatter must obey the crawl's log_level in the handlers that are there.
        settings["LOG_INSTALL_ROOT_HANDLER"] = False
        for handler in root.handlers:
            handler.addFilter(quiet)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(KazSpider)
    process.crawl(crawler, run=run)
    try:
        process.start()
    finally:
        files = run.close()
        for handler in root.handlers:
            handler.removeFilter(quiet)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = str(stats.get("finish_reason", "unknown"))
    summary = {
        "started": utc_iso(started), "finished": utc_iso(time.time()), "finish_reason": reason,
        "resume": resume, "recrawl": recrawl, "fetches": run.fetches_this_run,
        "pages_total": run.state["pages"], "warc_files": files,
        "robots_forbidden": stats.get("robotstxt/forbidden", 0),
        "crawl_delays": run.crawl_delays, "config": config.model_dump(),
    }
    with open(output / RUNS_NAME, "a", encoding="utf-8") as f:
        f.write(json.dumps(summary, ensure_ascii=False, sort_keys=True) + "\n")
    return reason, summary
