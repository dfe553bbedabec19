"""Dedup: the normal form, exact keys, and NearDedup in a Beam pipeline (clusters, representatives,
incremental dedup against an earlier release)."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.test_pipeline import TestPipeline as BeamPipeline
from apache_beam.testing.util import assert_that, equal_to
from hypothesis import given, settings
from hypothesis import strategies as st

from kazcorpus.filters.script import dominant_script, repair_homoglyphs, to_cyrillic, turkic_lower
from kazcorpus.pipeline.dedup import (
    DedupConfig,
    NearDedup,
    connected_components,
    exact_key,
    normalize,
    normalize_batch,
    representative_order,
    url_key,
)
from kazcorpus.pipeline.record import Doc, Provenance
from kazcorpus.pipeline.textnorm import KAZAKH_FOLD

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

WORDS = ("ел жер су тау қала ауыл мектеп бала ана әке кітап газет тіл халық заң үкімет жыл күн ай "
         "апта сағат жұмыс оқу білім ғылым өнер музыка ән би спорт ойын жол көлік пойыз ұшақ теңіз "
         "көл өзен орман дала мал егін нан ет сүт шай ас үй есік терезе қалам дәптер сабақ мұғалім "
         "оқушы студент дәрігер ауру дәрі саясат сайлау партия депутат министр президент").split()


def make_doc(doc_id: str, text: str, *, url: str | None = None, date: str | None = None) -> Doc:
    return Doc(id=doc_id, source="test", provenance=Provenance(uri="mem://test", date=date), text=text, url=url)


def random_text(rng: random.Random, n_words: int) -> str:
    sentences = []
    words = [rng.choice(WORDS) for _ in range(n_words)]
    for i in range(0, n_words, 9):
        sentences.append(" ".join(words[i:i + 9]).capitalize() + ".")
    return " ".join(sentences)


def edit(rng: random.Random, text: str, share: float) -> str:
    words = text.split()
    for i in rng.sample(range(len(words)), max(1, int(share * len(words)))):
        words[i] = rng.choice(WORDS)
    return " ".join(words)


def slow_normalize(text: str, kazakh: bool | None = None) -> str:
    """The normal form spelled as the plain composition of the script functions (textnorm's definition)."""
    lines = unicodedata.normalize("NFC", text).splitlines()
    if kazakh is not False:
        scripts = [dominant_script(repair_homoglyphs(ln)) for ln in lines]
        for s in ("Latn", "Arab"):
            idx = [i for i, x in enumerate(scripts) if x == s and (
                kazakh or s == "Arab" or not lines[i].isascii() or "'" in lines[i])]
            if idx:
                done = to_cyrillic("\n".join(lines[i] for i in idx), s).split("\n")
                for i, ln in zip(idx, done, strict=True):
                    lines[i] = ln
    folded = re.sub(r"[\W_]+", " ", repair_homoglyphs(" ".join(lines)))
    lowered = turkic_lower(folded).replace("ς", "σ")
    if kazakh is True:
        lowered = lowered.translate(str.maketrans(KAZAKH_FOLD))
    return " ".join(lowered.split())


# ------------------------------------------------------------------------------------ normal form


def test_normalize_folds_case_punctuation_and_whitespace():
    assert normalize("  Қазақ,  ЕЛІ!\n\tжаңа —  ЖЫЛ... ") == "қазақ елі жаңа жыл"


def test_normalize_repairs_homoglyphs_inside_cyrillic_words():
    # Latin a and i inside Cyrillic words (keyboard layout artefacts).
    assert normalize("Қaзaқ тiлi бiлiм") == normalize("Қазақ тілі білім")
    # A Latin word stays Latin.
    assert "iphone" in normalize("Жаңа iPhone шықты, бағасы қымбат")


def test_normalize_transliterates_latin_and_arabic_kazakh():
    cyr = "Қазақстан Республикасының астанасы Астана қаласы болып табылады"
    lat = "Qazaqstan Respublikasynyñ astanasy Astana qalasy bolyp tabylady"
    assert normalize(lat) == normalize(cyr)
    assert normalize("Мен ағылшын тілін білемін") == normalize("Men ağylşyn tılın bılemın")


def test_normalize_turkic_dotted_i_in_cyrillic_text():
    assert normalize("Қазақстанның ең үлкен қаласы: İnstagram IT") == "қазақстанның ең үлкен қаласы instagram ıt"


ALPHABET = list("аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюяАӘҚІҢ" "aäbcdeğhıİiIjkqlmnñoöprsştuūüvyzABQNO "
                ".,!?-'\n\r\tӊ0123²_ΣςαʼقازاقستانٴەكءÉé\u2028\x1c\x85😀𝐀")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=80), st.sampled_from([None, True, False]))
