"""kazcorpus.sources: raw bytes -> `Doc`s.  No Beam here.

`read_unit(unit)` is the single entry point the Beam graph (and `trace --reproduce`) calls.  It
yields `Doc`s (with `raw` still undecoded where extraction is needed, so the heavy extraction step is
a separate, timed operator) and `ReadError`s for anything that could not be read.  A reader never
raises for bad input: damage ends that file's iteration with a counted error, keeping every record
read before it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from kazcorpus.pipeline.record import Doc, ReadError

KINDS = ("warc", "wet", "arc", "mediawiki", "jsonl", "parquet", "text")

_SUFFIXES = [
    (".warc.wet.gz", "wet"), (".wet.gz", "wet"), (".wet", "wet"),
    (".warc.wat.gz", "warc"), (".wat.gz", "warc"),
    (".warc.gz", "warc"), (".warc", "warc"), (".warc.bz2", "warc"), (".warc.zst", "warc"),
    (".arc.gz", "arc"), (".arc", "arc"),
    (".xml.bz2", "mediawiki"), (".xml.gz", "mediawiki"), (".xml.xz", "mediawiki"), (".xml", "mediawiki"),
    (".jsonl.gz", "jsonl"), (".jsonl.zst", "jsonl"), (".jsonl", "jsonl"), (".ndjson", "jsonl"),
    (".json.gz", "jsonl"),
    (".parquet", "parquet"),
    (".txt", "text"), (".txt.gz", "text"), (".text", "text"),
]


# Dump names as Wikimedia and others write them: kkwiki-20261101-pages-articles.xml-p1p5000.bz2
_DUMP_NAME = re.compile(r"\.xml(-[^/]*)?\.(bz2|gz|xz|7z)$")


def infer_kind(path: str) -> str | None:
    name = os.path.basename(path).lower()
    for suffix, kind in _SUFFIXES:
        if name.endswith(suffix):
            return kind
    if _DUMP_NAME.search(name):
        return "mediawiki"
    return None


@dataclass(frozen=True)
class WorkUnit:
    """A piece of one input file that one worker reads: the whole file, or a byte range of it
    starting at a record boundary (`start` inclusive, `end` exclusive, None = to the end)."""

    input_index: int
    path: str
    source: str
    kind: str
    start: int = 0
    end: int | None = None
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def uri(self) -> str:
        """The input's name as the recipe gave it (a remote input is read from a local copy)."""
        return self.options.get("uri", self.path)

    @property
    def key(self) -> str:
        """Stable name of the unit, used for checkpoints and shard names."""
        import xxhash

        base = xxhash.xxh64_hexdigest(self.path.encode())[:12]
        return f"{base}-{self.start:012d}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_units(path: str, kind: str, *, target_bytes: int) -> list[tuple[int, int | None]]:
    """Byte ranges of `path` to read independently; one range unless the reader can split."""
    if kind in ("warc", "wet", "arc"):
        from kazcorpus.sources import warc

        return warc.plan_ranges(path, target_bytes=target_bytes)
    return [(0, None)]


def read_unit(unit: WorkUnit) -> Iterator[Doc | ReadError]:
    """Every record of a unit as a `Doc` (or a `ReadError`); never raises for bad input.

    Remote inputs (`gs://`, `s3://`, `hdfs://`...) are staged to a local temporary file through
    Beam's FileSystems first, so every reader can seek; provenance keeps the remote URI.
    """
    if "://" not in unit.path:
        yield from _read_local(unit)
        return
    import shutil
    import tempfile
    from dataclasses import replace

    from apache_beam.io.filesystems import FileSystems

    suffix = os.path.basename(unit.path)
    with tempfile.TemporaryDirectory(prefix="kazcorpus-") as tmp:
        local = os.path.join(tmp, suffix)
        try:
            with FileSystems.open(unit.path, compression_type="uncompressed") as src, open(local, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except Exception as exc:  # noqa: BLE001 - any filesystem failure is an unreadable input
            yield ReadError(unit.path, "unreadable_file", f"{type(exc).__name__}: {exc}")
            return
        for item in _read_local(replace(unit, path=local, options={**unit.options, "uri": unit.path})):
            if isinstance(item, ReadError):
                item.uri = unit.path
            else:
                item.provenance.uri = unit.path
            yield item


def _read_local(unit: WorkUnit) -> Iterator[Doc | ReadError]:
    try:
        if unit.kind in ("warc", "wet", "arc"):
            from kazcorpus.sources import warc

            yield from warc.read(unit)
        elif unit.kind == "mediawiki":
            from kazcorpus.sources import mediawiki

            yield from mediawiki.read(unit)
        elif unit.kind in ("jsonl", "parquet", "text"):
            from kazcorpus.sources import tabular

            yield from tabular.read(unit)
        else:
            yield ReadError(unit.path, "unknown_kind", f"no reader for kind {unit.kind!r}")
    except FileNotFoundError as exc:
        yield ReadError(unit.path, "missing_file", str(exc))
    except Exception as exc:  # noqa: BLE001 - a reader bug on one file must not abort the run
        yield ReadError(unit.path, "read_failed", f"{type(exc).__name__}: {exc}")
