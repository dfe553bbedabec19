"""PII detection: kazcorpus `filters/pii.py` side by side with `airlock-pii` (PyPI), the one public
Kazakhstan PII detector, on generated test cases.

Cases (seeded, generated here; no real personal data):
* positives: sentences in Kazakh and Russian holding valid IINs (with and without a context word),
  BINs after БСН/БИН, KZ IBANs (plain and grouped), Luhn-valid cards (grouped and plain),
  KZ mobile and city phones in several formats, +7 Russian phones, e-mails, IPv4/IPv6;
* negatives: numbers that must stay: order numbers, checksum-valid 12-digit numbers without a
  birth date or context, IINs with a wrong check digit, prices, dates, ISBN-13s, bad IBANs and
  cards, version numbers, times.

Recall = found positives (span overlap, kind-agnostic and kind-exact) / positives.  False
redactions = items found inside negative sentences.  Throughput = MB/s of UTF-8 on ~5 kB
documents made of the same sentences.  IPs are reported apart: airlock-pii does not detect them.

Run:  .venv/bin/python benchmarks/pii_bench.py [--n 400]
"""

from __future__ import annotations

import argparse
import datetime
import random
import time

from kazcorpus.filters.pii import detect, iban_ok, iin_check_digit, luhn_ok


def make_iin(rng):
    while True:
        day = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(30000))
        c = rng.choice("34") if day.year < 2000 else rng.choice("56")
        first = f"{day:%y%m%d}{c}{rng.randrange(10000):04d}"
        check = iin_check_digit(first)
        if check is not None:
            return first + str(check)


def make_bin(rng):
    while True:
        first = f"{rng.randrange(100):02d}{rng.randrange(1, 13):02d}4{rng.choice('0123')}{rng.randrange(100000):05d}"
        check = iin_check_digit(first)
        if check is not None:
            return first + str(check)


def make_card(rng):
    prefix = rng.choice(["4", "51", "55", "2200", "2202"])
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def make_iban(rng):
    bban = f"{rng.randrange(100, 999)}" + "".join(str(rng.randrange(10)) for _ in range(13))
    return next(f"KZ{c:02d}{bban}" for c in range(100) if iban_ok(f"KZ{c:02d}{bban}"))


def group4(s):
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4))


def phone(rng):
    mob = rng.choice(["701", "702", "705", "707", "747", "771", "775", "777", "778"])
    a, b, c = rng.randrange(1000), rng.randrange(100), rng.randrange(100)
    return rng.choice(
        [
            f"+7 ({mob}) {a:03d}-{b:02d}-{c:02d}",
            f"+7{mob}{a:03d}{b:02d}{c:02d}",
            f"8 {mob} {a:03d} {b:02d} {c:02d}",
            f"8{mob}{a:03d}{b:02d}{c:02d}",
            f"8 (7172) {a % 100:02d}-{b:02d}-{c:02d}",
            f"+7 727 {a:03d} {b:02d} {c:02d}",
            f"+7 916 {a:03d}-{b:02d}-{c:02d}",
        ]
    )