def test_normalize_equals_plain_composition_of_script_functions(text, kazakh):
    assert normalize(text, kazakh=kazakh) == slow_normalize(text, kazakh)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(ALPHABET), max_size=40), max_size=8),
       st.lists(st.sampled_from([None, True, False]), min_size=8, max_size=8))
def test_batch_normal_forms_equal_one_by_one(texts, modes):
    modes = modes[: len(texts)]
    assert normalize_batch(texts, modes) == [normalize(t, kazakh=m) for t, m in zip(texts, modes, strict=True)]


def test_only_kazakh_text_is_transliterated():
    lat = "Qazaqstan Respublikasynyñ astanasy Astana qalasy"
    cyr = "Қазақстан Республикасының астанасы Астана қаласы"
    assert normalize(lat, kazakh=True) == normalize(cyr, kazakh=True)
    assert normalize(cyr, kazakh=False) == "қазақстан республикасының астанасы астана қаласы"
    assert normalize(lat, kazakh=False) == "qazaqstan respublikasynyñ astanasy astana qalasy"
    # German keeps its letters unless someone says it is Kazakh.
    assert normalize("Die Größe der Straße", kazakh=False) == "die größe der straße"
    # Known Kazakh: even plain-ASCII Latin lines are read as Kazakh; unknown: they are not.
    assert normalize("Astana qalasy", kazakh=True) == "астана қаласы"
    assert normalize("Astana qalasy") == "astana qalasy"


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_normalize_is_single_spaced_words(text):
    # Not idempotent in general: a Latin letter that has no Kazakh reading stays Latin and may be
    # read as a homoglyph on a second pass.  Dedup only ever normalises raw text once.
    n = normalize(text)
    assert n == " ".join(n.split())
    assert not re.search(r"[^\w ]|_", n)


def test_kazakh_fold_joins_what_tote_jazu_blurs():
    # Front and back vowels, й/и and the soft sign: what an Arabic-script copy often gets "wrong".
    assert normalize("Әлемдегі өнер үйі, пьеса", kazakh=True) == normalize("алемдегы онер ұиы, песа", kazakh=True)
    assert normalize("Әлемдегі өнер", kazakh=False) == "әлемдегі өнер"
    assert normalize("ь Ъ", kazakh=True) == ""


def test_turkic_lower_and_final_sigma():
    for s in ["İIiı", "IŞIK İNSAN", "ҚАЗАҚ ТІЛІ", "Ǆ ẞ Σ", "ΟΔΟΣ οδος"]:
        assert normalize(s, kazakh=False) == slow_normalize(s, False)
    assert normalize("ΟΔΟΣ", kazakh=False) == normalize("οδοσ", kazakh=False)


def test_exact_key_reads_kazakh_by_the_documents_language():
    cyr = make_doc("a", "Астана қаласы — елорда.")
    lat = make_doc("b", "Astana qalasy - elorda.")
    lat.lang = cyr.lang = "kk"
    assert exact_key(cyr) == exact_key(lat)
    lat.lang = "en"
    assert exact_key(cyr) != exact_key(lat)


def test_exact_key_is_128_bit_and_script_blind():
    a = make_doc("a", "Қазақстан — ұлы дала елі.")
    b = make_doc("b", "QAZAQSTAN ULY DALA ELI")
    c = make_doc("c", "Қазақстан — ұлы дала елі, әрине.")
    assert len(exact_key(a)) == 32
    assert exact_key(a) == exact_key(make_doc("x", "қазақстан ұлы   дала елі"))
    assert exact_key(a) != exact_key(c)
    assert exact_key(b) == exact_key(make_doc("y", "Qazaqstan: uly dala ELI!"))


