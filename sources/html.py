"""HTML -> text: the one trafilatura set-up of the project, as the `extract` stage.

Readers leave the raw payload on the document (`doc.raw`, `doc.raw_type`); this operator turns it
into text.  Keeping extraction an operator (not part of reading) lets the graph time it, count its
failures as drops with a reason, and re-run it alone in `trace --reproduce`.
"""

from __future__ import annotations

from importlib.metadata import version

from pydantic import BaseModel, ConfigDict, Field

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc, text_hash


class ExtractConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    favor_precision: bool = True
    include_tables: bool = False
    fast: bool = False  # trafilatura's no_fallback mode
    timeout_s: float = Field(10.0, gt=0)
    min_chars: int = Field(1, ge=0)
    max_payload_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    keep_http_errors: bool = False  # keep non-2xx responses (error pages are rarely content)
    mime_types: list[str] = Field(
        default_factory=lambda: ["text/html", "application/xhtml+xml", "text/plain"]
    )


def extractor_name() -> str:
    return f"trafilatura {version('trafilatura')}"


def html_to_text(html: bytes | str, config: ExtractConfig) -> str | None:
    import trafilatura

    return trafilatura.extract(
        html,
        favor_precision=config.favor_precision,
        include_tables=config.include_tables,
        include_comments=False,
        no_fallback=config.fast,
        deduplicate=False,
    )


class ExtractOperator(BaseOperator):
    stage = "extract"

    def __init__(self, *, config: ExtractConfig | None = None):
        self.config = config or ExtractConfig()

    def annotate(self, doc: Doc) -> None:
        if doc.raw is None:
            return
        raw, kind = doc.raw, doc.raw_type
        doc.raw = None
        if kind == "html":
            text = html_to_text(raw, self.config) or ""
            doc.provenance.extractor = extractor_name()
        else:
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        doc.text = text
        doc.provenance.text_hash = text_hash(text)
        doc.annotations[self.stage] = {"chars": len(text)}

    def decide(self, doc: Doc) -> str | None:
        if len(doc.text.strip()) < max(1, self.config.min_chars):
            return "no_text_extracted"
        return None
