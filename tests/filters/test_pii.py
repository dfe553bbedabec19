"""PII stage: Kazakhstan identifiers, phones, e-mail, IBAN, cards, IPs; redaction and spans."""

import datetime
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kazcorpus.filters.pii import (
    PiiConfig,
    PiiOperator,
    config_keys,
    detect,
    iban_ok,
    iin_birth_date_ok,
    iin_check_digit,
    iin_checksum_ok,
    luhn_ok,
    possible_kinds,
)
from kazcorpus.pipeline.record import Doc, Provenance


def make_iin(rng, century_digit=None):
    while True:
        day = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(25000))
        c = century_digit or (rng.choice("34") if day.year < 2000 else rng.choice("56"))
        first = f"{day:%y%m%d}{c}{rng.randrange(10000):04d}"
        check = iin_check_digit(first)
        if check is not None:
            return first + str(check)


def make_card(rng, prefix="4", length=16):
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    raise AssertionError


def make_iban(rng):
    bban = "".join(str(rng.randrange(10)) for _ in range(16))
    for check in range(100):
        cand = f"KZ{check:02d}{bban}"
        if iban_ok(cand):
            return cand
    raise AssertionError


def run(text, **cfg):
    op = PiiOperator(config=PiiConfig(**cfg))
    doc = Doc(id="d", source="t", provenance=Provenance(uri="mem"), text=text)
    op.annotate(doc)
    return doc, op.decide(doc)


def kinds(text):
    return [(s.kind, text[s.start:s.end]) for s in detect(text)]


def test_iin_checksum_uses_the_second_weights_when_the_first_gives_ten():
    assert iin_checksum_ok("009900000008") and iin_checksum_ok("700140000019")
    assert not iin_checksum_ok("700140000018")
    rng = random.Random(0)
    second_pass = 0
    for _ in range(300):
        iin = make_iin(rng)
        assert iin_checksum_ok(iin)
        d = [int(c) for c in iin]
        if sum(a * b for a, b in zip(d, range(1, 12), strict=False)) % 11 == 10:
            second_pass += 1
    assert second_pass > 0  # the generator did exercise the second weight set


def test_birth_date_and_century_digit():
    assert iin_birth_date_ok("880101300128")
    assert not iin_birth_date_ok("881301300128")  # month 13
    assert not iin_birth_date_ok("880101700128")  # century digit 7
    assert not iin_birth_date_ok("000229300128")  # 1900 was not a leap year
    assert iin_birth_date_ok("000229500128")  # 2000 was


def test_valid_iin_is_redacted_with_spans_over_the_input():
    iin = make_iin(random.Random(1))
    text = f"Менің ЖСН: {iin}, рақмет."
    doc, reason = run(text)
    assert doc.text == "Менің ЖСН: <IIN>, рақмет."
    (item,) = doc.annotations["pii"]["pii"]
    assert item["kind"] == "IIN" and text[item["start"]:item["end"]] == iin
    assert doc.annotations["pii"]["counts"] == {"IIN": 1}
    assert reason is None


def test_bin_needs_a_context_word():
    bin_ = "700140000019"  # checksum ok, no birth date (a company)
    assert kinds(f"Заказ {bin_} жіберілді") == []
    assert kinds(f"БСН {bin_}") == [("IIN", bin_)]
    assert kinds(f"БИН: {bin_}") == [("IIN", bin_)]


def test_numbers_failing_a_check_stay():
    rng = random.Random(2)
    iin = make_iin(rng)
    wrong = iin[:11] + str((int(iin[11]) + 1) % 10)
    text = (
        f"Тапсырыс № {wrong}, бағасы 15 000 тг, 2024-03-12 күні, ISBN 978-601-7000-10-5, "
        f"ISBN 9786017000105, тел. 123-45-67, артикул 4000000000000001, 12.03.2024, 3.14.15.9265"
    )
    assert kinds(text) == []


def test_random_checksum_valid_numbers_without_date_or_context_stay():
    rng = random.Random(3)
    kept = 0
    for _ in range(200):
        first = f"{rng.randrange(10**11):011d}"
        check = iin_check_digit(first)
        if check is None:
            continue
        num = first + str(check)
        if not iin_birth_date_ok(num):
            assert kinds(f"Нөмір {num} тіркелді") == []
            kept += 1
    assert kept > 100