def test_url_key():
    assert url_key(make_doc("a", "", url="https://www.Example.kz/news/1/#top")) == "example.kz/news/1"
    assert url_key(make_doc("a", "", url="http://example.kz/news/1")) == "example.kz/news/1"
    assert url_key(make_doc("a", "")) is None


@pytest.mark.skipif(not (DATA / "lid").is_dir(), reason="shared data absent")
def test_normalize_matches_composition_on_real_sentences():
    lines = []
    for name in ("kk_cyrl.txt", "kk_latn.txt", "kk_arab.txt", "ru.txt"):
        lines += (DATA / "lid" / name).read_text(encoding="utf-8").splitlines()[:150]
    docs = ["\n".join(lines[i:i + 7]) for i in range(0, len(lines), 7)]
    for kazakh in (None, True, False):
        assert normalize_batch(docs, kazakh) == [slow_normalize(t, kazakh) for t in docs]


# -------------------------------------------------------------------------------- representatives


def test_representative_order_quality_then_oldest_then_longer_then_id():
    a = make_doc("a", "short", date="2020-01-01")
    b = make_doc("b", "a longer text", date="2021-01-01")
    c = make_doc("c", "a longer text", date="2020-01-01")
    assert sorted([a, b, c], key=representative_order)[0].id == "c"
    b.annotations["quality"] = {"score": 0.9}
    assert sorted([a, b, c], key=representative_order)[0].id == "b"


def test_connected_components_is_order_independent_and_picks_best_rank():
    def m(i, rank):
        return ((1, rank, i), i, False)

    edges = [(m("a", 2), m("b", 1)), (m("b", 1), m("c", 3)), (m("d", 5), m("e", 4))]
    one = dict(connected_components(edges))
    two = dict(connected_components(list(reversed(edges))))
    assert one == two
    assert {k: v["cluster"] for k, v in one.items()} == {"a": "b", "b": "b", "c": "b", "d": "e", "e": "e"}
    assert one["a"]["size"] == 3 and one["d"]["size"] == 2


# ----------------------------------------------------------------------------------- Beam: NearDedup


def _corpus(seed: int = 7):
    rng = random.Random(seed)
    docs, truth = [], {}
    for c in range(6):
        base = random_text(rng, 300)
        docs.append(make_doc(f"c{c}-orig", base, date="2020-01-01"))
        truth[f"c{c}-orig"] = f"c{c}-orig"
        for k in range(2):
            docs.append(make_doc(f"c{c}-copy{k}", edit(rng, base, 0.04), date="2022-01-01"))
            truth[f"c{c}-copy{k}"] = f"c{c}-orig"
    for s in range(6):
        docs.append(make_doc(f"single{s}", random_text(rng, 300)))
        truth[f"single{s}"] = f"single{s}"
    docs.append(make_doc("empty", ""))
    truth["empty"] = "empty"
    return docs, truth


def _summary(d: Doc):
    return d.id, d.minhash_cluster, d.cluster_size, d.reason, (d.annotations.get("near_dedup") or {}).get(
        "duplicate_of")


def _expected(docs, truth):
    sizes = {}
    for rep in truth.values():
        sizes[rep] = sizes.get(rep, 0) + 1
    out = []
    for d in docs:
        rep = truth[d.id]
        dup = rep != d.id
        out.append((d.id, rep, sizes[rep], "near_duplicate" if dup else None, rep if dup else None))
    return out


def _run(docs, config, out_dir):
    with BeamPipeline(runner=FnApiRunner()) as p:
        result = p | beam.Create(docs) | NearDedup(config, out_dir=str(out_dir), work_dir=str(out_dir))
        assert_that(result | beam.Map(_summary), equal_to(_expected(docs, _truth_cache[id(docs)])))


_truth_cache: dict[int, dict] = {}