def positives(rng, n):
    out = []
    for _ in range(n):
        kind = rng.choice(["IIN", "IIN_ctx", "BIN", "IBAN", "CARD", "PHONE", "EMAIL", "IP"])
        if kind == "IIN":
            v, k, s = make_iin(rng), "IIN", "Азамат {} туралы анықтама алды."
        elif kind == "IIN_ctx":
            v, k, s = make_iin(rng), "IIN", rng.choice(["ЖСН: {} көрсетілген.", "Мой ИИН {}, проверьте."])
        elif kind == "BIN":
            v, k, s = make_bin(rng), "IIN", rng.choice(["Серіктестік БСН {} тіркелген.", "ТОО, БИН {}."])
        elif kind == "IBAN":
            v = make_iban(rng)
            v, k, s = rng.choice([v, group4(v)]), "IBAN", "Переведите на счёт {} до пятницы."
        elif kind == "CARD":
            v = make_card(rng)
            v, k, s = rng.choice([v, group4(v)]), "CARD", "Карта нөмірі {} болып табылады."
        elif kind == "PHONE":
            v, k, s = phone(rng), "PHONE", rng.choice(["Телефон: {}, звоните.", "Хабарласу үшін {} нөміріне."])
        elif kind == "EMAIL":
            v = f"{rng.choice(['aigerim', 'nurlan.b', 'info', 'a_serik'])}{rng.randrange(99)}@{rng.choice(['mail.kz', 'gmail.com', 'gov.kz'])}"
            k, s = "EMAIL", "Пишите на {} в любое время."
        else:
            v = rng.choice([f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}", f"2001:db8::{rng.randrange(65535):x}"])
            k, s = "IP", "Сервер {} жауап бермеді."
        text = s.format(v)
        start = text.index(v)
        out.append((text, k, start, start + len(v)))
    return out


def negatives(rng, n):
    out = []
    for _ in range(n):
        kind = rng.randrange(8)
        if kind == 0:
            v = f"Тапсырыс № {rng.randrange(10**11, 10**12)} қабылданды."
        elif kind == 1:
            while True:
                first = f"{rng.randrange(10**11):011d}"
                c = iin_check_digit(first)
                num = first + str(c) if c is not None else ""
                if num and (int(num[2:4]) > 12 or num[6] in "0789"):
                    break
            v = f"Жөнелтім коды {num} жазылды."
        elif kind == 2:
            iin = make_iin(rng)
            v = f"Номер {iin[:11]}{(int(iin[11]) + 1) % 10} не подходит."
        elif kind == 3:
            v = f"Бағасы {rng.randrange(1, 999)} {rng.randrange(1000):03d} теңге, {rng.randrange(1, 28):02d}.{rng.randrange(1, 12):02d}.2024 дейін."
        elif kind == 4:
            v = f"ISBN 978-601-{rng.randrange(1000, 9999)}-{rng.randrange(10, 99)}-{rng.randrange(10)} кітабы."
        elif kind == 5:
            iban = make_iban(rng)
            v = f"Счёт {iban[:-1]}{(int(iban[-1]) + 1) % 10} неверный."
        elif kind == 6:
            card = make_card(rng)
            v = f"Карта {group4(card[:-1] + str((int(card[-1]) + 1) % 10))} жарамсыз."
        else:
            v = f"Нұсқа 1.{rng.randrange(9)}.{rng.randrange(9)}.{rng.randrange(9)}, уақыт {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}."
        out.append(v)
    return out


def ours(text):
    return [(s.kind, s.start, s.end) for s in detect(text)]


def airlock_detector():
    try:
        import airlock_pii
    except ImportError as exc:
        print(f"airlock-pii: not importable ({exc}); pip install airlock-pii")
        return None
    kind = {"IIN": "IIN", "BIN": "IIN", "KZ_IBAN": "IBAN", "CARD": "CARD", "PHONE": "PHONE", "EMAIL": "EMAIL"}
    wanted = ["IIN", "BIN", "KZ_IBAN", "CARD", "PHONE", "EMAIL"]  # names and secrets are out of scope

    def run(text):
        return [(kind[str(e.type)], e.start, e.end) for e in airlock_pii.detect(text, types=wanted)]

    return run


def score(name, fn, pos, neg, docs):
    found_any = found_exact = 0
    per_kind: dict[str, list[int]] = {}
    for text, k, a, b in pos:
        hits = [h for h in fn(text) if h[1] < b and a < h[2]]
        ok_any = bool(hits)
        ok_exact = any(h[0] == k and h[1] == a and h[2] == b for h in hits)
        found_any += ok_any
        found_exact += ok_exact
        per_kind.setdefault(k, [0, 0])
        per_kind[k][0] += ok_exact
        per_kind[k][1] += 1
    false = sum(len(fn(t)) for t in neg)
    false_docs = sum(bool(fn(t)) for t in neg)
    size = sum(len(d.encode()) for d in docs)
    t0 = time.perf_counter()
    for d in docs:
        fn(d)
    dt = time.perf_counter() - t0
    mbps = size / dt / 1e6
    no_ip = [p for p in pos if p[1] != "IP"]
    found_no_ip = sum(any(h[1] < b and a < h[2] for h in fn(t)) for t, k, a, b in no_ip)
    print(f"\n{name}")
    print(f"  recall (overlap, all kinds)   {found_any / len(pos):.3f}   ({found_any}/{len(pos)})")
    print(f"  recall (overlap, without IP)  {found_no_ip / len(no_ip):.3f}")
    print(f"  recall (exact span and kind)  {found_exact / len(pos):.3f}")
    print("  per kind (exact):             " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(per_kind.items())))
    print(f"  false redactions              {false} items in {false_docs}/{len(neg)} negative sentences")
    print(f"  throughput                    {mbps:.2f} MB/s ({len(docs)} docs, {size / 1e6:.2f} MB)")
    return mbps


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400, help="positive and negative sentences each")
    args = ap.parse_args()
    rng = random.Random(42)
    pos, neg = positives(rng, args.n), negatives(rng, args.n)
    sentences = [p[0] for p in pos] + neg
    filler = "Қазақстан экономикасы биыл тұрақты өсті, бұл туралы министрлік хабарлады. "
    docs = []
    for i in range(0, len(sentences), 6):
        body = " ".join(sentences[i : i + 6])
        docs.append((body + " " + filler * max(0, (5000 - len(body)) // len(filler)))[:5200])
    ours_mbps = score("kazcorpus filters/pii.py", ours, pos, neg, docs)
    other = airlock_detector()
    if other is not None:
        theirs = score("airlock-pii " + _version(), other, pos, neg, docs)
        print(f"\nthroughput ratio kazcorpus / airlock-pii: {ours_mbps / theirs:.2f}x")


def _version():
    from importlib.metadata import version

    return version("airlock-pii")


if __name__ == "__main__":
    main()