@pytest.mark.parametrize(
    "phone",
    [
        "+7 (701) 123-45-67",
        "+77011234567",
        "8 701 123 45 67",
        "87771234567",
        "8 (7172) 55-66-77",
        "+7 727 222 33 44",
        "+7 916 123-45-67",
        "8 (916) 123-45-67",
        "7 747 123 45 67",
    ],
)
def test_phones(phone):
    assert kinds(f"Хабарласыңыз: {phone}, рахмет") == [("PHONE", phone)]


@pytest.mark.parametrize("not_phone", ["89161234567", "8 123 456 78 90", "7 123 456 78 90", "2 701 123 45 67"])
def test_numbers_that_are_not_kazakh_or_plus7_phones_stay(not_phone):
    assert kinds(f"Нөмір {not_phone} бар") == []


def test_email_iban_card_ip():
    rng = random.Random(4)
    iban, card = make_iban(rng), make_card(rng)
    spaced_card = " ".join(card[i:i + 4] for i in range(0, 16, 4))
    spaced_iban = " ".join(iban[i:i + 4] for i in range(0, 20, 4))
    text = (f"Почта: aigerim.n@mail.kz; шот {spaced_iban} және {iban}; карта {spaced_card}; "
            f"2023 жылы {card}; IP 192.168.10.4 және 2001:db8::7334.")
    assert kinds(text) == [
        ("EMAIL", "aigerim.n@mail.kz"), ("IBAN", spaced_iban), ("IBAN", iban), ("CARD", spaced_card),
        ("CARD", card), ("IP", "192.168.10.4"), ("IP", "2001:db8::7334"),
    ]


def test_bad_iban_card_and_version_numbers_stay():
    rng = random.Random(5)
    iban, card = make_iban(rng), make_card(rng)
    bad_iban = iban[:-1] + str((int(iban[-1]) + 1) % 10)
    bad_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert kinds(f"{bad_iban} {bad_card} нұсқа 1.2.3.4 версия 10.0.0.1 уақыт 12:30:45 999.1.1.1") == []


def test_card_with_a_non_card_first_digit_stays():
    rng = random.Random(6)
    assert kinds(make_card(rng, prefix="9")) == []


def test_overlaps_keep_the_earlier_kind_only():
    rng = random.Random(7)
    iin = make_iin(rng)
    text = f"{iin}@mail.kz"
    assert kinds(text) == [("EMAIL", text)]


def test_kinds_can_be_switched_off():
    doc, _ = run("a@b.kz 192.168.0.1", kinds=["IP"])
    assert doc.text == "a@b.kz <IP>"


def test_never_drops_unless_a_threshold_says_so():
    text = " ".join(f"+7 701 {i:03d} 45 67" for i in range(50))
    assert run(text)[1] is None
    assert run(text, max_items=10)[1] == "too_much_pii"
    assert run(text, max_items_per_1000_chars=5.0)[1] == "too_much_pii"
    assert run("+7 701 123 45 67 " + "сөз " * 400, max_items_per_1000_chars=5.0)[1] is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["iin", "phone", "email", "card", "iban", "word"]), min_size=1, max_size=12),
       st.randoms(use_true_random=False))
def test_redacted_text_holds_no_detected_value_and_spans_are_exact(parts, rnd):
    rng = random.Random(rnd.random())
    make = {
        "iin": lambda: "ЖСН " + make_iin(rng),
        "phone": lambda: f"+7 70{rng.randrange(10)} {rng.randrange(1000):03d} {rng.randrange(100):02d} {rng.randrange(100):02d}",
        "email": lambda: f"user{rng.randrange(999)}@example.kz",
        "card": lambda: make_card(rng),
        "iban": lambda: make_iban(rng),
        "word": lambda: rng.choice(["сөз", "мәтін", "және", "цена 100"]),
    }
    text = " , ".join(make[p]() for p in parts)
    doc, _ = run(text)
    items = doc.annotations["pii"]["pii"]
    assert len(items) == sum(p != "word" for p in parts)
    for item in items:
        assert text[item["start"]:item["end"]] not in doc.text


