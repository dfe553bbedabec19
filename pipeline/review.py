"""Human review of a kazcorpus output folder: samples, readable documents, labels, thresholds, plots.

The notebooks in `notebooks/` are thin: every step they show is a plain function here, so the tests
drive the same code the buttons do and a notebook cell never holds logic worth testing.

- `load_docs` reads `data/` and `rejected/` of an output folder into one pandas frame, with the
  annotations parsed and a `decision` column (`kept` / `rejected`).
- `stratified_sample` draws a reproducible sample over language x script x source x decision, with
  rejected documents split by reason, so rare groups are seen as well as common ones.
- `render_html` shows one document readably: placeholders of redacted personal data, toxic matches,
  passages in another language and removed boilerplate highlighted, and why it was dropped.
- `record_label` / `load_labels` keep judgements in a JSONL file keyed by document id: each judgement
  is appended (so nothing is lost on a crash or restart) and the last one for an id wins.
- `filter_metrics` and `threshold_sweep` turn labels into precision and recall per filter and
  language, and show what another threshold on one score would keep; `write_recipe_fragment` writes
  the chosen values as recipe YAML, validated against the recipe model.
- `plot_*` save PNG files for the corpus report.

Only local folders are supported: review happens on a person's machine, on a copy of the output.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

OUTPUT_ENV = "KAZCORPUS_OUTPUT"
REPO_ROOT = Path(__file__).resolve().parents[1]

# The four judgements a reviewer can give.  "wrong_language" is kept apart from "drop" because it is
# the language filter's own mistake, and a linguist spots it at a glance.
LABELS = ("keep", "drop", "wrong_language", "other")
LABEL_TEXT = {
    "keep": "Keep: good text for the corpus",
    "drop": "Drop: should not be in the corpus",
    "wrong_language": "Wrong language: not the language shown",
    "other": "Other / not sure (write a note)",
}
# Judgements that say the document should not be in the corpus.
BAD_LABELS = ("drop", "wrong_language")
STRATA = ("lang", "script", "source", "stratum")


# ---------------------------------------------------------------------------------------------------
# Finding and loading an output folder


def default_output(roots: Iterable[Path] | None = None) -> Path | None:
    """The newest demo output folder (`out/demo*` with a manifest) under the repository or cwd."""
    roots = list(roots) if roots is not None else [REPO_ROOT, Path.cwd(), Path.cwd().parent]
    found = []
    for root in roots:
        for cand in Path(root).glob("out/demo*"):
            manifest = cand / "manifest.json"
            if manifest.is_file():
                found.append((manifest.stat().st_mtime, cand.resolve()))
    return max(found)[1] if found else None


def output_dir(value: str | os.PathLike | None = None) -> Path:
    """The folder to work on: `value`, else $KAZCORPUS_OUTPUT, else the newest demo output."""
    chosen = value or os.environ.get(OUTPUT_ENV) or default_output()
    if not chosen:
        raise FileNotFoundError(
            f"no output folder: set {OUTPUT_ENV} to a kazcorpus output folder, or run `make demo` first"
        )
    path = Path(chosen).expanduser().resolve()
    if not (path / "manifest.json").is_file() and not (path / "data").is_dir():
        raise FileNotFoundError(f"{path} is not a kazcorpus output folder (no manifest.json, no data/)")
    return path


def load_manifest(out_dir: str | os.PathLike) -> dict[str, Any]:
    path = Path(out_dir) / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _read_parquet_dir(folder: Path, *, text: bool) -> pa.Table | None:
    import pyarrow.compute as pc

    tables = []
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path)
        # Lengths are taken shard by shard so the text itself can be left behind (a large output
        # fits in memory without it); `shard` lets `attach_text` fetch it for a sample later.
        table = table.append_column("n_chars", pc.fill_null(pc.utf8_length(table["text"]), 0))
        table = table.append_column("shard", pa.array([str(path)] * table.num_rows, pa.string()))
        if not text:
            table = table.drop_columns(["text"])
        tables.append(table)
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="default")


def load_docs(out_dir: str | os.PathLike, *, text: bool = True) -> pd.DataFrame:
    """Kept and rejected documents of an output folder as one frame.

    Added columns: `decision` (`kept` / `rejected`), `stratum` (`kept` or `rejected:<reason>`),
    `ann` (the annotations as a dict; `{}` where missing or unreadable), `n_chars`, `domain` and
    `shard`.  `text=False` leaves the texts out (for large outputs; see `attach_text`).
    """
    out = Path(out_dir)
    frames = []
    for sub, decision in (("data", "kept"), ("rejected", "rejected")):
        table = _read_parquet_dir(out / sub, text=text)
        if table is None:
            continue
        frame = table.to_pandas()
        frame["decision"] = decision
        frames.append(frame)
    if not frames:
        frame = pd.DataFrame({"id": pd.Series(dtype=str), "decision": pd.Series(dtype=str)})
    else:
        frame = pd.concat(frames, ignore_index=True)
    for col in ("lang", "script", "source", "rejected_by", "reason", "url", "title", "text",
                "minhash_cluster"):
        if col not in frame.columns:
            frame[col] = None
        # concat fills kept rows' rejected_by/reason with NaN, which is truthy: use None throughout.
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame["stratum"] = [
        "kept" if d == "kept" else f"rejected:{r or 'unknown'}"
        for d, r in zip(frame["decision"], frame["reason"], strict=True)
    ]
    frame["ann"] = [_parse_json(a) for a in frame.get("annotations", [None] * len(frame))]
    frame = frame.drop(columns=["annotations"], errors="ignore")  # parsed into `ann`; not twice in memory
    if "n_chars" not in frame:
        frame["n_chars"] = 0
    frame["domain"] = [_domain(u) for u in frame["url"]]
    return frame


def attach_text(docs: pd.DataFrame) -> pd.DataFrame:
    """`docs` with the `text` column filled in from the shards, reading only the rows needed."""
    docs = docs.copy()
    if "text" in docs and docs["text"].notna().all():
        return docs
    texts: dict[str, str] = {}
    for shard, part in docs.groupby("shard"):
        table = pq.read_table(shard, columns=["id", "text"], filters=[("id", "in", list(part["id"]))])
        texts.update(zip(table["id"].to_pylist(), table["text"].to_pylist(), strict=True))
    docs["text"] = [texts.get(i) for i in docs["id"]]
    return docs


def _parse_json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _domain(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    host = urlsplit(url).hostname
    return host[4:] if host and host.startswith("www.") else host


def stage_order(manifest: Mapping[str, Any], docs: pd.DataFrame | None = None) -> list[str]:
    """Stages in the order they ran (from the manifest's funnel), then any others seen in `docs`."""
    order = [row["stage"] for row in manifest.get("funnel", []) if "stage" in row]
    if docs is not None and "rejected_by" in docs:
        for stage in docs["rejected_by"].dropna().unique():
            if stage not in order:
                order.append(stage)
    return order


def find_doc(docs: pd.DataFrame, doc_id: str) -> pd.Series | None:
    """The row of one document by id, or by an unambiguous id prefix of at least six characters."""
    doc_id = doc_id.strip()
    hit = docs[docs["id"] == doc_id]
    if hit.empty and len(doc_id) >= 6:
        hit = docs[docs["id"].str.startswith(doc_id)]
    return hit.iloc[0] if len(hit) == 1 else None


# ---------------------------------------------------------------------------------------------------
# Sampling


def _order_key(seed: int, doc_id: str) -> str:
    # A hash of (seed, id) rather than a random generator over row order: the same seed picks the same
    # documents however the shards were split or read, and adding documents does not reshuffle.
    return xxhash.xxh3_64_hexdigest(f"{seed}\x00{doc_id}".encode())


def stratified_sample(docs: pd.DataFrame, size: int, *, seed: int = 0,
                      by: Sequence[str] = STRATA) -> pd.DataFrame:
    """`size` documents spread evenly over the groups of `by` (small groups are taken whole).

    Groups are visited in turn, one document from each, so a reason that dropped three documents is
    seen as surely as one that dropped thousands.  The result keeps that interleaved order and has a
    `group` column naming the document's group.
    """
    if size <= 0 or docs.empty:
        return docs.iloc[0:0].assign(group=pd.Series(dtype=str))
    keys = docs[list(by)].astype("string").fillna("?")
    group = keys.agg(" | ".join, axis=1)
    queues: dict[str, list[int]] = {}
    ids = [str(i) for i in docs["id"]]
    order = sorted(range(len(docs)), key=lambda i: _order_key(seed, ids[i]))
    for i in order:
        queues.setdefault(group.iat[i], []).append(i)
    names = sorted(queues, key=lambda g: _order_key(seed, g))
    picked: list[int] = []
    depth = 0
    while len(picked) < size and any(depth < len(queues[g]) for g in names):
        for g in names:
            if depth < len(queues[g]) and len(picked) < size:
                picked.append(queues[g][depth])
        depth += 1
    sample = docs.iloc[picked].copy()
    sample["group"] = group.iloc[picked].to_numpy()
    return sample.reset_index(drop=True)


def sample_summary(sample: pd.DataFrame) -> pd.DataFrame:
    """How many sampled documents fall in each group, for a glance before reviewing."""
    if sample.empty:
        return pd.DataFrame(columns=[*STRATA, "documents"])
    return (sample.groupby(list(STRATA), dropna=False).size().rename("documents")
            .reset_index().sort_values("documents", ascending=False, ignore_index=True))


# ---------------------------------------------------------------------------------------------------
# Showing a document

PLACEHOLDER = re.compile(r"<(?:[A-Z][A-Z_]{1,15})>")
_REASON_TEXT = {
    "lang_not_kept": "its language is not one this corpus keeps",
    "lang_score_too_low": "the language detector was not sure enough of the language",
    "too_few_stop_words": "it has too few common function words to read like running text",
    "too_few_words": "it is too short",
    "no_text_extracted": "no readable text could be taken out of the page",
    "exact_duplicate": "the same text is already in the corpus",
    "near_duplicate": "almost the same text is already in the corpus",
    "toxic": "it contains offensive language",
    "empty_text": "nothing was left after cleaning",
}
_STYLE = {
    "pii": "background:#fde68a;border-radius:3px;padding:0 2px;font-weight:600",
    "toxic": "background:#fecaca;color:#7f1d1d;border-radius:3px;padding:0 2px",
    "lang": "background:#dbeafe;border-bottom:2px dotted #1d4ed8",
}


def explain_reason(reason: str | None) -> str:
    """A drop reason in plain words (the snake_case name is shown next to it)."""
    if not reason:
        return ""
    if reason in _REASON_TEXT:
        return _REASON_TEXT[reason]
    m = re.fullmatch(r"too_many_duplicate_(\d+)_grams", reason)
    if m:
        return f"too many word sequences of {m.group(1)} words are repeated inside it"
    return reason.replace("_", " ")


def _ann(row: Mapping[str, Any]) -> dict[str, Any]:
    ann = row.get("ann")
    return ann if isinstance(ann, dict) else _parse_json(row.get("annotations"))


def toxic_terms(ann: Mapping[str, Any], text: str) -> list[str]:
    """The matched strings of `annotations["toxicity"]["matches"]`, whatever shape the filter wrote."""
    matches = (ann.get("toxicity") or {}).get("matches") or []
    terms: list[str] = []
    for m in matches if isinstance(matches, list) else []:
        term = None
        if isinstance(m, str):
            term = m
        elif isinstance(m, dict):
            term = next((m[k] for k in ("text", "match", "term", "word") if isinstance(m.get(k), str)), None)
            if term is None and isinstance(m.get("start"), int) and isinstance(m.get("end"), int):
                term = text[m["start"]:m["end"]]
        elif isinstance(m, (list, tuple)) and len(m) >= 2 and all(isinstance(x, int) for x in m[:2]):
            term = text[m[0]:m[1]]
        if term and term.strip() and term not in terms:
            terms.append(term)
    return terms


def language_spans(ann: Mapping[str, Any]) -> list[tuple[int, int, str]]:
    """(start, end, language) of each span of `annotations["langid"]["spans"]`."""
    spans = (ann.get("langid") or {}).get("spans") or []
    out = []
    for s in spans if isinstance(spans, list) else []:
        if isinstance(s, dict):
            start, end, lang = s.get("start"), s.get("end"), s.get("lang")
            if s.get("script"):
                lang = f"{lang} ({s['script']})"
        elif isinstance(s, (list, tuple)) and len(s) >= 3:
            start, end, lang = s[0], s[1], s[2]
        else:
            continue
        if isinstance(start, int) and isinstance(end, int) and end > start:
            out.append((start, end, str(lang)))
    return out


def removed_lines(ann: Mapping[str, Any]) -> list[str]:
    """Lines removed as boilerplate, as far as the stages kept examples of them."""
    lines: list[str] = []
    for stage in ("clean", "boilerplate"):
        info = ann.get(stage) or {}
        for key in ("examples", "removed", "lines", "removed_lines_examples"):
            values = info.get(key) if isinstance(info, dict) else None
            if isinstance(values, list):
                lines += [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values]
    return lines


def highlight_marks(text: str, ann: Mapping[str, Any], doc_lang: str | None = None
                    ) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, tooltip) of everything to highlight in `text`; kinds: pii, toxic, lang."""
    marks = [(m.start(), m.end(), "pii", "personal data, replaced") for m in PLACEHOLDER.finditer(text)]
    for term in toxic_terms(ann, text):
        for m in re.finditer(re.escape(term), text, flags=re.IGNORECASE):
            marks.append((m.start(), m.end(), "toxic", "toxic match"))
    for start, end, lang in language_spans(ann):
        if doc_lang and lang.split(" ")[0] == doc_lang:
            continue  # only passages in another language are worth a colour
        marks.append((max(0, start), min(len(text), end), "lang", f"language: {lang}"))
    return sorted(m for m in marks if m[0] < m[1])


def _render_text(text: str, marks: list[tuple[int, int, str, str]]) -> str:
    # Cut the text at every mark boundary and wrap each piece in the marks covering it, so
    # overlapping highlights (a phone number inside a Russian passage) both stay visible.
    cuts = sorted({0, len(text), *(m[0] for m in marks), *(m[1] for m in marks)})
    parts = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = html.escape(text[a:b])
        for start, end, kind, tip in marks:
            if start <= a and b <= end:
                piece = f'<span style="{_STYLE[kind]}" title="{html.escape(tip)}">{piece}</span>'
        parts.append(piece)
    return "".join(parts)


def render_html(row: Mapping[str, Any], *, max_chars: int = 20_000, label: Mapping[str, Any] | None = None
                ) -> str:
    """One document as HTML: header, why it was dropped, its text with highlights, removed lines."""
    row = {k: (None if _is_missing(v) else v) for k, v in row.items()}
    ann = _ann(row)
    text = row.get("text") or ""
    cut = len(text) > max_chars
    shown = text[:max_chars]
    title = row.get("title") or "(no title)"
    url = row.get("url")
    esc = html.escape
    lines = ['<div style="font-family:sans-serif;max-width:60em">',
             f'<h3 style="margin:0.2em 0">{esc(str(title))}</h3>']
    if url:
        lines.append(f'<div><a href="{esc(url)}" target="_blank">{esc(url)}</a></div>')
    score = row.get("lang_score")
    score_txt = f", detector certainty {score:.2f}" if isinstance(score, (int, float)) and not math.isnan(score) else ""
    lines.append(
        f'<div style="color:#555">source <b>{esc(str(row.get("source")))}</b> · language '
        f'<b>{esc(str(row.get("lang")))}</b> · script <b>{esc(str(row.get("script")))}</b>{score_txt} · '
        f'{len(text)} characters · id <code>{esc(str(row.get("id")))}</code></div>'
    )
    if row.get("rejected_by"):
        reason = row.get("reason")
        lines.append(
            '<div style="background:#fee2e2;border-left:6px solid #b91c1c;padding:0.4em;margin:0.4em 0">'
            f'<b>Dropped</b> by the <b>{esc(str(row["rejected_by"]))}</b> step because '
            f'{esc(explain_reason(reason))} <code>({esc(str(reason))})</code></div>'
        )
    else:
        lines.append('<div style="background:#dcfce7;border-left:6px solid #15803d;padding:0.4em;'
                     'margin:0.4em 0"><b>Kept</b> in the corpus</div>')
    dup = (ann.get("exact_dedup") or ann.get("near_dedup") or {}).get("duplicate_of")
    if dup or (row.get("cluster_size") or 0) > 1:
        lines.append(f'<div style="color:#555">near-duplicate group: {esc(str(row.get("minhash_cluster")))}'
                     f' ({row.get("cluster_size")} documents){" · copy of " + esc(str(dup)) if dup else ""}</div>')
    if label:
        note = f' — "{esc(label.get("note") or "")}"' if label.get("note") else ""
        lines.append(f'<div style="background:#e0e7ff;padding:0.3em">Your judgement: '
                     f'<b>{esc(LABEL_TEXT.get(label.get("label"), str(label.get("label"))))}</b>{note}</div>')
    lines.append('<div style="font-size:90%;color:#555;margin:0.3em 0">Highlights: '
                 f'<span style="{_STYLE["pii"]}">&lt;PHONE&gt;</span> personal data replaced · '
                 f'<span style="{_STYLE["toxic"]}">toxic word</span> · '
                 f'<span style="{_STYLE["lang"]}">other language</span></div>')
    body = _render_text(shown, highlight_marks(shown, ann, row.get("lang")))
    lines.append('<div style="white-space:pre-wrap;border:1px solid #ddd;padding:0.6em;line-height:1.5">'
                 f'{body}{"<br><i>… (text cut here)</i>" if cut else ""}</div>')
    removed = removed_lines(ann)
    if removed:
        items = "".join(f"<li><s>{esc(x)}</s></li>" for x in removed)
        lines.append(f'<div style="color:#777">Removed as boilerplate ({len(removed)} lines shown):'
                     f'<ul style="margin:0.2em">{items}</ul></div>')
    lines.append("</div>")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Labels


def labels_path(out_dir: str | os.PathLike, path: str | os.PathLike | None = None) -> Path:
    """Where labels are kept: `path`, else `labels.jsonl` in the output folder (outside the shards)."""
    return Path(path) if path else Path(out_dir) / "labels.jsonl"


def _snapshot(doc: Mapping[str, Any] | None) -> dict[str, Any]:
    # The document's situation when it was judged: metrics still work after the output is re-run.
    if doc is None:
        return {}
    keys = ("lang", "script", "source", "decision", "rejected_by", "reason")
    return {k: (None if _is_missing(doc.get(k)) else doc.get(k)) for k in keys}


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def record_label(path: str | os.PathLike, doc_id: str, label: str | None, *, note: str = "",
                 reviewer: str = "", doc: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Append one judgement (the last one for an id wins); `label=None` withdraws the judgement."""
    if label is not None and label not in LABELS:
        raise ValueError(f"label must be one of {', '.join(LABELS)}; got {label!r}")
    entry = {"id": doc_id, "label": label, "note": note, "reviewer": reviewer,
             "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), **_snapshot(doc)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torn = False
    if path.is_file() and path.stat().st_size:
        with path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            torn = f.read(1) != b"\n"  # a write cut short: start afresh rather than glue onto it
    with path.open("a", encoding="utf-8") as f:
        f.write(("\n" if torn else "") + json.dumps(entry, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())  # a judgement clicked is a judgement kept, even if the machine dies
    return entry


def load_labels(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Current judgement per document id; a torn last line (crash while writing) is skipped."""
    path = Path(path)
    labels: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return labels
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        if entry.get("label") is None:
            labels.pop(entry["id"], None)
        else:
            labels[entry["id"]] = entry
    return labels


def compact_labels(path: str | os.PathLike) -> int:
    """Rewrite the file with one line per labelled id (atomically); returns how many remain."""
    path = Path(path)
    labels = load_labels(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in labels.values()), encoding="utf-8")
    os.replace(tmp, path)
    return len(labels)


def labels_frame(labels: Mapping[str, Mapping[str, Any]], docs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Labels as a frame; where `docs` has the document, its current lang/decision/reason win."""
    frame = pd.DataFrame(list(labels.values()))
    if frame.empty:
        return pd.DataFrame(columns=["id", "label", "note", "reviewer", "lang", "source", "decision",
                                     "rejected_by", "reason"])
    if docs is not None and not docs.empty:
        current = docs.set_index("id")[["lang", "script", "source", "decision", "rejected_by", "reason"]]
        current = current[~current.index.duplicated()]
        joined = frame.set_index("id")
        for col in current.columns:
            if col not in joined:
                joined[col] = None
            known = joined.index.isin(current.index)
            joined.loc[known, col] = current.loc[joined.index[known], col].to_numpy()
        frame = joined.reset_index()
    return frame


class ReviewSession:
    """Going through a sample one document at a time; the widget's buttons call `label`.

    Starts at the first document of the sample without a judgement, so a restarted notebook carries
    on where the reviewer stopped.
    """

    def __init__(self, sample: pd.DataFrame, labels_file: str | os.PathLike, *, reviewer: str = ""):
        self.sample = sample.reset_index(drop=True)
        self.labels_file = Path(labels_file)
        self.reviewer = reviewer
        self.labels = load_labels(self.labels_file)
        self.position = self.first_open()

    def first_open(self) -> int:
        for i, doc_id in enumerate(self.sample["id"]):
            if doc_id not in self.labels:
                return i
        return len(self.sample)

    @property
    def current(self) -> pd.Series | None:
        return self.sample.iloc[self.position] if 0 <= self.position < len(self.sample) else None

    @property
    def done(self) -> int:
        return sum(1 for doc_id in self.sample["id"] if doc_id in self.labels)

    def label(self, label: str, note: str = "") -> dict[str, Any]:
        """Record a judgement for the current document and move to the next one."""
        doc = self.current
        if doc is None:
            raise IndexError("no current document: the sample is finished")
        entry = record_label(self.labels_file, doc["id"], label, note=note, reviewer=self.reviewer,
                             doc=doc.to_dict())
        self.labels[doc["id"]] = entry
        self.position = min(self.position + 1, len(self.sample))
        return entry

    def go(self, position: int) -> None:
        self.position = max(0, min(position, len(self.sample)))

    def next(self) -> None:
        self.go(self.position + 1)

    def previous(self) -> None:
        self.go(self.position - 1)

    def progress(self) -> str:
        where = (f"document {self.position + 1} of {len(self.sample)}" if self.current is not None
                 else "end of the sample")
        return f"{where} · {self.done} of {len(self.sample)} judged · saved in {self.labels_file}"

    def render(self) -> str:
        doc = self.current
        if doc is None:
            return ("<h3>All documents of this sample are judged. Thank you!</h3>"
                    "<p>Use <b>Previous</b> to look back, or change SEED at the top for a new sample.</p>")
        return render_html(doc.to_dict(), label=self.labels.get(doc["id"]))


def review_widget(session: ReviewSession):
    """The buttons: keep / drop / wrong language / other, a note, and previous / next."""
    import ipywidgets as w

    progress = w.HTML()
    page = w.HTML()
    note = w.Text(placeholder="note (optional): why?", layout=w.Layout(width="40em"))
    colours = {"keep": "success", "drop": "danger", "wrong_language": "warning", "other": "info"}
    buttons = {
        lab: w.Button(description=LABEL_TEXT[lab].split(":")[0], button_style=colours[lab],
                      tooltip=LABEL_TEXT[lab], layout=w.Layout(width="11em"))
        for lab in LABELS
    }
    prev_b = w.Button(description="◀ Previous", layout=w.Layout(width="8em"))
    next_b = w.Button(description="Next ▶", layout=w.Layout(width="8em"))

    def refresh() -> None:
        progress.value = f"<b>{html.escape(session.progress())}</b>"
        page.value = session.render()
        doc = session.current
        note.value = (session.labels.get(doc["id"], {}).get("note") or "") if doc is not None else ""
        for b in buttons.values():
            b.disabled = doc is None

    def on_label(lab: str):
        def handler(_button) -> None:
            if session.current is not None:
                session.label(lab, note.value)
            refresh()
        return handler

    for lab, b in buttons.items():
        b.on_click(on_label(lab))
    prev_b.on_click(lambda _b: (session.previous(), refresh()))
    next_b.on_click(lambda _b: (session.next(), refresh()))
    refresh()
    box = w.VBox([progress, w.HBox([prev_b, next_b]), page, note, w.HBox(list(buttons.values()))])
    box.buttons = buttons  # tests and power users press them from code
    box.note = note
    box.nav = {"previous": prev_b, "next": next_b}
    return box


# ---------------------------------------------------------------------------------------------------
# Precision, recall and thresholds


def _truth(label: str) -> bool | None:
    """True: should be dropped; False: should be kept; None: no usable judgement ("other")."""
    if label in BAD_LABELS:
        return True
    return False if label == "keep" else None


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def filter_metrics(docs: pd.DataFrame, labels: Mapping[str, Mapping[str, Any]],
                   stages: Sequence[str]) -> pd.DataFrame:
    """Precision and recall of each filter, per language and over all (`lang == "all"`).

    A judgement of drop or wrong language says the document should not be in the corpus; keep says
    it should; other is left out.  For a filter, only documents that reached it count (documents
    dropped by an earlier stage never met it):
    precision = share of the documents it dropped that reviewers also say should go;
    recall = share of the documents that should go, among those that reached it, that it dropped.
    The last row per language, stage `pipeline`, scores the whole run's keep/drop decision.
    """
    frame = labels_frame(labels, docs)
    columns = ["stage", "lang", "labelled", "dropped_bad", "dropped_good", "passed_bad", "passed_good",
               "precision", "recall"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["truth"] = [_truth(lab) for lab in frame["label"]]
    frame = frame[frame["truth"].notna()]
    order = list(stages)
    rank = {s: i for i, s in enumerate(order)}
    rows = []

    def add(stage: str, lang: str, reached: pd.DataFrame, dropped: pd.Series) -> None:
        bad = reached["truth"].astype(bool)
        counts = {"dropped_bad": int((dropped & bad).sum()), "dropped_good": int((dropped & ~bad).sum()),
                  "passed_bad": int((~dropped & bad).sum()), "passed_good": int((~dropped & ~bad).sum())}
        rows.append({"stage": stage, "lang": lang, "labelled": len(reached), **counts,
                     "precision": _ratio(counts["dropped_bad"], counts["dropped_bad"] + counts["dropped_good"]),
                     "recall": _ratio(counts["dropped_bad"], counts["dropped_bad"] + counts["passed_bad"])})

    # Stages that dropped nothing in this output would only add rows of "recall 0".
    acting = set(docs["rejected_by"].dropna()) if "rejected_by" in docs else set()
    order = [s for s in order if s in acting] or order
    langs = ["all", *sorted(frame["lang"].dropna().astype(str).unique())]
    for lang in langs:
        part = frame if lang == "all" else frame[frame["lang"].astype(str) == lang]
        # Unknown stages (not in the funnel) count as last: their documents met every known filter.
        last = len(rank)
        ranks = [last if _is_missing(b) else rank.get(b, last) for b in part["rejected_by"]]
        for stage in order:
            reached = part[[r >= rank[stage] for r in ranks]]
            if reached.empty:
                continue
            add(stage, lang, reached, reached["rejected_by"] == stage)
        if not part.empty:
            add("pipeline", lang, part, part["rejected_by"].notna())
    return pd.DataFrame(rows, columns=columns)


def score_values(docs: pd.DataFrame, score: str) -> pd.Series:
    """One score per document: a column (`lang_score`, `n_chars`) or `stage.key` in the annotations."""
    if score in docs.columns and score != "ann":
        return pd.to_numeric(docs[score], errors="coerce")
    stage, _, key = score.partition(".")

    def get(ann: Any) -> float:
        value: Any = ann.get(stage) if isinstance(ann, dict) else None
        for part in key.split(".") if key else []:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return float("nan")
        return float(value)

    return pd.Series([get(a) for a in docs["ann"]], index=docs.index, dtype=float)


def score_stage(score: str) -> str:
    """The stage a score belongs to (`langid` for `lang_score`)."""
    return "langid" if score == "lang_score" else score.partition(".")[0]


def numeric_scores(docs: pd.DataFrame, stages: Iterable[str] | None = None) -> list[str]:
    """Every `stage.key` with a number in some document's annotations, for picking a score."""
    found: set[str] = set()
    for ann in docs["ann"]:
        for stage, values in ann.items():
            if (stages is None or stage in stages) and isinstance(values, dict):
                found |= {f"{stage}.{k}" for k, v in values.items()
                          if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return sorted(found)


def threshold_sweep(docs: pd.DataFrame, labels: Mapping[str, Mapping[str, Any]], score: str,
                    thresholds: Sequence[float] | None = None, *, direction: str = "min",
                    lang: str | None = None) -> pd.DataFrame:
    """What a threshold on one score alone would do, for each threshold.

    `direction="min"` keeps documents whose score is at least the threshold, `"max"` at most.  Only
    documents that carry the score count (they reached its stage).  Columns: documents kept and
    dropped, documents that would change decision at this stage (`newly_dropped`, `newly_kept`), the
    labelled ones by judgement, how many labelled ones would move, and the rule's precision/recall.
    """
    if direction not in ("min", "max"):
        raise ValueError(f"direction must be 'min' or 'max', got {direction!r}")
    part = docs if lang is None else docs[docs["lang"] == lang]
    values = score_values(part, score)
    part = part.assign(_score=values)[values.notna()]
    if thresholds is None:
        qs = part["_score"].quantile([i / 10 for i in range(11)]) if not part.empty else pd.Series(dtype=float)
        thresholds = sorted({round(float(q), 4) for q in qs})
    stage = score_stage(score)
    now_dropped = (part["rejected_by"] == stage).to_numpy()
    truth = [(_truth(labels[i]["label"]) if i in labels else None) for i in part["id"]]
    bad = pd.Series([t is True for t in truth], index=part.index).to_numpy()
    good = pd.Series([t is False for t in truth], index=part.index).to_numpy()
    rows = []
    for t in thresholds:
        keep = (part["_score"] >= t if direction == "min" else part["_score"] <= t).to_numpy()
        drop = ~keep
        lab = bad | good
        dropped_bad, dropped_good = int((drop & bad).sum()), int((drop & good).sum())
        rows.append({
            "threshold": t, "scored": len(part), "kept": int(keep.sum()), "dropped": int(drop.sum()),
            "share_kept": _ratio(int(keep.sum()), len(part)),
            "newly_dropped": int((drop & ~now_dropped).sum()), "newly_kept": int((keep & now_dropped).sum()),
            "labelled": int(lab.sum()), "good_kept": int((keep & good).sum()), "good_dropped": dropped_good,
            "bad_kept": int((keep & bad).sum()), "bad_dropped": dropped_bad,
            "labelled_moved": int((lab & (drop != now_dropped)).sum()),
            "precision": _ratio(dropped_bad, dropped_bad + dropped_good),
            "recall": _ratio(dropped_bad, int(bad.sum())),
        })
    return pd.DataFrame(rows)


# Scores with a recipe setting that acts on them directly, and which side of it a document must be
# on to stay.  `{lang}` is the language the thresholds are for.
SCORE_SETTINGS: dict[str, tuple[str, str]] = {
    "lang_score": ("langid.min_score", "min"),
    "langid.lang_score": ("langid.min_score", "min"),
    "quality.stop_words": ("quality.thresholds.{lang}.min_stop_words", "min"),
    "quality.n_words": ("quality.thresholds.{lang}.min_doc_words", "min"),
    "quality.avg_word_length": ("quality.thresholds.{lang}.min_avg_word_length", "min"),
    "quality.line_punct_ratio": ("quality.thresholds.{lang}.line_punct_thr", "min"),
    "quality.alpha_words_ratio": ("quality.thresholds.{lang}.max_non_alpha_words_ratio", "min"),
    "quality.dup_line_frac": ("quality.thresholds.{lang}.dup_line_frac", "max"),
    "quality.new_line_ratio": ("quality.thresholds.{lang}.new_line_ratio", "max"),
    "quality.char_dup_ratio": ("quality.thresholds.{lang}.char_duplicates_ratio", "max"),
}


def recipe_fragment(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted recipe keys (`langid.min_score`) -> the nested mapping, checked against the recipe model.

    A key the recipe does not have, or a bad value, raises `RecipeError` naming it, so a fragment that
    is written can be pasted into a recipe as it is.
    """
    from kazcorpus.pipeline.recipe import parse_recipe

    nested: dict[str, Any] = {}
    for key, value in settings.items():
        parts = key.split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    parse_recipe({"inputs": [{"path": "unused"}], "output": "unused", **nested})
    return nested


def write_recipe_fragment(path: str | os.PathLike, settings: Mapping[str, Any], *, comment: str = "") -> Path:
    """Write chosen thresholds as recipe YAML to merge into a recipe."""
    import yaml

    nested = recipe_fragment(settings)
    head = "".join(f"# {line}\n" for line in comment.splitlines()) if comment else ""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + yaml.safe_dump(nested, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------
# Plots (PNG files; matplotlib's object API, so no GUI backend is ever needed)


def _figure(width: float = 8, height: float = 4.5):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _save(fig, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def _empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in this output", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def plot_funnel(manifest: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Documents left after each stage, and how many each stage dropped."""
    fig, ax = _figure()
    rows = manifest.get("funnel", [])
    if not rows:
        _empty(ax, "funnel")
        return _save(fig, path)
    names = [r["stage"] for r in rows]
    left = [r.get("out", 0) for r in rows]
    dropped = [r.get("in", 0) - r.get("out", 0) for r in rows]
    y = range(len(names))
    ax.barh(y, left, color="#15803d", label="left after the stage")
    ax.barh(y, dropped, left=left, color="#fca5a5", label="dropped by the stage")
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.set_xlabel("documents")
    ax.set_title("Funnel: documents through each stage")
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_languages(docs: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Share of each language and script, kept and rejected."""
    fig, ax = _figure()
    if docs.empty:
        _empty(ax, "documents")
        return _save(fig, path)
    key = docs["lang"].fillna("?").astype(str) + "-" + docs["script"].fillna("?").astype(str)
    table = pd.crosstab(key, docs["decision"])
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index][:20]
    share = table / len(docs) * 100
    left = pd.Series(0.0, index=share.index)
    for decision, colour in (("kept", "#15803d"), ("rejected", "#fca5a5")):
        if decision in share:
            ax.barh(share.index, share[decision], left=left, color=colour, label=decision)
            left = left + share[decision]
    ax.invert_yaxis()
    ax.set_xlabel("% of all documents")
    ax.set_title("Languages and scripts")
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_lengths(docs: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Distribution of document length in characters, kept vs rejected (log scale)."""
    fig, ax = _figure()
    lengths = docs[docs["n_chars"] > 0] if not docs.empty else docs
    if lengths.empty:
        _empty(ax, "text")
        return _save(fig, path)
    import numpy as np

    top = max(10, int(lengths["n_chars"].max()))
    bins = np.logspace(0, math.log10(top) + 0.1, 30)
    for decision, colour in (("kept", "#15803d"), ("rejected", "#b91c1c")):
        part = lengths[lengths["decision"] == decision]["n_chars"]
        if not part.empty:
            ax.hist(part, bins=bins, alpha=0.6, color=colour, label=f"{decision} ({len(part)})")
    ax.set_xscale("log")
    ax.set_xlabel("characters per document")
    ax.set_ylabel("documents")
    ax.set_title("Document lengths")
    ax.legend()
    return _save(fig, path)


def plot_domains(docs: pd.DataFrame, path: str | os.PathLike, *, top: int = 15) -> Path:
    """The web sites with most kept documents (and what was dropped from them)."""
    fig, ax = _figure()
    known = docs[docs["domain"].notna()] if not docs.empty else docs
    if known.empty:
        _empty(ax, "URLs")
        return _save(fig, path)
    table = pd.crosstab(known["domain"], known["decision"])
    for col in ("kept", "rejected"):
        if col not in table:
            table[col] = 0
    table = table.sort_values(["kept", "rejected"], ascending=False)[:top]
    ax.barh(table.index, table["kept"], color="#15803d", label="kept")
    ax.barh(table.index, table["rejected"], left=table["kept"], color="#fca5a5", label="rejected")
    ax.invert_yaxis()
    ax.set_xlabel("documents")
    ax.set_title(f"Top {min(top, len(table))} web sites")
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_clusters(docs: pd.DataFrame, path: str | os.PathLike) -> Path:
    """How large near-duplicate groups are: documents per group size."""
    fig, ax = _figure()
    sizes = (pd.to_numeric(docs["cluster_size"], errors="coerce").dropna()
             if "cluster_size" in docs else pd.Series(dtype=float))
    sizes = sizes[sizes > 1]
    if sizes.empty:
        _empty(ax, "near-duplicate groups")
        return _save(fig, path)
    counts = sizes.astype(int).value_counts().sort_index()
    ax.bar(counts.index.astype(str), counts.to_numpy(), color="#1d4ed8")
    ax.set_xlabel("documents in the near-duplicate group")
    ax.set_ylabel("documents")
    ax.set_title("Near-duplicate group sizes")
    return _save(fig, path)


def plot_reasons_by_source(docs: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Why documents were dropped, per source."""
    fig, ax = _figure(9, 5)
    rejected = docs[docs["decision"] == "rejected"] if not docs.empty else docs
    if rejected.empty:
        _empty(ax, "dropped documents")
        return _save(fig, path)
    table = pd.crosstab(rejected["source"].fillna("?"), rejected["reason"].fillna("?"))
    left = pd.Series(0, index=table.index)
    cmap = __import__("matplotlib").colormaps["tab20"]
    for i, reason in enumerate(table.sum().sort_values(ascending=False).index):
        ax.barh(table.index, table[reason], left=left, label=reason, color=cmap(i % 20))
        left = left + table[reason]
    ax.invert_yaxis()
    ax.set_xlabel("dropped documents")
    ax.set_title("Drop reasons per source")
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _save(fig, path)


def plot_sweep(sweep: pd.DataFrame, path: str | os.PathLike, *, score: str = "score") -> Path:
    """Documents kept, and precision/recall on the labels, for each threshold."""
    fig, ax = _figure()
    if sweep.empty:
        _empty(ax, "documents with this score")
        return _save(fig, path)
    ax.plot(sweep["threshold"], sweep["kept"], "o-", color="#15803d", label="documents kept")
    ax.set_xlabel(f"threshold on {score}")
    ax.set_ylabel("documents kept")
    other = ax.twinx()
    other.plot(sweep["threshold"], sweep["precision"], "s--", color="#b91c1c", label="precision (labels)")
    other.plot(sweep["threshold"], sweep["recall"], "^--", color="#1d4ed8", label="recall (labels)")
    other.set_ylim(-0.05, 1.05)
    other.set_ylabel("precision / recall of dropping")
    handles = ax.get_legend_handles_labels()[0] + other.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="best", fontsize="small")
    ax.set_title(f"Threshold on {score}")
    return _save(fig, path)


def save_report(out_dir: str | os.PathLike, report_dir: str | os.PathLike,
                docs: pd.DataFrame | None = None) -> dict[str, Path]:
    """All corpus-report plots as PNG files in `report_dir`."""
    docs = load_docs(out_dir) if docs is None else docs
    report = Path(report_dir)
    return {
        "funnel": plot_funnel(load_manifest(out_dir), report / "funnel.png"),
        "languages": plot_languages(docs, report / "languages.png"),
        "lengths": plot_lengths(docs, report / "lengths.png"),
        "domains": plot_domains(docs, report / "domains.png"),
        "clusters": plot_clusters(docs, report / "clusters.png"),
        "reasons": plot_reasons_by_source(docs, report / "reasons_by_source.png"),
    }
