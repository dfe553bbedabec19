"""PII redaction (placeholder until the filters issue lands: e-mail only)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class PiiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True


class PiiOperator(BaseOperator):
    stage = "pii"

    def __init__(self, *, config: PiiConfig | None = None):
        self.config = config or PiiConfig()

    def annotate(self, doc: Doc) -> None:
        spans = [{"kind": "EMAIL", "start": m.start(), "end": m.end()} for m in _EMAIL.finditer(doc.text)]
        doc.text = _EMAIL.sub("<EMAIL>", doc.text)
        doc.annotations[self.stage] = {"pii": spans, "counts": {"EMAIL": len(spans)} if spans else {}}
