"""Raw payload -> text: the one trafilatura set-up of the project, as the `extract` stage.

Readers leave the raw payload on the document (`doc.raw`, `doc.raw_type`); this operator turns it
into text.  Keeping extraction an operator (not part of reading) lets the graph time it, count its
failures as drops with a reason, and re-run it alone in `trace --reproduce` (re-read one record with
`sources.reread`, run this operator, compare `provenance.text_hash`).

What it records besides the text: the charset actually used and where it came from (HTTP header,
then `<meta>`, then detection with charset-normalizer), `<html lang>`, title and publication date
(trafilatura's metadata), rights signals (`rel="license"` links, robots meta / X-Robots-Tag values,
TDM reservation meta / header) with an `opted_out` flag, and the extractor's name and version.

Time limit: one pathological page must not stall a worker.  `timeout_mode="auto"` uses a SIGALRM
interval timer in the main thread and, in other threads (Beam's SDK workers call operators from a
thread pool, where signals cannot reach), a per-process watchdog thread that raises the timeout in the
late thread (`PyThreadState_SetAsyncExc`).  Both cost microseconds per page and interrupt trafilatura
at its next Python bytecode, which is where its slow pages spend their time (XPath callbacks, tree
walks); neither can stop one long C call.  `timeout_mode="process"` extracts in a persistent child
process that is killed and restarted on a timeout: it stops anything, at the price of sending every
page through a pipe and a second interpreter per worker (~25% more CPU per page with 2 workers).
Either way the document is dropped with `extraction_timeout`.
"""

from __future__ import annotations

import codecs
import re
import signal
import threading
import time
from functools import cache
from importlib.metadata import version
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc, text_hash


class ExtractConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    favor_precision: bool = True
    include_tables: bool = False
    fast: bool = False  # trafilatura's fast mode: no fallback extractors
    # Output-identical speed-ups of trafilatura's XPath evaluation (sources/fast_trafilatura.py,
    # ~1.25x faster extraction); false runs stock trafilatura.
    speedups: bool = True
    # Title and date come cheaply from the page head (<title>, og:title, article:published_time,
    # JSON-LD datePublished, <time datetime>). `with_metadata: true` asks trafilatura for its full
    # metadata instead (htmldate's heuristics): better dates on odd pages, ~40% slower extraction.
    with_metadata: bool = False
    timeout_s: float = Field(10.0, gt=0)
    timeout_mode: Literal["auto", "signal", "thread", "process", "off"] = "auto"
    min_chars: int = Field(1, ge=0)
    max_payload_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    keep_http_errors: bool = False  # keep non-2xx responses (error pages are rarely content)
    mime_types: list[str] = Field(
        default_factory=lambda: ["text/html", "application/xhtml+xml", "text/plain"]
    )


@cache
def extractor_name() -> str:
    return f"trafilatura {version('trafilatura')}"


@cache
def wiki_extractor_name() -> str:
    return f"mwparserfromhell {version('mwparserfromhell')}"


