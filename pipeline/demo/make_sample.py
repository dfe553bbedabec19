"""Generate the bundled demo sample: a gzipped WARC, a tiny MediaWiki dump and a JSONL file.

All text here was written for kazcorpus (no third-party text).  Pages are assembled from sentence
pools with a fixed seed, so the output is deterministic: `python -m kazcorpus.pipeline.demo.make_sample`
rewrites the same bytes.  The sample exercises every stage: Kazakh in Cyrillic and Latin script,
Russian, English, mixed kk/ru, menus and footers, exact and near duplicates, PII, obscenity, and a
broken record at the end of the WARC.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

KK = [
    "Қазақстан Республикасы Орталық Азияда орналасқан үлкен мемлекет.",
    "Елордамыз Астана қаласы жыл сайын көркейіп, жаңа ғимараттар салынуда.",
    "Алматы тауларының етегінде орналасқан әсем қала болып саналады.",
    "Биыл көктем ерте келіп, егіншілер жерді ерте жыртуға кірісті.",
    "Мектеп оқушылары ғылыми жобалар байқауына белсене қатысты.",
    "Ұлттық кітапхананың қорында мыңдаған сирек қолжазбалар сақталған.",
    "Дала тұрғындары ежелден мал шаруашылығымен айналысып келеді.",
    "Қазақ тілі түркі тілдерінің қыпшақ тобына жатады.",
    "Ауыл мұғалімдері балаларға ана тілін сүйіп оқуды үйретеді.",
    "Жастар ұйымы қала көшелерін абаттандыру жұмысына атсалысты.",
    "Ғалымдар Арал теңізінің экологиялық жағдайын зерттеп жатыр.",
    "Наурыз мейрамында халық көже дайындап, бір-бірін құттықтайды.",
    "Домбыраның үні қазақ халқының жан дүниесін бейнелейді.",
    "Облыс әкімдігі жаңа аурухана құрылысын аяқтауды жоспарлап отыр.",
    "Университет студенттері шетелдік серіктестермен тәжірибе алмасты.",
    "Теміржол вокзалы жөндеуден кейін жолаушыларға қайта ашылды.",
    "Ақын өлеңдерінде туған жердің табиғатын шабыттана жырлаған.",
    "Кеше кешке қалада қатты жаңбыр жауып, көшелерде су жиналды.",
    "Фермерлер биылғы астықтың мол болатынына сенім білдіреді.",
    "Мұражайда көшпелілер өркениетіне арналған көрме ашылды.",
    "Балалар саябағында жаңа ойын алаңы пайдалануға берілді.",
    "Спортшыларымыз халықаралық жарыста үш алтын медаль жеңіп алды.",
    "Отбасындағы үлкендерді құрметтеу қазақ дәстүрінің негізі болып табылады.",
    "Шопандар қыстаудан жайлауға көшуге дайындалып жатыр.",
    "Жаңа оқулықтар мектептерге оқу жылының басында жеткізіледі.",
    "Сарапшылар ел экономикасының өсу қарқынын талдап берді.",
    "Тарихшылар ежелгі қалашықтың орнынан құнды олжалар тапты.",
    "Кітап оқу мәдениетін дамыту үшін жаңа жоба іске қосылды.",
    "Қала тұрғындары қоғамдық көліктің жұмысына көңілі толатынын айтты.",
    "Ауа райы синоптиктерінің болжамы бойынша аптаның соңында күн жылынады.",
    "Ұстаздар күні қарсаңында үздік мұғалімдер марапатталды.",
    "Өзен жағасында жаңа серуен жолы салынып, тұрғындар қуанып қалды.",
    "Жергілікті кәсіпкерлер шағын бизнесті қолдау бағдарламасына қатысты.",
    "Бұл жоба ауыл тұрғындарының өмір сапасын жақсартуға бағытталған.",
    "Әжелер немерелеріне ертегі айтып, ұлттық құндылықтарды дәріптейді.",
    "Тау шаңғысы базасы маусымды ресми түрде ашты.",
    "Жазушының жаңа романы оқырмандар арасында үлкен қызығушылық тудырды.",
    "Медициналық орталық тегін тексеруден өтуге шақырады.",
    "Қысқы демалыс кезінде балалар үшін түрлі үйірмелер жұмыс істейді.",
    "Мемлекеттік тілді дамыту бағдарламасы жаңа кезеңге өтті.",
    "Көктемгі су тасқынының алдын алу үшін құтқарушылар кезекшілік ұйымдастырды.",
    "Ақмола облысында жаңа мектептің іргетасы қаланды.",
    "Халық әншісінің шығармашылық кеші филармонияда өтті.",
    "Жол полициясы қысқы жолдарда сақ болуды ескертеді.",
    "Ауыл шаруашылығы министрлігі суармалы жерлерді кеңейтуді ұсынды.",
    "Балқаш көлінің жағалауында туристер саны артып келеді.",
    "Қарағанды шахтерлері кәсіби мерекесін атап өтті.",
    "Жас ғалымдарға арналған гранттар конкурсы жарияланды.",
    "Емханаларда маусымдық тұмауға қарсы екпе жасау басталды.",
    "Түркістан қаласындағы кесене жыл бойы қонақтарды қабылдайды.",
    "Оқушылар жазғы демалыста лагерьлерде тынығады.",
    "Жаңа бағдарлама шағын қалалардың инфрақұрылымын жаңартуды көздейді.",
    "Ертіс өзенінің бойында балық аулау маусымы ашылды.",
    "Ел азаматтары сайлауда белсенділік танытты.",
    "Кітапханашылар балаларға арналған оқу сағатын ұйымдастырды.",
    "Қостанай облысының диқандары күздік бидайды жинап болды.",
    "Ғарыш айлағынан кезекті зымыран сәтті ұшырылды.",
    "Мәдениет үйінде ұлттық киім көрмесі жұмыс істеп тұр.",
    "Маңғыстау түбегінің жер асты мешіттері тарихи ескерткіш саналады.",
    "Студенттер жатақханасы жаңа жиһазбен жабдықталды.",
    "Қалалық ауруханаға заманауи құрал-жабдықтар әкелінді.",
    "Шекара маңындағы ауылдарға интернет желісі тартылды.",
    "Жастар театры жаңа маусымды классикалық қойылыммен ашты.",
    "Ауылдағы ақсақалдар жастарға өнеге болатын әңгімелер айтты.",
    "Павлодар кәсіпорындары өнім көлемін арттырды.",
    "Жетісу өңірінде алма бағының өнімі мол болды.",
    "Зерттеушілер ақбөкен санының өскенін хабарлады.",
    "Қысқы Олимпиада ойындарына дайындық жүріп жатыр.",
    "Ата-аналар мектептегі тамақтандыру сапасын тексерді.",
    "Жергілікті мұражай қорын ауыл тұрғындары сыйлаған бұйымдар толықтырды.",
    "Экологтар қалада ағаш отырғызу акциясын өткізді.",
    "Қазақ хандығының тарихына арналған ғылыми конференция өтті.",
    "Жаңа автобус бағыттары шеткі аудандарды орталықпен байланыстырады.",
    "Тіл курстарына ересектер де жазылып жатыр.",
    "Жеңіл атлетикадан республикалық чемпионат аяқталды.",
    "Астанадағы ботаникалық бақта сирек өсімдіктер гүлдеді.",
    "Кәсіптік колледж түлектері зауыттарға жұмысқа орналасты.",
    "Ауыл әкімі тұрғындармен кездесіп, өтініштерін тыңдады.",
    "Қыста жылу беру маусымы кестеге сай басталды.",
    "Ақтөбе қаласында жаңа спорт кешені ашылды.",
]

# Sentences rich in function words (және, бұл, үшін, бірақ...), as running Kazakh prose is.
LINKS = [
    "Бұл туралы облыс әкімдігінің баспасөз қызметі хабарлады.",
    "Сонымен қатар, бұл мәселе бойынша әлі де көп жұмыс істеу керек.",
    "Алайда мамандар мен тұрғындар бұл шешімге әртүрлі баға береді.",
    "Осы жоба үшін жергілікті бюджеттен қаржы бөлінді және жұмыс басталды.",
    "Ол өз сөзінде бұл бастаманың маңызы зор екенін атап өтті.",
    "Біз бұл жаңалықты оқырмандарымызға алғашқылардың бірі болып жеткіземіз.",
    "Бірақ кейбір тұрғындар мұндай өзгерістерге әлі де дайын емес.",
    "Сол себепті мамандар бұл іске барлық жағынан мұқият қарауды ұсынады.",
    "Олардың айтуынша, жұмыс келесі жылдың соңына дейін аяқталуы тиіс.",
    "Мұндай шаралар бұрын да өткізілген, бірақ биыл ауқымы кеңірек болды.",
    "Осыған байланысты қала басшылығы арнайы жұмыс тобын құрды.",
    "Бұл ретте ең басты мақсат тұрғындардың игілігі екені айтылды.",
    "Кездесуге ауыл тұрғындары мен аудан басшылары қатысты.",
    "Және де бұл жолы жастар ерекше белсенділік танытты.",
    "Сондықтан да бұл бағыттағы жұмыс алдағы уақытта жалғасады.",
    "Ал бұған дейін мұндай мүмкіндік тек ірі қалаларда ғана болатын.",
    "Оның пікірінше, бұл тәжірибені басқа өңірлерге де тарату керек.",
    "Мамандар бұл көрсеткіштің әлі де өсетінін болжап отыр.",
    "Сол кезде ғана біз нақты нәтижені көре аламыз деп есептейді сарапшылар.",
    "Бұған қоса, жоба аясында жүзден астам жаңа жұмыс орны ашылады.",
    "Тұрғындар өз ұсыныстарын әкімдікке жазбаша түрде жолдай алады.",
    "Ал келесі кезеңде бұл жұмыстарға жеке кәсіпкерлер де тартылады.",
    "Өйткені мұндай бастамалар әрқашан халық тарапынан қолдау табады.",
    "Дегенмен, бұл мәселенің түпкілікті шешімі әлі табылған жоқ.",
    "Сонда ғана ауылдың әлеуметтік жағдайы айтарлықтай жақсара түседі.",
    "Осы орайда ұйымдастырушылар барлық қатысушыларға алғыс айтты.",
    "Бұл шара жыл сайын өткізіліп, үлкен дәстүрге айналды.",
    "Ол үшін алдымен құжаттарды дұрыс рәсімдеу қажет.",
    "Қазіргі таңда бұл бағдарламаға мыңнан астам адам қатысып отыр.",
    "Соған қарамастан, жұмыс кестесі бойынша жүргізіліп жатыр.",
]

RU = [
    "Вчера в городе открылась новая библиотека для детей и подростков.",
    "Синоптики обещают тёплую погоду на всей территории страны.",
    "Студенты университета приняли участие в международной олимпиаде.",
    "Городские власти планируют отремонтировать центральный парк.",
    "На выставке представлены работы молодых художников из регионов.",
    "Фермеры рассчитывают собрать богатый урожай пшеницы в этом году.",
    "Новый мост через реку значительно сократит время в пути.",
    "Эксперты обсудили перспективы развития цифровой экономики.",
    "В школах области начался приём документов в первый класс.",
    "Театр готовит к премьере спектакль по мотивам классической пьесы.",
    "Жители микрорайона благодарят коммунальщиков за быструю работу.",
    "Музей истории города подготовил экскурсию для школьников.",
]
EN = [
    "The city council approved a new plan for public transport.",
    "Researchers published a study on water quality in the region.",
    "Local farmers expect a good harvest after a warm spring.",
    "The museum opened an exhibition about the history of the steppe.",
    "Students from several countries met at the science fair.",
    "A new railway line will connect two regional centres next year.",
    "The library extended its opening hours during the exam period.",
    "Engineers finished repairs on the main bridge ahead of schedule.",
]
MENU = "<nav><ul><li><a href='/'>Басты бет</a></li><li><a href='/news'>Жаңалықтар</a></li>" \
       "<li><a href='/about'>Біз туралы</a></li><li><a href='/contact'>Байланыс</a></li></ul></nav>"
FOOTER = "<footer><p>© 2026 Барлық құқықтар қорғалған.</p><p>Сайт материалдарын пайдаланғанда сілтеме міндетті.</p>" \
         "<div class='cookie'>Біз cookie файлдарын қолданамыз. Келісемін</div></footer>"

# Kazakh Cyrillic -> Latin, the 2021 alphabet (for the Latin-script pages of the sample).
LATIN_2021 = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e", "ё": "io", "ж": "j",
    "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "ñ", "о": "o",
    "ө": "ö", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f", "х": "h",
    "һ": "h", "ц": "ts", "ч": "ch", "ш": "ş", "щ": "şş", "ъ": "", "ы": "y", "і": "ı", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}


def to_latin(text: str) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        if low in LATIN_2021:
            lat = LATIN_2021[low]
            out.append(lat.capitalize() if ch != low else lat)
        else:
            out.append(ch)
    return "".join(out)


def paragraphs(rng: random.Random, pool: list[str], n_par: int, per_par: int) -> list[str]:
    # No sentence twice on one page: repeated n-grams are what the quality filter rightly rejects.
    picked = rng.sample(pool, n_par * per_par)
    links = rng.sample(LINKS, n_par) if pool is KK else [""] * n_par
    return [" ".join([*picked[i * per_par:(i + 1) * per_par], links[i]]).strip() for i in range(n_par)]


# Lines inside the article body that extraction keeps and cleaning must remove: a share widget
# (a per-page pattern) and a subscription line every page of the news site repeats (host boilerplate).
SHARE = "<p>Бөлісу: Facebook Telegram WhatsApp</p>"
SUBSCRIBE = "<p>Жаңалықтарды бірінші болып оқу үшін біздің арнамызға қосылып, досыңызға да айтыңыз.</p>"


def page(title: str, paras: list[str], lang: str, extra_head: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paras)
    if paras and lang == "kk":
        body += SUBSCRIBE + SHARE
    html = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{title}</title>{extra_head}"
            f"</head><body>{MENU}<main><article><h1>{title}</h1>{body}</article></main>{FOOTER}</body></html>")
    return html.encode("utf-8")


def iin_checksum(digits: str) -> int | None:
    w1 = range(1, 12)
    s = sum(int(d) * w for d, w in zip(digits, w1, strict=False)) % 11
    if s == 10:
        w2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        s = sum(int(d) * w for d, w in zip(digits, w2, strict=False)) % 11
        if s == 10:
            return None
    return s


def valid_iin(prefix11: str) -> str:
    c = iin_checksum(prefix11)
    assert c is not None
    return prefix11 + str(c)


def kz_iban(bank: str, account: str) -> str:
    bban = bank + account
    numeric = "".join(str(int(ch, 36)) for ch in bban + "KZ00")
    check = 98 - int(numeric) % 97
    return f"KZ{check:02d}{bban}"


def build_pages() -> list[tuple[str, bytes]]:
    rng = random.Random(2026)
    pages: list[tuple[str, bytes]] = []
    site = "https://news.example.kz"
    for i in range(10):
        paras = paragraphs(rng, KK, 3, 4)
        pages.append((f"{site}/kk/article/{i}", page(f"Жаңалық {i}", paras, "kk")))
        if i == 2:  # exact copy under another URL (the print version of the article)
            pages.append((f"{site}/kk/print/{i}", page(f"Жаңалық {i}", paras, "kk")))
        if i in (3, 6):  # near duplicate: a few words edited
            edited = [p.replace("жаңа", "тың").replace("қала", "шаһар", 1) for p in paras]
            edited[-1] = edited[-1] + " Толығырақ ақпарат келесі нөмірде жарияланады."
            pages.append((f"{site}/kk/article/{i}-updated", page(f"Жаңалық {i}", edited, "kk")))
    for i in range(3):  # Latin-script Kazakh edition
        paras = [to_latin(p) for p in paragraphs(rng, KK, 3, 4)]
        pages.append((f"https://latyn.example.kz/maqala/{i}", page(f"Jañalyq {i}", paras, "kk-Latn")))
    for i in range(3):
        pages.append((f"https://ru.example.kz/news/{i}", page(f"Новость {i}", paragraphs(rng, RU, 3, 3), "ru")))
    for i in range(2):
        pages.append((f"https://en.example.kz/story/{i}", page(f"Story {i}", paragraphs(rng, EN, 2, 3), "en")))
    # Mixed kk/ru: mostly Kazakh with a Russian quotation paragraph.
    mixed = paragraphs(rng, KK, 3, 4) + [" ".join(rng.sample(RU, 3))]
    pages.append((f"{site}/kk/mixed/1", page("Аралас мақала", mixed, "kk")))
    # PII: a notice that names a person's IIN, phone, e-mail, IBAN and card number.
    iin = valid_iin("8504123" + "0051")
    pii_par = (f"Конкурс жеңімпазы Асқаров Ерлан (ЖСН {iin}) сыйлығын алу үшін +7 701 234 56 78 нөміріне "
               f"немесе erlan.askarov@example.kz поштасына хабарласуы керек. Сыйақы {kz_iban('125', 'KZT1234567890')} "
               f"шотына аударылады, ал төлем картасы 4111 1111 1111 1111 арқылы расталды.")
    pages.append((f"{site}/kk/notice/1", page("Хабарландыру", paragraphs(rng, KK, 3, 4) + [pii_par], "kk")))
    # Toxic page: obscene Russian and Kazakh abuse in a comment thread.
    toxic = paragraphs(rng, KK, 2, 4) + [
        "Комментарий: да пошёл ты нахуй, блять, это пиздец а не новость, все вы тут ебанутые.",
        "Сен қандай ақымақсың, сенің шешеңді сиктім, хуйло ебаное, заткнись сука блядь.",
        "Ещё один мудак написал эту хуйню, пиздеж полный, ёбаный стыд, сука.",
    ] + paragraphs(rng, KK, 1, 4)
    pages.append((f"https://forum.example.kz/thread/{13}", page("Форум", toxic, "kk")))
    # A page that says nothing (navigation only).
    pages.append((f"{site}/kk/tags", page("Тегтер", [], "kk")))
    # Spam: the same few lines over and over, what the Gopher repetition rules exist for.
    spam = ["Арзан бағамен сатып алыңыз! Тегін жеткізу және үлкен жеңілдіктер бар.",
            "Бүгін ғана тапсырыс беріңіз, бұл ұсыныс ертең аяқталады!"] * 12
    pages.append(("https://shop.example.kz/aktsiya", page("Акция", spam, "kk")))
    return pages


def write_warc(path: Path, pages: list[tuple[str, bytes]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    info = writer.create_warcinfo_record("demo.warc.gz", {"software": "kazcorpus demo generator",
                                                          "description": "synthetic Kazakh pages"})
    info.rec_headers.replace_header("WARC-Date", "2026-01-01T00:00:00Z")
    info.rec_headers.replace_header("WARC-Record-ID", "<urn:uuid:00000000-0000-4000-8000-000000000000>")
    writer.write_record(info)
    for n, (url, html) in enumerate(pages, start=1):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                              ("Content-Length", str(len(html)))], protocol="HTTP/1.1")
        rec = writer.create_warc_record(url, "response", payload=io.BytesIO(html), http_headers=headers)
        rec.rec_headers.replace_header("WARC-Date", f"2026-01-{1 + n % 28:02d}T10:00:00Z")
        rec.rec_headers.replace_header("WARC-Record-ID", f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>")
        writer.write_record(rec)
    data = buf.getvalue()
    # A broken record at the end: a gzip member cut in the middle, as a truncated download leaves it.
    broken = gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5000\r\n\r\n" + b"<html>" * 200,
                           mtime=0)  # a fixed gzip header: the sample is byte-reproducible
    path.write_bytes(data + broken[: len(broken) // 2])


WIKI_PAGES = [
    (1, 0, "Абай Құнанбайұлы", None),
    (2, 0, "Астана", None),
    (3, 0, "Ел Ордасы", "#REDIRECT [[Астана]]"),
    (4, 1, "Талқылау:Астана", "Бұл талқылау беті."),
    (5, 0, "Дала", None),
]


def wiki_text(rng: random.Random, title: str) -> str:
    paras = paragraphs(rng, KK, 3, 4)
    return (
        "{{Infobox|атауы=" + title + "}}\n"
        f"'''{title}''' — {paras[0]}<ref>Дереккөз 1</ref>\n\n"
        f"== Тарихы ==\n{paras[1]} [[Қазақстан|Қазақстанның]] маңызды тақырыбы.\n\n"
        "{| class=\"wikitable\"\n|-\n| Жыл || Оқиға\n|}\n\n"
        f"== Қазіргі кезі ==\n{paras[2]}\n\n[[Сурет:Example.jpg|thumb|Сурет]]\n[[Санат:Қазақстан]]\n"
    )


def write_wiki(path: Path) -> None:
    from xml.sax.saxutils import escape

    rng = random.Random(7)
    out = ["<mediawiki xmlns=\"http://www.mediawiki.org/xml/export-0.10/\" version=\"0.10\" xml:lang=\"kk\">",
           "  <siteinfo><sitename>Уикипедия</sitename><dbname>kkwiki</dbname></siteinfo>"]
    for pid, ns, title, text in WIKI_PAGES:
        body = text if text is not None else wiki_text(rng, title)
        redirect = f"    <redirect title=\"{escape('Астана')}\" />\n" if body.startswith("#REDIRECT") else ""
        out.append(
            f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n    <id>{pid}</id>\n{redirect}"
            f"    <revision>\n      <id>{1000 + pid}</id>\n      <timestamp>2026-01-0{pid}T00:00:00Z</timestamp>\n"
            f"      <text xml:space=\"preserve\">{escape(body)}</text>\n    </revision>\n  </page>"
        )
    out.append("</mediawiki>\n")
    path.write_bytes("\n".join(out).encode("utf-8"))


def write_jsonl(path: Path) -> None:
    rng = random.Random(11)
    lines = []
    for i in range(6):
        lines.append({"id": f"jsonl-{i}", "text": "\n\n".join(paragraphs(rng, KK, 3, 4)),
                      "url": f"https://books.example.kz/text/{i}"})
    lines.append({"id": "jsonl-ru", "text": "\n\n".join(paragraphs(rng, RU, 3, 3))})
    rows = [json.dumps(r, ensure_ascii=False) for r in lines]
    rows.insert(3, "{this line is not json")  # a corrupt record: counted, never fatal
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def main(out_dir: Path | None = None) -> Path:
    out = out_dir or Path(__file__).resolve().parent / "sample"
    out.mkdir(parents=True, exist_ok=True)
    write_warc(out / "news.warc.gz", build_pages())
    write_wiki(out / "kkwiki-sample.xml")
    write_jsonl(out / "books.jsonl")
    return out


if __name__ == "__main__":
    print(main())
