"""WARC / WET / ARC records -> documents, with the byte offset of every record (placeholder: warcio)."""

from __future__ import annotations

from collections.abc import Iterator

from kazcorpus.pipeline.record import Doc, Provenance, ReadError, stable_id
from kazcorpus.sources import WorkUnit


def plan_ranges(path: str, *, target_bytes: int) -> list[tuple[int, int | None]]:
    return [(0, None)]


def read(unit: WorkUnit) -> Iterator[Doc | ReadError]:
    from warcio.archiveiterator import ArchiveIterator

    with open(unit.path, "rb") as f:
        it = ArchiveIterator(f, arc2warc=True)
        try:
            for rec in it:
                if rec.rec_type not in ("response", "resource", "conversion"):
                    continue
                offset = it.get_record_offset()
                payload = rec.content_stream().read()
                rid = rec.rec_headers.get_header("WARC-Record-ID")
                url = rec.rec_headers.get_header("WARC-Target-URI")
                raw_type = "text" if rec.rec_type == "conversion" else "html"
                yield Doc(
                    id=stable_id(unit.source, rid or f"{unit.path}@{offset}"),
                    source=unit.source,
                    url=url,
                    raw=payload,
                    raw_type=raw_type,
                    provenance=Provenance(
                        uri=unit.path, offset=offset, record_id=rid,
                        digest=rec.rec_headers.get_header("WARC-Payload-Digest"),
                        date=rec.rec_headers.get_header("WARC-Date"),
                    ),
                )
        except Exception as exc:  # noqa: BLE001 - damage ends the file, keeps what was read
            yield ReadError(unit.path, "corrupt_archive", f"{type(exc).__name__}: {exc}")
