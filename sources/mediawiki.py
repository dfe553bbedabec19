"""MediaWiki XML dumps -> documents (placeholder)."""

from __future__ import annotations

from collections.abc import Iterator

from kazcorpus.pipeline.record import Doc, ReadError
from kazcorpus.sources import WorkUnit


def read(unit: WorkUnit) -> Iterator[Doc | ReadError]:
    yield ReadError(unit.path, "not_implemented", "mediawiki reader not written yet")