def test_near_dedup_clusters_light_edits_and_marks_every_document(tmp_path):
    docs, truth = _corpus()
    _truth_cache[id(docs)] = truth
    _run(docs, DedupConfig(), tmp_path)
    files = sorted(p.name for p in (tmp_path / "dedup").glob("index-*.parquet"))
    assert files, "the dedup index was not written"
    ids = set()
    for f in files:
        ids |= set(pq.read_table(tmp_path / "dedup" / f).column("id").to_pylist())
    # Only kept documents are indexed.
    assert ids == {d for d, rep in truth.items() if d == rep and d != "empty"}


def test_near_dedup_assert_helper_fails_on_wrong_truth(tmp_path):
    docs, truth = _corpus()
    wrong = dict(truth)
    wrong["c0-copy0"] = "c0-copy0"  # pretend the copy is unique
    wrong["c0-copy1"] = "c0-orig"
    _truth_cache[id(docs)] = wrong
    with pytest.raises(Exception, match="(?s)c0-copy0"):
        _run(docs, DedupConfig(), tmp_path)


def test_cpu_and_torch_backends_give_identical_band_keys(tmp_path):
    pytest.importorskip("torch")
    from kazcorpus.pipeline.minhash import MinHasher

    docs, _ = _corpus(seed=11)
    texts = [normalize(d.text) for d in docs]
    cpu = MinHasher(ngram=3, bands=20, rows=5, seed=1, backend="cpu")
    tch = MinHasher(ngram=3, bands=20, rows=5, seed=1, backend="torch-cpu")
    s1, s2 = cpu.signatures(texts), tch.signatures(texts)
    assert (s1 == s2).all()
    assert [cpu.band_keys(r) for r in s1] == [tch.band_keys(r) for r in s2]


def test_incremental_dedup_against_an_earlier_release(tmp_path):
    rng = random.Random(3)
    old_texts = [random_text(rng, 250) for _ in range(4)]
    first = [make_doc(f"old{i}", t) for i, t in enumerate(old_texts)]
    release1 = tmp_path / "release1"
    with BeamPipeline(runner=FnApiRunner()) as p:
        _ = p | "r1" >> beam.Create(first) | NearDedup(DedupConfig(), out_dir=str(release1))
    assert list((release1 / "dedup").glob("index-*.parquet"))

    second = [
        make_doc("same", old_texts[0]),  # exact copy of an earlier document
        make_doc("edited", edit(rng, old_texts[1], 0.03)),  # near copy
        make_doc("new", random_text(rng, 250)),  # new
    ]
    config = DedupConfig(against=[str(release1)])
    with BeamPipeline(runner=FnApiRunner()) as p:
        result = p | "r2" >> beam.Create(second) | NearDedup(config, out_dir=str(tmp_path / "release2"))
        assert_that(result | beam.Map(_summary), equal_to([
            ("same", "old0", 1, "duplicate_of_earlier_release", "old0"),
            ("edited", "old1", 1, "duplicate_of_earlier_release", "old1"),
            ("new", "new", 1, None, None),
        ]))
    # The second release indexes only what it added.
    ids = set()
    for f in (tmp_path / "release2" / "dedup").glob("index-*.parquet"):
        ids |= set(pq.read_table(f).column("id").to_pylist())
    assert ids == {"new"}


def test_against_a_folder_without_index_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no dedup index"):
        with BeamPipeline(runner=FnApiRunner()) as p:
            _ = p | beam.Create([make_doc("a", "x y z")]) | NearDedup(
                DedupConfig(against=[str(tmp_path)]), out_dir=str(tmp_path / "o"))


def test_index_files_are_deterministic(tmp_path):
    docs, _ = _corpus(seed=5)
    for run in ("a", "b"):
        with BeamPipeline(runner=FnApiRunner()) as p:
            _ = p | beam.Create(list(reversed(docs)) if run == "b" else docs) | NearDedup(
                DedupConfig(), out_dir=str(tmp_path / run))
    names_a = sorted(p.name for p in (tmp_path / "a" / "dedup").iterdir())
    names_b = sorted(p.name for p in (tmp_path / "b" / "dedup").iterdir())
    assert names_a == names_b
    for n in names_a:
        assert (tmp_path / "a" / "dedup" / n).read_bytes() == (tmp_path / "b" / "dedup" / n).read_bytes()
