"""WARC / WET / ARC records -> documents, with the exact byte span of every record in its file.

Why a reader of our own instead of warcio's iterator: an auditor must be able to re-read one record
alone, so every document needs the offset and length of the gzip member(s) it came from, and real
archives break warcio in ways we must survive rather than abort on (whole-file gzip, records split over
several members, brotli bodies, garbage between members, truncation).  The format is small, so one
streaming parser covers all of it:

- `_Stream` turns the file into decompressed bytes (per-record gzip, whole-file gzip or plain) and
  remembers where each gzip member starts and ends in the file.
- `_iter_records` cuts that byte stream into WARC or ARC records; damage (a zlib error, a bad header,
  a record shorter than its Content-Length) yields a `ReadError` for that record, then the parser
  resynchronises at the next record it can find, so records before (and usually after) the damage
  are kept.
- `read(unit)` turns records into `Doc`s: HTTP status and headers parsed, chunking and
  Content-Encoding (gzip, deflate, br, zstd) undone, payload left undecoded in `doc.raw` for the
  `extract` stage (sources/html.py), which owns charset detection and HTML -> text.

Offsets: `provenance.offset` is the file offset of the gzip member in which the record starts (of the
record itself for plain files) and `provenance.length` the bytes of the member(s) it fills.  When a
record does not start a member (whole-file gzip, writers that put several records in one member),
`length` is None and `metadata["inner_offset"]`/`["inner_length"]` locate the record inside the
decompressed member.  `sources.reread` uses exactly these to re-read one record.

What is not content: `warcinfo`, `request`, `metadata` records, ARC `filedesc://` and `dns:` records
yield nothing.  Records that are content-shaped but unwanted (a `revisit`, a non-2xx response, a MIME
type outside the recipe's list, a payload over the size cap) still yield a `Doc`, without payload
and with `metadata["read_skip"]` naming why; the `extract` operator drops them with that reason, so
they are counted in the funnel and listed in `rejected/` (an auditor can see why a page is absent).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kazcorpus.pipeline.record import Doc, Provenance, ReadError, stable_id
from kazcorpus.sources import WorkUnit

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16
_MAX_INFLATE_STEP = 1 << 20  # bound on bytes one zlib call may produce: no zip-bomb blow-up
_MAX_LINE = 1 << 16
_MAX_HEADER_BYTES = 1 << 20
_HTTP_HEAD_PREFIX = 1 << 16  # bytes read first to parse HTTP headers before deciding on the body
_CONTENT_TYPES = {"response", "resource", "conversion"}
_PADDING = b"\x00\r\n \t"

_WARC_START = re.compile(rb"(?:^|\n)(WARC/\d\.\d+\r?\n)")
_ARC_LINE = re.compile(rb"(?:^|\n)([a-zA-Z][\w+.-]*:[^\n]* \d{12,18} [^\n]*?-?\d+\r?\n)")


class _Damage(Exception):
    def __init__(self, reason: str, detail: str, offset: int | None):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail, self.offset = reason, detail, offset


@dataclass
class _Member:
    dstart: int  # decompressed position of the member's first byte
    coffset: int  # file offset of the member
    cend: int | None = None  # file offset just after the member, once its end was seen


class _Stream:
    """The decompressed bytes of an archive file from `start`, with gzip member bookkeeping.

    For plain files the decompressed position *is* the file offset.  Errors do not raise: they set
    `damage` and the stream reads as ended, so the parser can finish (or reject) the record at hand
    and then call `resync`.
    """

    def __init__(self, f, start: int):
        self.f = f
        f.seek(start)
        self.gz = f.read(2) == GZIP_MAGIC
        f.seek(start)
        self.buf = bytearray()
        self.bpos = 0
        self.produced = 0 if self.gz else start  # decompressed position just after `buf`
        self.pending = b""  # compressed bytes read from the file, not yet inflated
        self.pending_off = start  # file offset of pending[0]
        self.d = None
        self.members: list[_Member] = [] if self.gz else [_Member(0, 0)]
        self.eof = False
        self.damage: _Damage | None = None

    # -- positions ---------------------------------------------------------------------------
    def tell(self) -> int:
        return self.produced - (len(self.buf) - self.bpos)

    def locate(self, dpos: int) -> tuple[int, int, _Member | None]:
        """(file offset of the record's member, offset inside it, the member) for a position."""
        if not self.gz:
            return dpos, 0, None
        for m in reversed(self.members):
            if m.dstart <= dpos:
                return m.coffset, dpos - m.dstart, m
        m = self.members[0]
        return m.coffset, 0, m

    def span_end(self, dpos_last: int) -> int | None:
        """File offset just after the member holding decompressed byte `dpos_last`, if known."""
        if not self.gz:
            return dpos_last + 1
        for i, m in enumerate(self.members):
            nxt = self.members[i + 1].dstart if i + 1 < len(self.members) else None
            if m.dstart <= dpos_last and (nxt is None or dpos_last < nxt):
                return m.cend
        return None

    def forget_before(self, dpos: int) -> None:
        while len(self.members) > 1 and self.members[1].dstart <= dpos:
            self.members.pop(0)

    # -- filling -----------------------------------------------------------------------------
    def _more_pending(self) -> bool:
        data = self.f.read(_CHUNK)
        if not data:
            return False
        self.pending += data
        return True

    def _fill(self) -> bool:
        """Append decompressed bytes to `buf`; False at the end of data or on damage."""
        if self.eof or self.damage is not None:
            return False
        if not self.gz:
            data = self.f.read(_CHUNK)
            if not data:
                self.eof = True
                return False
            self._append(data)
            return True
        while True:
            if self.d is None:
                while len(self.pending) < 3 and self._more_pending():
                    pass
                if not self.pending:
                    self.eof = True
                    return False
                if not self.pending.startswith(GZIP_MAGIC):
                    if not self.pending.strip(_PADDING):
                        # zero or newline padding after the last member is harmless
                        self.pending = b""
                        continue
                    self.damage = _Damage("garbage_between_members", "bytes after a gzip member are not "
                                          "another gzip member", self.pending_off)
                    return False
                self.d = zlib.decompressobj(31)
                self.members.append(_Member(self.produced, self.pending_off))
            if not self.pending and not self._more_pending():
                m = self.members[-1]
                self.damage = _Damage("truncated_gzip", "file ends inside a gzip member", m.coffset)
                return False
            data = self.pending
            try:
                out = self.d.decompress(data, _MAX_INFLATE_STEP)
            except zlib.error as exc:
                self.damage = _Damage("corrupt_gzip", str(exc), self.members[-1].coffset)
                return False
            if self.d.eof:
                rest = self.d.unused_data
                self.members[-1].cend = self.pending_off + len(data) - len(rest)
                self.d = None
            else:
                rest = self.d.unconsumed_tail
            self.pending_off += len(data) - len(rest)
            self.pending = rest
            if out:
                self._append(out)
                return True

    def _append(self, data: bytes) -> None:
        if self.bpos > (1 << 20):
            del self.buf[: self.bpos]
            self.bpos = 0
        self.buf += data
        self.produced += len(data)

    # -- reading -----------------------------------------------------------------------------
    def readline(self, limit: int = _MAX_LINE) -> bytes:
        while True:
            i = self.buf.find(b"\n", self.bpos, self.bpos + limit)
            if i >= 0:
                return self._take(i + 1 - self.bpos)
            if len(self.buf) - self.bpos >= limit or not self._fill():
                return self._take(min(limit, len(self.buf) - self.bpos))

    def read(self, n: int) -> bytes:
        while len(self.buf) - self.bpos < n and self._fill():
            pass
        return self._take(min(n, len(self.buf) - self.bpos))

    def skip(self, n: int) -> int:
        done = 0
        while done < n:
            avail = len(self.buf) - self.bpos
            if avail == 0 and not self._fill():
                break
            step = min(n - done, len(self.buf) - self.bpos)
            self.bpos += step
            done += step
        return done

    def peek(self, n: int) -> bytes:
        while len(self.buf) - self.bpos < n and self._fill():
            pass
        return bytes(self.buf[self.bpos : self.bpos + n])

    def _take(self, n: int) -> bytes:
        out = bytes(self.buf[self.bpos : self.bpos + n])
        self.bpos += n
        return out

    # -- recovery ----------------------------------------------------------------------------
    def scan_to_record(self, after: int, is_arc: bool) -> bool:
        """Move to the next line that starts a record, past decompressed position `after`.

        Used after a header that does not parse: the stream itself is fine, so the next record is
        found in it (this also works inside a whole-file gzip, where there is no member to jump to).
        """
        pattern = _ARC_LINE if is_arc else _WARC_START
        while True:
            base = self.produced - len(self.buf)  # decompressed position of buf[0]
            lo = max(0, after + 1 - base)
            for m in pattern.finditer(self.buf, max(lo - 1, 0)):
                i = m.start(1)
                if i < lo or self.buf[i - 1 : i] != b"\n":
                    continue
                if _looks_like_record(bytes(self.buf[i : i + 512]), is_arc):
                    self.bpos = i
                    return True
            keep = min(len(self.buf) - self.bpos, 8192)
            self.bpos = len(self.buf) - keep
            after = max(after, self.produced - keep - 1)
            if not self._fill():
                return False

    def resync(self, after: int, is_arc: bool) -> bool:
        """Continue at the first plausible record start at file offset > `after`."""
        found = _find_record_start(self.f, after + 1, is_arc) if self.gz else None
        if found is None:
            return False
        self.f.seek(found)
        self.buf = bytearray()
        self.bpos = 0
        self.pending, self.pending_off, self.d = b"", found, None
        self.damage, self.eof = None, False
        self.members = []
        return True


def _looks_like_record(head: bytes, is_arc: bool | None) -> bool:
    if is_arc is not True and head.startswith(b"WARC/"):
        return True
    if is_arc is not False:
        line = head.split(b"\n", 1)[0] + b"\n"
        return bool(_ARC_LINE.match(line)) and _parse_arc_line(line) is not None
    return False


def _find_record_start(f, pos: int, is_arc: bool | None) -> int | None:
    """File offset of the next gzip member at or after `pos` whose data starts a record."""
    window = 1 << 20
    while True:
        f.seek(pos)
        chunk = f.read(window + 4)
        i = chunk.find(b"\x1f\x8b\x08")
        while 0 <= i < window:
            f.seek(pos + i)
            try:
                head = zlib.decompressobj(31).decompress(f.read(1 << 16), 512)
            except zlib.error:
                head = b""
            if _looks_like_record(head, is_arc):
                return pos + i
            i = chunk.find(b"\x1f\x8b\x08", i + 1)
        if len(chunk) <= window:
            return None
        pos += window


# ------------------------------------------------------------------------------------------------
# record parsing


@dataclass
class _Record:
    fmt: str  # "warc" | "arc"
    headers: dict[str, str]
    offset: int
    inner: int
    length: int | None
    inner_length: int
    content_length: int
    head: bytes = b""  # first bytes of the content (all of it unless skipped)
    skipped_rest: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _parse_headers(lines: list[bytes]) -> dict[str, str]:
    headers: dict[str, str] = {}
    last = None
    for raw in lines:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line[:1] in (" ", "\t") and last is not None:
            headers[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        last = name.strip().lower()
        value = value.strip()
        headers[last] = f"{headers[last]}, {value}" if last in headers else value
    return headers


def _parse_arc_line(line: bytes) -> dict[str, str] | None:
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) < 4 or not re.fullmatch(r"-?\d+", parts[-1]):
        return None
    if int(parts[-1]) < 0:
        return None
    # ARC v2 lines have ten fields; v1 five.  URLs with spaces (old crawls) make extra leading
    # fields, so the layout is read from the right.
    if len(parts) >= 10 and re.fullmatch(r"\d{12,18}", parts[-8] or ""):
        url = " ".join(parts[:-9])
        ip, date, mime, status = parts[-9], parts[-8], parts[-7], parts[-6]
    elif len(parts) >= 5:
        url = " ".join(parts[:-4])
        ip, date, mime, status = parts[-4], parts[-3], parts[-2], ""
    else:
        url, ip, date, mime, status = parts[0], "", parts[-3], parts[-2], ""
    if not re.fullmatch(r"\d{12,18}", date):
        date = ""  # old crawls wrote "null" or "-": the record is still readable
    return {"url": url, "ip": ip, "date": date, "mime": mime, "status": status, "length": parts[-1]}


def _arc_date(d: str) -> str | None:
    if not d:
        return None
    d = (d + "00000000000000")[:14]
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z"


def _iter_records(src: _Stream, path: str, *, is_arc: bool, body_limit, end: int | None = None,
                  first_only: bool = False) -> Iterator[_Record | ReadError]:
    """Records of the stream in order; `body_limit(fmt, headers, head) -> int` says how much of a
    record's content to keep (the rest is skipped without being held in memory)."""
    while True:
        start = src.tell()
        line = src.readline()
        while line and not line.strip(_PADDING):
            start = src.tell()
            line = src.readline()
        if not line:
            if src.damage is None:
                return
            err = src.damage
            yield ReadError(path, err.reason, err.detail, err.offset)
            if first_only or not src.resync(err.offset if err.offset is not None else start, is_arc):
                return
            continue
        src.forget_before(start)
        coffset, inner, _member = src.locate(start)
        if end is not None and coffset >= end:
            return
        try:
            rec = _read_one(src, line, start, coffset, inner, is_arc, body_limit)
        except _Damage as err:
            yield ReadError(path, err.reason, err.detail, coffset)
            if first_only:
                return
            if src.damage is not None:
                if not src.resync(coffset, is_arc):
                    return
            elif not src.scan_to_record(start, is_arc):
                return
            continue
        if rec is not None:
            yield rec
        if first_only:
            return


def _read_one(src: _Stream, line: bytes, start: int, coffset: int, inner: int, is_arc: bool,
              body_limit) -> _Record | None:
    if is_arc:
        arc = _parse_arc_line(line)
        if arc is None:
            raise _Damage("bad_record_header", f"not an ARC record line: {line[:80]!r}", coffset)
        headers = {"arc-url": arc["url"], "arc-ip": arc["ip"], "arc-date": arc["date"],
                   "arc-mime": arc["mime"], "arc-status": arc["status"]}
        clen = int(arc["length"])
        fmt = "arc"
    else:
        if not line.startswith(b"WARC/"):
            raise _Damage("bad_record_header", f"expected a WARC version line, found {line[:60]!r}", coffset)
        lines, total = [], 0
        while True:
            h = src.readline()
            total += len(h)
            if not h:
                raise _Damage(src.damage.reason if src.damage else "truncated_record",
                              "archive ends inside record headers", coffset)
            if not h.strip():
                break
            if total > _MAX_HEADER_BYTES:
                raise _Damage("bad_record_header", "record headers over 1 MiB", coffset)
            lines.append(h)
        headers = _parse_headers(lines)
        try:
            clen = int(headers.get("content-length", ""))
            if clen < 0:
                raise ValueError
        except ValueError:
            raise _Damage("bad_content_length", f"Content-Length {headers.get('content-length')!r}",
                          coffset) from None
        fmt = "warc"
    want_first = min(clen, _HTTP_HEAD_PREFIX)
    content = src.read(want_first)
    missing = 0
    if len(content) < want_first:
        missing = _short_ok(src, fmt, coffset, len(content), clen)
    keep = min(body_limit(fmt, headers, content), clen)
    if not missing and keep > len(content):
        content += src.read(keep - len(content))
        if len(content) < keep:
            missing = _short_ok(src, fmt, coffset, len(content), clen)
    remaining = 0 if missing else clen - len(content)
    if remaining:
        got = src.skip(remaining)
        if got < remaining:
            missing = _short_ok(src, fmt, coffset, clen - remaining + got, clen)
    if missing:
        clen -= missing
        extra = {"truncated_at_eof": missing}
    else:
        extra = {}
    # the record's trailing newlines belong to it (they end its gzip member)
    tail = src.peek(4)
    src.skip(len(tail) - len(tail.lstrip(b"\r\n")))
    end = src.tell()
    src.peek(1)  # reach the next member, so that the end of this one is known
    if not src.gz:
        length = end - start
    elif inner:
        length = None
    else:
        cend = src.span_end(end - 1)
        if cend is None and src.damage is not None:
            raise _Damage(src.damage.reason, "the record's gzip member is damaged", coffset)
        # a length only when the record fills its member(s) alone: the next byte starts a new member
        alone = src.produced == end or any(m.dstart == end for m in src.members)
        length = cend - coffset if cend is not None and alone else None
    return _Record(fmt, headers, coffset, inner, length, end - start, clen, content, remaining > 0, extra)


def _short_ok(src: _Stream, fmt: str, coffset: int, got: int, want: int) -> int:
    """Bytes missing from a record that ends early; raises unless it is an ARC record cut off by
    the clean end of the file (old crawlers often wrote ARC lengths a few bytes too long)."""
    if fmt == "arc" and src.damage is None and src.eof and got > 0:
        return want - got
    raise _short(src, coffset, got, want)


def _short(src: _Stream, coffset: int, got: int, want: int) -> _Damage:
    if src.damage is not None:
        return _Damage(src.damage.reason, f"{src.damage.detail} (record has {got} of {want} bytes)", coffset)
    return _Damage("truncated_record", f"record has {got} of {want} content bytes", coffset)


# ------------------------------------------------------------------------------------------------
# HTTP and payload decoding


def _split_http(content: bytes) -> tuple[int | None, dict[str, str], int]:
    """(status, headers, body offset) of an HTTP response; (None, {}, 0) when there is none."""
    if not content.startswith(b"HTTP/"):
        return None, {}, 0
    i = content.find(b"\r\n\r\n")
    j = content.find(b"\n\n")
    if i < 0 and j < 0:
        return None, {}, 0
    if i >= 0 and (j < 0 or i < j):
        head, body_at = content[:i], i + 4
    else:
        head, body_at = content[:j], j + 2
    lines = head.split(b"\n")
    m = re.match(rb"HTTP/\S+\s+(\d{3})", lines[0])
    status = int(m.group(1)) if m else None
    return status, _parse_headers([ln + b"\n" for ln in lines[1:]]), body_at


def _dechunk(body: bytes) -> bytes | None:
    out, pos = [], 0
    while True:
        eol = body.find(b"\n", pos)
        if eol < 0:
            return None
        size_txt = body[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_txt, 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        start = eol + 1
        if start + size > len(body):
            out.append(body[start:])  # truncated last chunk: keep what arrived
            return b"".join(out)
        out.append(body[start : start + size])
        pos = start + size
        if body[pos : pos + 2] == b"\r\n":
            pos += 2
        elif body[pos : pos + 1] == b"\n":
            pos += 1


def _looks_textual(data: bytes) -> bool:
    sample = data[:512].lstrip()
    if not sample:
        return True
    if sample[:1] == b"<":
        return True
    return sum(b < 9 or 13 < b < 32 for b in sample) < len(sample) // 20 + 1


def decode_content(body: bytes, encodings: str, cap: int) -> tuple[bytes, str | None]:
    """Undo Content-Encoding (gzip, deflate, br, zstd; several in order); (bytes, problem or None).

    Crawlers disagree on whether a stored body is still encoded, so a body that does not look encoded
    (no gzip magic, not valid deflate/brotli but plausibly text) is taken as already decoded.
    """
    for enc in reversed([e.strip().lower() for e in encodings.split(",") if e.strip()]):
        if enc in ("identity", "none", "utf-8", "binary"):
            continue
        try:
            if enc in ("gzip", "x-gzip"):
                if not body.startswith(GZIP_MAGIC):
                    continue
                d = zlib.decompressobj(31)
                body = d.decompress(body, cap + 1)
            elif enc == "deflate":
                try:
                    body = zlib.decompressobj(15).decompress(body, cap + 1)
                except zlib.error:
                    body = zlib.decompressobj(-15).decompress(body, cap + 1)
            elif enc == "br":
                import brotli

                body = brotli.decompress(body)
            elif enc in ("zstd", "zst"):
                import zstandard

                body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
            else:
                return body, f"unknown_content_encoding:{enc}"
        except Exception as exc:  # noqa: BLE001 - zlib/brotli/zstd each raise their own error types
            if _looks_textual(body):
                continue
            return body, f"bad_content_encoding:{enc}:{type(exc).__name__}"
        if len(body) > cap:
            return body[:cap], "payload_too_large"
    return body, None


def _mime_of(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    mime, _, params = value.partition(";")
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", params, re.I)
    return mime.strip().lower() or None, (m.group(1) if m else None)


def _sniff_mime(body: bytes) -> str | None:
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta")) or b"<html" in head:
        return "text/html"
    return None


def _sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


# ------------------------------------------------------------------------------------------------
# records -> documents


def _extract_config(unit: WorkUnit):
    from kazcorpus.sources.html import ExtractConfig

    opts = unit.options or {}
    if isinstance(opts.get("extract"), ExtractConfig):
        return opts["extract"]
    base = dict(opts.get("extract") or {})
    for key in ("mime_types", "max_payload_bytes", "keep_http_errors"):
        if key in opts:
            base[key] = opts[key]
    return ExtractConfig(**base)


def _header_rights(headers: dict[str, str]) -> dict[str, Any]:
    rights: dict[str, Any] = {}
    if headers.get("x-robots-tag"):
        rights["x_robots_tag"] = headers["x-robots-tag"]
    if headers.get("tdm-reservation"):
        rights["tdm_reservation_header"] = headers["tdm-reservation"]
    if headers.get("tdm-policy"):
        rights["tdm_policy_header"] = headers["tdm-policy"]
    link = headers.get("link", "")
    licences = re.findall(r"<([^>]+)>\s*;[^,]*\brel\s*=\s*\"?[^\",]*\blicense", link, re.I)
    if licences:
        rights["license_links"] = licences
    return rights


def _raw_type(mime: str | None) -> str:
    return "text" if mime == "text/plain" else "html"


@dataclass
class _Facts:
    """What the record's headers say about its payload (shared by the body-size decision and `Doc`)."""

    wtype: str
    url: str | None
    status: int | None = None
    http: dict[str, str] = field(default_factory=dict)
    body_at: int = 0
    mime: str | None = None
    charset: str | None = None


def _facts(fmt: str, h: dict[str, str], content: bytes) -> _Facts | None:
    """None for records that carry no document (warcinfo, request, metadata, filedesc, dns)."""
    if fmt == "warc":
        wtype = h.get("warc-type", "")
        url = h.get("warc-target-uri", "").strip().strip("<>") or None
        if wtype not in _CONTENT_TYPES and wtype != "revisit":
            return None
        mime, charset = _mime_of(h.get("content-type"))
    else:
        wtype, url = "response", h["arc-url"]
        mime, charset = (h["arc-mime"].lower() or None), None
    if url and url.startswith(("filedesc:", "dns:")):
        return None
    facts = _Facts(wtype, url)
    if wtype == "revisit":
        return facts
    if wtype == "response" and (fmt == "arc" or content.startswith(b"HTTP/")):
        facts.status, facts.http, facts.body_at = _split_http(content)
        if facts.http or facts.status is not None:
            mime, charset = _mime_of(facts.http.get("content-type"))
            if mime in (None, "application/octet-stream", "unknown/unknown"):
                mime = _sniff_mime(content[facts.body_at :]) or mime
    if wtype == "conversion":
        mime, charset = mime or "text/plain", charset or "utf-8"
    if mime in (None, "application/octet-stream", "no-type", "unk"):
        mime = _sniff_mime(content[facts.body_at :]) or mime
    facts.mime, facts.charset = mime, charset
    return facts


def _skip_reason(facts: _Facts, cfg, wanted: set[str]) -> str | None:
    if facts.wtype == "revisit":
        return "warc_revisit"
    if facts.status is not None and not (200 <= facts.status < 300) and not cfg.keep_http_errors:
        return "http_status_not_ok"
    if facts.mime is None or facts.mime not in wanted:
        return "mime_not_allowed"
    return None


def read(unit: WorkUnit) -> Iterator[Doc | ReadError]:
    """Documents (and read errors) of the records whose member starts in [unit.start, unit.end)."""
    yield from _read(unit)


def _read(unit: WorkUnit, *, inner_skip: int = 0, first_only: bool = False,
          record_id: str | None = None) -> Iterator[Doc | ReadError]:
    cfg = _extract_config(unit)
    base = os.path.basename(unit.path)
    wanted = set(cfg.mime_types)
    cap = cfg.max_payload_bytes

    def body_limit(fmt: str, headers: dict[str, str], head: bytes) -> int:
        facts = _facts(fmt, headers, head)
        if facts is None or _skip_reason(facts, cfg, wanted):
            return 0
        return facts.body_at + cap + 1

    with open(unit.path, "rb") as f:
        src = _Stream(f, unit.start)
        if inner_skip:
            src.skip(inner_skip)
        head = src.peek(8)
        is_arc = not head.startswith(b"WARC/") if head else unit.kind == "arc"
        for item in _iter_records(src, unit.path, is_arc=is_arc, body_limit=body_limit, end=unit.end,
                                  first_only=first_only and record_id is None):
            if isinstance(item, ReadError):
                yield item
                if first_only:
                    return
                continue
            if record_id is not None and item.offset != unit.start:
                return  # a re-read never leaves the member it was pointed at
            doc = _to_doc(unit, base, item, cfg, wanted)
            if doc is None:
                continue
            if record_id is not None and doc.provenance.record_id != record_id:
                continue
            yield doc
            if first_only:
                return


def _to_doc(unit: WorkUnit, base: str, rec: _Record, cfg, wanted: set[str]) -> Doc | None:
    h = rec.headers
    facts = _facts(rec.fmt, h, rec.head)
    if facts is None:
        return None
    meta: dict[str, Any] = {"warc_type": facts.wtype if rec.fmt == "warc" else "arc"}
    if rec.fmt == "warc":
        rid = h.get("warc-record-id") or None
        date = h.get("warc-date") or None
        digest = h.get("warc-payload-digest") or None
    else:
        rid, digest, date = None, None, _arc_date(h["arc-date"])
        meta["ip"] = h["arc-ip"] or None
    if rec.inner:
        meta["inner_offset"] = rec.inner
    if rec.length is None:
        meta["inner_length"] = rec.inner_length
    meta.update(rec.extra)
    for name, key in (("warc-truncated", "warc_truncated"),
                      ("warc-identified-payload-type", "identified_payload_type"),
                      ("warc-crawl-depth", "crawl_depth"), ("warc-ip-address", "ip")):
        if h.get(name):
            meta[key] = h[name]
    key = rid or (f"{base}@{rec.offset}" + (f"+{rec.inner}" if rec.inner else ""))
    # WARC-Date is the fetch time; WARC-Robots is what our crawler decided about robots.txt.
    prov = Provenance(uri=unit.path, offset=rec.offset, length=rec.length, record_id=rid,
                      digest=digest, date=date, robots=h.get("warc-robots") or None)
    doc = Doc(id=stable_id(unit.source, key), source=unit.source, provenance=prov, url=facts.url,
              metadata=meta)
    if facts.wtype == "revisit":
        meta["refers_to_uri"] = h.get("warc-refers-to-target-uri")
        meta["refers_to_date"] = h.get("warc-refers-to-date")
        meta["read_skip"] = "warc_revisit"
        return doc
    http = facts.http
    if facts.status is not None:
        meta["http_status"] = facts.status
    meta["content_type"] = facts.mime
    if facts.charset:
        meta["charset"] = facts.charset
    rights = _header_rights(http)
    if rights:
        meta["rights"] = rights
    if http.get("content-language"):
        meta["http_content_language"] = http["content-language"]
    skip = _skip_reason(facts, cfg, wanted)
    body_len = rec.content_length - facts.body_at
    if skip is None and (rec.skipped_rest or body_len > cfg.max_payload_bytes):
        skip = "payload_too_large"
    if skip:
        meta["read_skip"] = skip
        return doc
    body = rec.head[facts.body_at :]
    if prov.digest is None:
        prov.digest = _sha1_digest(body)
    if "chunked" in http.get("transfer-encoding", "").lower():
        dechunked = _dechunk(body)
        if dechunked is not None:
            body = dechunked
    if http.get("content-encoding"):
        meta["content_encoding"] = http["content-encoding"]
        body, problem = decode_content(body, http["content-encoding"], cfg.max_payload_bytes)
        if problem:
            meta["read_skip"] = problem.split(":", 1)[0]
            meta["read_skip_detail"] = problem
            return doc
    doc.raw = body
    doc.raw_type = _raw_type(facts.mime)
    return doc


# ------------------------------------------------------------------------------------------------
# splitting big files


def plan_ranges(path: str, *, target_bytes: int) -> list[tuple[int, int | None]]:
    """Byte ranges starting at record boundaries, about `target_bytes` each: the file is cut into
    equal parts (a 3.5 MB file with a 1 MB target gives four of ~0.9 MB, not three and a scrap), so
    units of a run cost about the same.

    Per-record gzip: at each multiple of `target_bytes` the next gzip member that decompresses to a
    record start is found (a few KiB read per cut, no full scan).  Plain WARC: headers are walked
    and bodies seeked over.  Whole-file gzip and ARC cannot be cut without decompressing everything
    before the cut, so they stay one range.
    """
    try:
        size = os.path.getsize(path)
    except OSError:
        return [(0, None)]
    if target_bytes <= 0 or size <= target_bytes:
        return [(0, None)]
    parts = -(-size // target_bytes)
    target_bytes = -(-size // parts)
    with open(path, "rb") as f:
        head = f.read(2)
        if head == GZIP_MAGIC:
            cuts = _gzip_cuts(f, size, target_bytes)
        elif head == b"WA":
            cuts = _plain_warc_cuts(f, size, target_bytes)
        else:
            cuts = [0]
    return [(a, b) for a, b in zip(cuts, cuts[1:] + [None], strict=True)]


def _gzip_cuts(f, size: int, target: int) -> list[int]:
    # only per-record gzip can be cut: the first member must end early and be followed by another
    f.seek(0)
    d = zlib.decompressobj(31)
    read = 0
    while not d.eof and read < (64 << 20):
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        read += len(chunk)
        try:
            d.decompress(d.unconsumed_tail + chunk, _MAX_INFLATE_STEP)
            while d.unconsumed_tail and not d.eof:
                d.decompress(d.unconsumed_tail, _MAX_INFLATE_STEP)
        except zlib.error:
            return [0]
    if not d.eof or not d.unused_data.startswith(GZIP_MAGIC[:1]):
        return [0]
    cuts = [0]
    k = 1
    while k * target < size:
        at = _find_record_start(f, max(k * target, cuts[-1] + 1), None)
        if at is None:
            break
        if at > cuts[-1]:
            cuts.append(at)
        k = max(k + 1, at // target + 1)
    return cuts


def _plain_warc_cuts(f, size: int, target: int) -> list[int]:
    cuts = [0]
    pos = 0
    while pos < size:
        f.seek(pos)
        line = f.readline(_MAX_LINE)
        if not line:
            break
        if not line.strip():
            pos += len(line)
            continue
        if not line.startswith(b"WARC/"):
            break
        clen = None
        hdr_bytes = len(line)
        while True:
            h = f.readline(_MAX_LINE)
            hdr_bytes += len(h)
            if not h or not h.strip():
                break
            name, _, value = h.partition(b":")
            if name.strip().lower() == b"content-length":
                try:
                    clen = int(value.strip())
                except ValueError:
                    clen = None
        if clen is None:
            break
        if pos - cuts[-1] >= target and pos > 0:
            cuts.append(pos)
        pos += hdr_bytes + clen
    return cuts


def reread_record(path: str, kind: str, offset: int, *, record_id: str | None = None,
                  inner_offset: int = 0, options: dict[str, Any] | None = None) -> Doc | ReadError:
    """The one record at `offset` (and `inner_offset` inside its member), as `read` made it."""
    opts = dict(options or {})
    unit = WorkUnit(input_index=0, path=path, source=opts.pop("source", ""), kind=kind, start=offset,
                    options=opts)
    try:
        for item in _read(unit, inner_skip=inner_offset, first_only=True, record_id=record_id):
            return item
    except OSError as exc:
        return ReadError(path, "missing_file" if isinstance(exc, FileNotFoundError) else "unreadable_file",
                         str(exc), offset)
    return ReadError(path, "record_not_found", f"no content record at offset {offset}", offset)