# ------------------------------------------------------------------------------------------------
# charset

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
# browsers read these labels as windows-1252 (WHATWG Encoding), and so do real pages
_WHATWG_ALIASES = {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252", "latin_1": "cp1252"}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _WHATWG_ALIASES.get(name, name)


def decode_payload(raw: bytes, header_charset: str | None) -> tuple[str, str, str]:
    """(text, codec, source) where source is "http", "meta", "utf-8", "detected" or "fallback"."""
    candidates = [(_codec(header_charset), "http")]
    m = _META_CHARSET.search(raw, 0, 4096)
    if m:
        candidates.append((_codec(m.group(1).decode("ascii", "replace")), "meta"))
    candidates.append(("utf-8", "utf-8"))
    for codec, source in candidates:
        if codec is None:
            continue
        try:
            return raw.decode(codec), codec, source
        except (UnicodeDecodeError, LookupError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(raw[: 1 << 18]).best()
    if best is not None and best.encoding:
        return raw.decode(best.encoding, errors="replace"), best.encoding, "detected"
    return raw.decode("utf-8", errors="replace"), "utf-8", "fallback"


# ------------------------------------------------------------------------------------------------
# page facts and rights signals

# re.A: HTML tag/attribute names and keywords are ASCII case-insensitive (a Unicode-aware re.I
# would also fold e.g. U+017F into "s"), and it halves the cost of these scans over whole pages.
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)", re.I | re.A)
_META_TAG = re.compile(r"<meta\b[^>]*>", re.I | re.A)
_ATTR = re.compile(r"""([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")
_LICENSE_TAG = re.compile(r"<(?:a|link)\b[^>]*\brel\s*=\s*[\"']?[^\"'>]*\blicense\b[^>]*>", re.I | re.A)
_CC = re.compile(r"creativecommons\.org/(licenses|publicdomain)/([a-z-]+)(?:/(\d\.\d))?", re.I | re.A)
ROBOTS_TOKENS = ("noindex", "nofollow", "noai", "noimageai", "none", "noarchive")


def _attrs(tag: str) -> dict[str, str]:
    return {m.group(1).lower(): (m.group(2) or m.group(3) or m.group(4) or "") for m in _ATTR.finditer(tag)}


_TITLE = re.compile(r"<title[^>]*>\s*(.*?)\s*</title>", re.I | re.A | re.S)
_OG_TITLE = re.compile(r"<meta[^>]+property=[\"']og:title[\"'][^>]+content=[\"']([^\"']+)", re.I | re.A)
_DATE_PATTERNS = [
    re.compile(r"<meta[^>]+(?:property|name|itemprop)=[\"'](?:article:published_time|og:published_time|"
               r"datePublished|pubdate|publishdate|date|dc\.date|DC\.date\.issued)[\"'][^>]*?"
               r"content=[\"']([^\"']{8,40})", re.I | re.A),
    re.compile(r"\"datePublished\"\s*:\s*\"([^\"]{8,40})\"", re.I | re.A),
    re.compile(r"<time[^>]+datetime=[\"']([^\"']{8,40})", re.I | re.A),
]
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def page_title(html: str) -> str | None:
    """The page title from its head: og:title, else <title> (entities decoded, spaces folded)."""
    import html as html_lib

    m = _OG_TITLE.search(html, 0, 1 << 17) or _TITLE.search(html, 0, 1 << 17)
    if not m:
        return None
    title = " ".join(html_lib.unescape(m.group(1)).split())
    return title[:500] or None


def page_date(html: str) -> str | None:
    """Publication date (YYYY-MM-DD) declared in the page's markup, if any."""
    for pattern in _DATE_PATTERNS:
        m = pattern.search(html, 0, 1 << 18)
        if m:
            day = _ISO_DAY.search(m.group(1))
            if day and 1990 <= int(day.group(1)) <= 2100 and 1 <= int(day.group(2)) <= 12:
                return day.group(0)
    return None


def html_lang(html: str) -> str | None:
    m = _HTML_LANG.search(html, 0, 1 << 16)
    return m.group(1).replace("_", "-").lower() if m else None


def licence_name(url: str) -> str | None:
    m = _CC.search(url)
    if not m:
        return None
    kind, name, ver = m.group(1).lower(), m.group(2).lower(), m.group(3)
    if kind == "publicdomain":
        return "cc0-1.0" if name == "zero" else "public-domain-mark"
    return f"cc-{name}" + (f"-{ver}" if ver else "")


def _robots_tokens(value: str) -> list[str]:
    # "googlebot: noindex, nofollow" -> tokens of every agent: we are not any one bot
    tokens = []
    for part in re.split(r"[,\s]+", value.lower()):
        part = part.split(":")[-1].strip()
        if part in ROBOTS_TOKENS and part not in tokens:
            tokens.append(part)
    return tokens


def rights_signals(html: str, header_rights: dict[str, Any] | None = None) -> dict[str, Any]:
    """Rights facts of a page: licence links, robots values, TDM reservation, and `opted_out`.

    `opted_out` is true for a TDM reservation (EU DSM directive art. 4 machine-readable opt-out:
    `tdm-reservation: 1` as meta tag or header) or a `noai` robots value.  `noindex` and
    `noimageai` are recorded but are not an opt-out of text mining: noindex is about search
    engines, noimageai about images.
    """
    rights: dict[str, Any] = dict(header_rights or {})
    head_end = html.find("</head")
    head = html[: head_end if head_end > 0 else 1 << 16]
    robots: list[str] = _robots_tokens(rights.get("x_robots_tag", ""))
    tdm = rights.get("tdm_reservation_header")
    for tag in _META_TAG.findall(head):
        a = _attrs(tag)
        name = a.get("name", "").lower()
        if name in ("robots", "ccbot", "googlebot", "bingbot"):
            robots += [t for t in _robots_tokens(a.get("content", "")) if t not in robots]
        elif name == "tdm-reservation":
            tdm = a.get("content", "").strip()
            rights["tdm_reservation_meta"] = tdm
        elif name == "tdm-policy":
            rights["tdm_policy_meta"] = a.get("content", "")
    links = list(rights.get("license_links", []))
    for tag in _LICENSE_TAG.findall(html):
        href = _attrs(tag).get("href")
        if href and href not in links:
            links.append(href)
    if links:
        rights["license_links"] = links[:10]
        names = sorted({n for n in (licence_name(u) for u in links) if n})
        if names:
            rights["licenses"] = names
    if robots:
        rights["robots"] = robots
    rights["opted_out"] = str(tdm).strip() == "1" or "noai" in robots
    return rights


# ------------------------------------------------------------------------------------------------
# extraction


def html_to_text(html: bytes | str, config: ExtractConfig) -> str | None:
    """Main text of a page with the project's trafilatura settings (no metadata, no time limit)."""
    result = _trafilatura(html, config, with_metadata=False)
    return result["text"] if result else None


def _trafilatura(html: bytes | str, config: ExtractConfig, *, with_metadata: bool,
                 url: str | None = None) -> dict[str, Any] | None:
    import trafilatura

    from kazcorpus.sources import fast_trafilatura

    if config.speedups:
        fast_trafilatura.install()
    elif fast_trafilatura.installed():
        fast_trafilatura.uninstall()
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        favor_precision=config.favor_precision,
        include_tables=config.include_tables,
        include_comments=False,
        fast=config.fast,
        deduplicate=False,
        with_metadata=with_metadata,
    )
    if doc is None:
        return None
    return {"text": doc.text or "", "title": doc.title if with_metadata else None,
            "date": doc.date if with_metadata else None}


class ExtractionTimeout(BaseException):
    """The page took longer than `timeout_s` to extract.

    A BaseException, like KeyboardInterrupt: trafilatura and its helpers wrap many steps in
    `except Exception`, which would otherwise swallow the interruption and carry on with the page.
    """


def _on_alarm(signum, frame):
    raise ExtractionTimeout()


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> int:
    """Schedule `exc` in another thread at its next bytecode (None: cancel a scheduled one)."""
    import ctypes

    return ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None)


