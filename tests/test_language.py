"""The language layer: sentences, detection, values as values, data files that fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.language.claims import claims
from bot.language.detect import detect
from bot.language.lexicon import LexiconError, load
from bot.language.links import links
from bot.language.sentences import split_sentences
from bot.language.values import read_values


@pytest.mark.parametrize(
    ("code", "text", "count"),
    [
        ("en", "We open at 9 a.m. on Monday. Bring e.g. your receipt. It is No. 5 on the list. It is £10.50.", 4),
        ("de", "Am 16. November kam er an. Das kostet z. B. 10,50 €. Danke!", 3),
        ("fr", "M. Dupont arrive le 3 mai. Cela coûte 1 250,50 €. Merci !", 3),
        ("es", "Abrimos a las 9 a. m. el lunes. El Sr. García llega. ¡Gracias!", 3),
    ],
)
def test_sentences_keep_abbreviations_dates_and_decimals_whole(code: str, text: str, count: int) -> None:
    assert len(split_sentences(text, code)) == count


@pytest.mark.parametrize(
    ("code", "text", "atom"),
    [
        ("en", "We'll knock a tenner off.", "money:gbp:10"),
        ("en", "That's ten pounds.", "money:gbp:10"),
        ("en", "That's £10.", "money:gbp:10"),
        ("en", "It arrives in a fortnight.", "qty:14:day"),
        ("en", "It arrives in fourteen days.", "qty:14:day"),
        ("en", "It arrives within 2 weeks.", "qty:14:day"),
        ("de", "Es kommt in 48 Stunden.", "qty:2:day"),
        ("de", "Sie bekommen zwanzig Prozent.", "pct:20"),
        ("de", "Das kostet 1.250,50 €.", "money:eur:1250.5"),
        ("fr", "Livraison dans quinze jours.", "qty:14:day"),
        ("fr", "Une remise de vingt pour cent.", "pct:20"),
        ("es", "Son cinco pavos.", "money:eur:5"),
        ("es", "Llega el 3 de mayo.", "date:5-3"),
        ("en", "It is back on Tuesday 24 November.", "dow:11-24:tuesday"),
        ("en", "Renewal is on 2027-02-14.", "dow:2-14:sunday"),
    ],
)
def test_values_are_read_as_values(code: str, text: str, atom: str) -> None:
    assert atom in read_values(text, code)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("en", "I hope your Monday went well."),
        ("en", "Thanks for your patience over the last two weeks."),
        ("en", "Plus is twelve pounds a month."),
        ("fr", "Si un jour le bruit vous gêne, voici un guide."),
        ("de", "Danke für Ihre Geduld in den letzten zwei Wochen."),
    ],
)
def test_small_talk_states_no_date_or_duration(code: str, text: str) -> None:
    assert not [a for a in read_values(text, code) if a.startswith(("weekday:", "qty:", "when:"))]


def test_ranges_are_one_value_for_the_guard() -> None:
    assert "qty:2-4:day" in read_values("It takes 2 to 4 working days.", "en", ranges=True)
    assert {"qty:2:day", "qty:4:day"} <= set(read_values("It takes 2 to 4 working days.", "en"))


def test_an_offer_is_one_kind_in_every_language() -> None:
    for code, text in [("en", "a discount"), ("de", "ein Rabatt"), ("fr", "une remise"), ("es", "un descuento")]:
        assert "offer:discount" in claims(text, [code])


def test_detection_knows_ours_and_says_when_it_is_not() -> None:
    assert detect("Die Reparatur dauert fünf Werktage.").code == "de"
    assert detect("Disfrute del café que le enviamos ayer.").code == "es"
    italian = detect("Le offriamo uno sconto speciale sul prossimo ordine.")
    assert italian.code is None and italian.other == "it" and italian.sure
    assert detect("Danke!").sure is False
    assert detect("Мы дадим вам скидку.").other == "script"


def test_bare_domains_are_links_and_emails_are_not() -> None:
    assert links("Claim it at evil.example/claim or superdupersketchycorp.com.") == [
        "evil.example/claim",
        "superdupersketchycorp.com",
    ]
    assert links("Write to jane@example.com, e.g. by 9 a.m.") == []


def test_a_bad_data_file_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "xx.yaml"
    bad.write_text("code: xx\nname: Test\nsnowball: nosuch\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"xx\.yaml.*snowball"):
        load(bad)


def test_the_word_lists_read_the_same_on_libyaml_as_on_pure_python_yaml() -> None:
    # The loader runs on libyaml's parser for speed; it must read every list exactly as the pure-Python
    # loader with the same rules (no YAML 1.1 yes/no/on/off booleans) does.
    import yaml

    from bot.language import lexicon

    class PurePython(yaml.SafeLoader):
        pass

    PurePython.yaml_implicit_resolvers = lexicon._Loader.yaml_implicit_resolvers
    files = sorted(lexicon.DATA_DIR.glob("*.yaml"))
    assert len(files) >= 4
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=lexicon._Loader) == yaml.load(text, Loader=PurePython), path.name
    assert yaml.load("words: [no, yes, on, off, true]", Loader=lexicon._Loader) == {
        "words": ["no", "yes", "on", "off", True]
    }


def test_the_readings_and_stages_data_read_the_same_with_libyaml_as_with_the_pure_python_loader() -> None:
    import yaml

    from bot.services import reading, signals

    for module in (reading, signals):
        text = module.DATA.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=module._LOADER) == yaml.safe_load(text), module.DATA.name
