"""Which per-document stages run, in which order, built from a recipe.

The same list serves the Beam graph, `kazcorpus annotate` and the notebooks, so a document gets the
same decisions wherever it is processed.
"""

from __future__ import annotations

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc

# Order matters: extraction first; cleaning (mojibake, boilerplate lines) before anything that
# measures text; PII redaction last among per-document stages so the scores see the original text.
DOC_STAGES = ("extract", "blocklist", "rights", "clean", "langid", "quality", "toxicity", "pii")
# Stages run while reading (checkpointed per input unit: extraction is most of a run's cost).
INGEST_STAGES = ("extract", "blocklist", "rights", "clean")
# Between the two: removal of lines that recur across many pages of one host (needs all documents).
BOILERPLATE_STAGE = "boilerplate"
# Stages that measure the cleaned text.
MEASURE_STAGES = ("langid", "quality", "toxicity", "pii")
GLOBAL_STAGES = ("exact_dedup", "near_dedup")
ANNOTATE_STAGES = ("langid", "pii", "quality", "toxicity")


class RightsOperator(BaseOperator):
    """Drops pages whose owners reserved their rights (robots noai, TDM reservation), when asked to."""

    stage = "rights"

    def __init__(self, *, drop_opted_out: bool = False):
        self.drop_opted_out = drop_opted_out

    def annotate(self, doc: Doc) -> None:
        pass

    def decide(self, doc: Doc) -> str | None:
        rights = doc.metadata.get("rights") or {}
        if self.drop_opted_out and rights.get("opted_out"):
            return "rights_opted_out"
        return None


def build_operators(recipe, *, only: tuple[str, ...] | None = None) -> list[BaseOperator]:
    """The enabled per-document operators of a recipe, in stage order (`only` picks a subset)."""
    from kazcorpus.filters.langid import LangIdOperator
    from kazcorpus.filters.pii import PiiOperator
    from kazcorpus.filters.quality import QualityOperator
    from kazcorpus.filters.toxicity import ToxicityOperator
    from kazcorpus.sources.html import ExtractOperator

    ops: list[BaseOperator] = []

    def want(name: str) -> bool:
        return only is None or name in only

    if want("extract"):
        ops.append(ExtractOperator(config=recipe.extract))
    if want("blocklist") and recipe.blocklist:
        from kazcorpus.pipeline.audit import BlocklistOperator

        ops.append(BlocklistOperator(path=recipe.blocklist))
    if want("rights") and recipe.rights.drop_opted_out:
        ops.append(RightsOperator(drop_opted_out=True))
    if want("clean") and recipe.clean.enabled:
        from kazcorpus.filters.clean import CleanOperator

        ops.append(CleanOperator(config=recipe.clean))
    if want("langid") and recipe.langid.enabled:
        ops.append(LangIdOperator(config=recipe.langid))
    if want("quality") and recipe.quality.enabled:
        ops.append(QualityOperator(config=recipe.quality))
    if want("toxicity") and recipe.toxicity.enabled:
        ops.append(ToxicityOperator(config=recipe.toxicity))
    if want("pii") and recipe.pii.enabled:
        ops.append(PiiOperator(config=recipe.pii))
    return ops