def test_config_keys_are_documented():
    assert set(config_keys()) >= {"pii.kinds", "pii.max_items", "pii.context_chars"}


# --- pre-checks: `possible_kinds` may only skip finders that would find nothing ---------------------


def _fragments(rng):
    """Pieces of text around the edges of every finder: valid items in several layouts, near misses,
    non-ASCII digits and separators, and noise that the pre-checks look for."""
    iin, card, iban = make_iin(rng), make_card(rng, prefix=rng.choice("23456")), make_iban(rng)
    d = lambda n: "".join(str(rng.randrange(10)) for _ in range(n))  # noqa: E731
    return [
        iin, "ЖСН " + iin, "БИН:" + d(12), d(rng.randrange(9, 14)), iin.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
        card, " ".join(card[i:i + 4] for i in range(0, 16, 4)), "-".join(card[i:i + 4] for i in range(0, 16, 4)),
        "978" + d(10), "ISBN " + card,
        iban, iban.lower(), " ".join(iban[i:i + 4] for i in range(0, 20, 4)), "KZ" + d(2), "\u212az" + d(18),
        f"+7 70{d(1)} {d(3)} {d(2)} {d(2)}", f"8 ( 727 ) {d(3)} {d(2)} {d(2)}", f"8 (7172) {d(2)}-{d(2)}-{d(2)}",
        f"+7 (9{d(2)}) {d(3)}-{d(2)}-{d(2)}", f"8 9{d(2)} {d(3)} {d(2)} {d(2)}", "7" + d(10), "8" + d(10),
        f"7\u00a0701\u00a0{d(3)}\u00a0{d(4)}", f"+7 7{d(2)} ٣{d(2)} {d(2)} {d(2)}",
        f"user{d(2)}@mail.kz", "@", "a@b", "x.y+z@sub.example.com",
        ".".join(str(rng.randrange(256)) for _ in range(4)), "версия 1.2.3.4", "1.2.3", "10.0.0.1.5",
        "::1", "fe80::" + d(2), ":".join(f"{rng.randrange(65536):x}" for _ in range(8)), "12:30:45", "a:b:c:d:e:f:a",
        "сөз", "мәтін", "Цена", "2023", "12.05.2023", "+", "-", "(", ")", ".", ":", "№",
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=14),
       st.lists(st.sampled_from(["", " ", "  ", "-", ".", ", ", "\n", "(", ")", "\u00a0", "/", ":"]), min_size=14,
                max_size=14))
def test_detect_with_pre_checks_equals_every_finder_run(picks, seps):
    rng = random.Random(picks[0])
    frags = _fragments(rng)
    text = "".join(frags[p % len(frags)] + sep for p, sep in zip(picks, seps, strict=False))
    assert detect(text) == detect(text, precheck=False)
    # Each kind found by the full run is one the pre-checks let through.
    assert {s.kind for s in detect(text, precheck=False)} <= possible_kinds(text)


@pytest.mark.parametrize("text, kind", [
    ("8 ( 727 ) 123 45 67", "PHONE"),  # 3 characters between two digits, twice
    ("+7 701 123 45 67", "PHONE"),
    (make_iban(random.Random(8)).lower(), "IBAN"),
    ("fe80::1", "IP"),
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IP"),
    ("1.2.3.4", "IP"),
    ("a@b.kz", "EMAIL"),
    (make_iin(random.Random(9)), "IIN"),
    (" ".join(make_card(random.Random(10))[i:i + 4] for i in range(0, 16, 4)), "CARD"),
])
def test_pre_checks_let_the_tightest_cases_through(text, kind):
    assert kind in possible_kinds(text)
    assert [s.kind for s in detect(text)] == [kind]


def test_pre_checks_rule_out_kinds_on_plain_text():
    assert possible_kinds("Бүгін ауа райы жылы, 2024 жылғы 12.05 күні 15:30-да.") == set()


def test_only_z_and_capital_z_match_z_without_case():
    every = "".join(map(chr, range(0x110000)))
    assert sorted(set(re.findall("(?i)z", every))) == ["Z", "z"]
