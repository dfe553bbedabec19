"""Host boilerplate: lines recurring on enough pages of one host are removed and counted."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.test_pipeline import TestPipeline as BeamPipeline
from apache_beam.testing.util import assert_that, equal_to

from kazcorpus.pipeline.boilerplate import HostBoilerplate, host_key, line_hash, remove_lines
from kazcorpus.pipeline.dedup import BoilerplateConfig
from kazcorpus.pipeline.record import Doc, Provenance

MENU = "Басты бет | Жаңалықтар | Байланыс"
FOOTER = "© 2024 Example.kz. Барлық құқықтар қорғалған."


def page(i: int, body: str, *, url: str | None = None, source: str = "news", rejected: bool = False) -> Doc:
    d = Doc(id=f"p{i}", source=source, provenance=Provenance(uri="mem://"), text=body, url=url)
    if rejected:
        d.drop("langid", "lang_not_kept")
    return d


def run(docs, config, expected):
    with BeamPipeline(runner=FnApiRunner()) as p:
        result = p | beam.Create(docs) | HostBoilerplate(config)
        rows = result | beam.Map(
            lambda d: (d.id, d.text, (d.annotations.get("boilerplate") or {}).get("removed_lines")))
        assert_that(rows, equal_to(expected))


def test_host_key():
    assert host_key(page(1, "", url="https://www.Example.kz/a")) == "host:example.kz"
    assert host_key(page(1, "", url=None, source="books")) == "source:books"


def test_remove_lines_counts():
    d = remove_lines(page(1, f"{MENU}\nМәтін.\n{FOOTER}\n"), {line_hash(MENU)})
    assert d.text == f"Мәтін.\n{FOOTER}"
    assert d.annotations["boilerplate"] == {"removed_lines": 1}


def test_host_boilerplate_removes_recurring_lines_per_host_only():
    site = [page(i, f"{MENU}\nМақала нөмірі {i} туралы мәтін.\n{FOOTER}", url=f"https://example.kz/{i}")
            for i in range(4)]
    # Another host with the same menu on only 2 pages: below min_docs=3, kept.
    other = [page(10 + i, f"{MENU}\nБасқа сайттың мәтіні {i}.", url=f"https://other.kz/{i}") for i in range(2)]
    # Already rejected pages pass through untouched (no annotation).
    dropped = page(20, f"{MENU}\nБас тартылған.\n{FOOTER}", url="https://example.kz/x", rejected=True)
    # Pages without URL are grouped by source.
    books = [page(30 + i, f"Кітап {i}\nКітапхана сериясы", source="books") for i in range(3)]
    docs = site + other + [dropped] + books
    expected = (
        [(f"p{i}", f"Мақала нөмірі {i} туралы мәтін.", 2) for i in range(4)]
        + [(f"p{10 + i}", f"{MENU}\nБасқа сайттың мәтіні {i}.", 0) for i in range(2)]
        + [("p20", dropped.text, None)]
        + [(f"p{30 + i}", f"Кітап {i}", 1) for i in range(3)]
    )
    run(docs, BoilerplateConfig(min_docs=3, min_share=0.3), expected)


def test_min_share_keeps_lines_of_a_minority_of_pages():
    # A line on 3 of 12 pages is under min_share=0.5.
    docs = [page(i, f"Бет {i}\n" + ("Сирек жол" if i < 3 else "Басқа жол " + str(i)), url=f"https://a.kz/{i}")
            for i in range(12)]
    expected = (
[(d.id, d.text, 0) for d in docs])
    run(docs, BoilerplateConfig(min_docs=3, min_share=0.5), expected)


def test_expectation_helper_fails_on_wrong_expectation():
    import pytest

    docs = [page(i, f"{MENU}\nМәтін {i}", url=f"https://a.kz/{i}") for i in range(3)]
    expected = (
[(d.id, d.text, 0) for d in docs])  # wrong: the menu is boilerplate
    with pytest.raises(Exception, match="(?s)p0"):
        run(docs, BoilerplateConfig(min_docs=3, min_share=0.3), expected)