class _Watchdog:
    """Deadlines for threads of this process, enforced by one daemon thread that polls them.

    Polling (every `period` s, at most a quarter of the shortest time limit seen) keeps the per-page
    cost to two dict operations under a lock: no thread is started or woken per page.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._due: dict[int, float] = {}  # thread id -> time.monotonic() deadline
        self._period = 0.1
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while True:
            time.sleep(self._period)
            now = time.monotonic()
            with self._lock:
                late = [tid for tid, due in self._due.items() if due <= now]
                for tid in late:
                    # Removed before raising: the limited thread learns from the missing entry
                    # that the exception was scheduled and must not escape its guard.
                    del self._due[tid]
                    _set_async_exc(tid, ExtractionTimeout)

    def call(self, seconds: float, fn, *args, **kwargs):
        """fn(*args, **kwargs) in this thread, interrupted with ExtractionTimeout after `seconds`."""
        tid = threading.get_ident()
        with self._lock:
            self._period = min(self._period, max(seconds / 4, 0.005))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="kazcorpus-extract-watchdog",
                                                daemon=True)
                self._thread.start()
            self._due[tid] = time.monotonic() + seconds
        try:
            return fn(*args, **kwargs)
        finally:
            with self._lock:
                fired = self._due.pop(tid, None) is None
            if fired:
                # Scheduled but perhaps not yet delivered (fn returned just in time): cancel it so
                # it cannot surface in unrelated code, and report the timeout here instead.
                _set_async_exc(tid, None)
                raise ExtractionTimeout()


_WATCHDOG = _Watchdog()


def _child_main(conn, config_json: str) -> None:
    """Extraction worker process: receives (html, url), sends back ("ok", result) or ("error", msg)."""
    config = ExtractConfig.model_validate_json(config_json)
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        try:
            conn.send(("ok", _trafilatura(msg[0], config, with_metadata=config.with_metadata, url=msg[1])))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which drops the document
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _ChildExtractor:
    """A persistent extraction process that can be killed when a page takes too long."""

    def __init__(self, config: ExtractConfig):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self.conn, child_conn = ctx.Pipe()
        self.proc = ctx.Process(target=_child_main, args=(child_conn, config.model_dump_json()), daemon=True)
        self.proc.start()
        child_conn.close()

    def extract(self, html: str, url: str | None, timeout: float) -> dict[str, Any] | None:
        self.conn.send((html, url))
        if not self.conn.poll(timeout):
            self.close(kill=True)
            raise ExtractionTimeout()
        status, value = self.conn.recv()
        if status != "ok":
            raise RuntimeError(value)
        return value

    def close(self, *, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.proc.join(timeout=5)
        self.conn.close()


class ExtractOperator(BaseOperator):
    """Raw payload -> `doc.text` (+ title, date, html lang, charset, rights in `doc.metadata`)."""

    stage = "extract"

    def __init__(self, *, config: ExtractConfig | None = None):
        self.config = config or ExtractConfig()

    def setup(self) -> None:
        self._child = None
        self._ready = True

    def _mode(self) -> str:
        mode = self.config.timeout_mode
        if mode == "auto":
            in_main = threading.current_thread() is threading.main_thread()
            mode = "signal" if in_main and hasattr(signal, "setitimer") else "thread"
        return mode

    def _extract_html(self, html: str, url: str | None) -> dict[str, Any] | None:
        mode = self._mode()
        cfg = self.config
        if mode == "off":
            return _trafilatura(html, cfg, with_metadata=cfg.with_metadata, url=url)
        if mode == "thread":
            return _WATCHDOG.call(cfg.timeout_s, _trafilatura, html, cfg, with_metadata=cfg.with_metadata,
                                  url=url)
        if mode == "process":
            if getattr(self, "_child", None) is None or not self._child.proc.is_alive():
                self._child = _ChildExtractor(cfg)
            try:
                return self._child.extract(html, url, cfg.timeout_s)
            except ExtractionTimeout:
                self._child = None
                raise
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, cfg.timeout_s)
        try:
            return _trafilatura(html, cfg, with_metadata=cfg.with_metadata, url=url)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def annotate(self, doc: Doc) -> None:
        self.ensure_setup()
        if doc.raw is None:
            return
        raw, kind = doc.raw, doc.raw_type
        doc.raw = None
        meta = doc.metadata
        notes: dict[str, Any] = {}
        if kind == "wikitext":
            from kazcorpus.sources.mediawiki import wikitext_to_text

            source = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
            text = wikitext_to_text(source, hidden_namespaces=meta.get("wiki_hidden_ns"))
            doc.provenance.extractor = wiki_extractor_name()
        elif kind in ("html", "text"):
            if isinstance(raw, bytes):
                page, codec, source = decode_payload(raw, meta.get("charset"))
                meta["charset"], meta["charset_source"] = codec, source
            else:
                page = raw
            if kind == "text":
                text = page.replace("\r\n", "\n")
                doc.provenance.extractor = "none"
            else:
                lang = html_lang(page)
                if lang:
                    meta["html_lang"] = lang
                meta["rights"] = rights_signals(page, meta.get("rights"))
                doc.provenance.extractor = extractor_name()
                try:
                    result = self._extract_html(page, doc.url)
                except ExtractionTimeout:
                    notes["timeout"] = True
                    result = None
                except Exception as exc:  # noqa: BLE001 - counted as a drop, never aborts the run
                    notes["error"] = f"{type(exc).__name__}: {exc}"
                    result = None
                result = result or {}
                text = result.get("text") or ""
                if not self.config.with_metadata and text:
                    result["title"], result["date"] = page_title(page), page_date(page)
                for key in ("title", "date"):
                    if result.get(key):
                        meta[key] = result[key]
        else:
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
            doc.provenance.extractor = "none"
        doc.text = text
        doc.provenance.text_hash = text_hash(text)
        doc.annotations[self.stage] = {"chars": len(text), **notes}

    def decide(self, doc: Doc) -> str | None:
        skip = doc.metadata.get("read_skip")
        if skip:
            return skip
        notes = doc.annotations.get(self.stage, {})
        if notes.get("timeout"):
            return "extraction_timeout"
        if notes.get("error"):
            return "extraction_failed"
        if len(doc.text.strip()) < max(1, self.config.min_chars):
            return "no_text_extracted"
        return None

    def __del__(self):
        child = self.__dict__.get("_child")
        if child is not None:
            try:
                child.close()
            except Exception:  # noqa: BLE001 - interpreter shutdown: nothing left to report to
                pass
