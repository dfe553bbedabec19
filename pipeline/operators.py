"""The per-document operator interface, and the one loop that runs operators over a document.

An operator is small and pure: `annotate(doc)` writes its scores into `doc.annotations[stage]` (and
may rewrite `doc.text`, e.g. PII redaction), `decide(doc)` returns a drop reason or None.  Scores are
written even for documents that end up kept, so thresholds can be re-tuned later.  Heavy state
(models, lexicons) is built in `setup()`, called once per worker (Beam's `DoFn.setup`), never at
import or in `__init__`: operators must pickle before setup.

Loops, counters and reject routing live here and in `graph.py`, not in the operators.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from kazcorpus.pipeline.record import Doc

log = logging.getLogger(__name__)


@runtime_checkable
class Operator(Protocol):
    stage: str

    def setup(self) -> None: ...

    def annotate(self, doc: Doc) -> None: ...

    def decide(self, doc: Doc) -> str | None: ...


class BaseOperator:
    """Convenience base: lazy one-time setup and a no-op decision."""

    stage = "base"
    _ready = False

    def setup(self) -> None:
        self._ready = True

    def ensure_setup(self) -> None:
        if not self._ready:
            self.setup()
            self._ready = True

    def annotate(self, doc: Doc) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def decide(self, doc: Doc) -> str | None:
        return None

    def __getstate__(self):
        # Never ship loaded models across process boundaries: workers call setup() themselves.
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)


def run_operators(doc: Doc, operators: Iterable[Operator], *, timings: dict[str, float] | None = None) -> Doc:
    """Run operators in order until one drops the document.

    Returns the same `Doc`, with `rejected_by`/`reason` set if a stage dropped it.  An exception inside
    an operator drops the document with reason `<stage>_error` rather than failing the run: one bad
    record never aborts a job.
    """
    for op in operators:
        t0 = time.perf_counter() if timings is not None else 0.0
        try:
            op.annotate(doc)
            reason = op.decide(doc)
        except Exception as exc:  # noqa: BLE001 - one bad document must not abort the run
            log.warning("stage %s failed on %s: %s: %s", op.stage, doc.id, type(exc).__name__, exc)
            doc.annotations.setdefault("errors", []).append(f"{op.stage}: {type(exc).__name__}: {exc}")
            reason = f"{op.stage}_error"
        if timings is not None:
            timings[op.stage] = timings.get(op.stage, 0.0) + time.perf_counter() - t0
        if reason:
            doc.drop(op.stage, reason)
            break
    return doc
