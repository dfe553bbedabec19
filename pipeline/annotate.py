"""`kazcorpus annotate`: the per-document stages on JSONL or text, decisions shown, nothing dropped.

It runs the very operators the Beam graph runs (built by `stages.build_operators`), so a linguist sees
the same scores and decisions a run would make.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from kazcorpus.pipeline.record import Doc, Provenance, stable_id
from kazcorpus.pipeline.stages import DOC_STAGES


def _recipe_or_default(recipe):
    if recipe is not None:
        return recipe
    from kazcorpus.pipeline.recipe import Recipe

    return Recipe.model_validate({"inputs": [{"path": "-"}], "output": "-"})


def build_annotators(stages: Iterable[str], recipe=None):
    from kazcorpus.pipeline.stages import build_operators

    recipe = _recipe_or_default(recipe)
    wanted = tuple(s for s in DOC_STAGES if s in set(stages))
    # Build each wanted stage even if the recipe disables it: annotate is asked for it by name.
    for name in wanted:
        section = getattr(recipe, name, None)
        if section is not None and hasattr(section, "enabled"):
            section.enabled = True
    ops = build_operators(recipe, only=wanted)
    for op in ops:
        op.setup()  # once, as a Beam worker does, not per line
    return ops


def annotate_record(record: dict[str, Any], ops) -> dict[str, Any]:
    """Annotate one input record; returns the input fields plus one object per stage."""
    text = record.get("text")
    if not isinstance(text, str):
        return {**record, "error": "no string field 'text'"}
    doc = Doc(id=str(record.get("id") or stable_id("annotate", text)), source="annotate", text=text,
              url=record.get("url"), provenance=Provenance(uri="-"))
    out = dict(record)
    for op in ops:
        before = doc.text
        try:
            op.annotate(doc)
            reason = op.decide(doc)
        except Exception as exc:  # noqa: BLE001 - show the failure on this line, go on with the next
            out[op.stage] = {"error": f"{type(exc).__name__}: {exc}", "keep": False, "reason": f"{op.stage}_error"}
            continue
        result = dict(doc.annotations.get(op.stage) or {})
        result["keep"] = reason is None
        result["reason"] = reason
        if op.stage == "langid":
            result.update({"lang": doc.lang, "script": doc.script, "lang_score": doc.lang_score})
            out.update({"lang": doc.lang, "script": doc.script, "lang_score": doc.lang_score})
        if op.stage == "pii":
            result["text"] = doc.text
            result.setdefault("pii", [])
            # Later stages (none today) and the next line must see the original text.
            doc.text = before
        out[op.stage] = result
    return out


def annotate_stream(inp: IO[str], out: IO[str], *, stages: list[str], recipe=None) -> int:
    """One output line per input line, in order; returns the number of lines written."""
    ops = build_annotators(stages, recipe)
    n = 0
    for line in inp:
        line = line.rstrip("\n")
        record: dict[str, Any]
        stripped = line.strip()
        if stripped.startswith("{"):
            try:
                obj = json.loads(stripped)
                record = obj if isinstance(obj, dict) else {"text": line}
            except ValueError:
                record = {"text": line}
        else:
            record = {"text": line}
        out.write(json.dumps(annotate_record(record, ops), ensure_ascii=False, default=str) + "\n")
        n += 1
    out.flush()
    return n
