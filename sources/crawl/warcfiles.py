"""WARC output of a crawl: size-rotated files, one gzip member per record, and the crawl log.

A file is written under a `.open` name and renamed when it is closed, so `kazcorpus run` globbing
`*.warc.gz` never reads a file that is still growing.  Records are flushed as they are written; a
crawl killed hard leaves at most one torn record at the end of an `.open` file, which
`recover_open_files` cuts off (keeping every complete gzip member) before the next crawl writes.
File names carry the start time and a serial number that continues across resumes and recrawls, so
no run ever overwrites an earlier run's WARCs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import zlib
from pathlib import Path
from typing import Any

OPEN_SUFFIX = ".open"
_SERIAL = re.compile(r"-(\d{5})\.warc\.gz(?:\.open)?$")


def utc_iso(ts: float, *, millis: bool = False) -> str:
    t = dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc)
    if millis:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def complete_gzip_length(path: str | Path) -> int:
    """Bytes of `path` made of complete gzip members (all of it for an intact file)."""
    good = 0
    pos = 0
    with open(path, "rb") as f:
        data = f.read()
    while pos < len(data):
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            member.decompress(data[pos:])
        except zlib.error:
            break
        if not member.eof:
            break
        pos = len(data) - len(member.unused_data)
        good = pos
    return good


def recover_open_files(directory: str | Path) -> list[Path]:
    """Close the `.open` files a killed crawl left: cut the torn tail, rename. Returns the new paths."""
    recovered = []
    for path in sorted(Path(directory).glob(f"*.warc.gz{OPEN_SUFFIX}")):
        good = complete_gzip_length(path)
        if good == 0:
            path.unlink()
            continue
        with open(path, "r+b") as f:
            f.truncate(good)
        final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
        os.replace(path, final)
        recovered.append(final)
    return recovered


class WarcStream:
    """One folder of WARC files (pages, diagnostics or discovery), rotated by size."""

    def __init__(self, directory: str | Path, *, prefix: str, max_bytes: int, info: dict[str, str]):
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = info
        self._file: Any = None
        self._writer: Any = None
        self._path: Path | None = None
        self.files: list[Path] = []

    def _next_serial(self) -> int:
        serials = [int(m.group(1)) for p in self.directory.iterdir() if (m := _SERIAL.search(p.name))]
        return max(serials, default=-1) + 1

    def _open(self) -> None:
        from warcio.warcwriter import WARCWriter

        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S")
        name = f"{self.prefix}-{stamp}-{self._next_serial():05d}.warc.gz"
        self._path = self.directory / (name + OPEN_SUFFIX)
        self._file = open(self._path, "xb")  # noqa: SIM115 - closed in close()/rotation
        self._writer = WARCWriter(self._file, gzip=True)
        self._writer.write_record(self._writer.create_warcinfo_record(name, self.info))

    def write(self, records: list[Any]) -> tuple[str, int]:
        """Write `records` (a request/response group) together; returns (file name, offset of the last)."""
        if self._writer is None:
            self._open()
        offset = 0
        for rec in records:
            offset = self._file.tell()
            self._writer.write_record(rec)
        self._file.flush()
        assert self._path is not None
        name = self._path.name[: -len(OPEN_SUFFIX)]
        if self._file.tell() >= self.max_bytes:
            self.close()
        return name, offset

    def close(self) -> None:
        if self._file is None:
            return
        self._file.close()
        assert self._path is not None
        final = self._path.with_name(self._path.name[: -len(OPEN_SUFFIX)])
        os.replace(self._path, final)
        self.files.append(final)
        self._file = self._writer = self._path = None


def warcinfo_fields(*, software: str, user_agent: str, robots: str, description: str) -> dict[str, str]:
    return {
        "software": software,
        "format": "WARC File Format 1.0",
        "conformsTo": "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf",
        "hostname": socket.gethostname(),
        "http-header-user-agent": user_agent,
        "robots": robots,
        "description": description,
    }


class CrawlLog:
    """`crawl-log.jsonl`: one line per fetch or skipped URL, appended across resumes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, **fields: Any) -> None:
        self._file.write(json.dumps(fields, ensure_ascii=False, sort_keys=True) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The lines of a crawl log; a torn last line (hard kill) is skipped."""
    out = []
    p = Path(path)
    if not p.exists():
        return out
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
