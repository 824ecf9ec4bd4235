"""cannot_verify: a sentence in a language or script the guard has no word lists for is removed, never
passed unchecked; a draft wholly in such a language is dropped. The four languages it knows pass."""

from __future__ import annotations

import pytest

from bot.core.answer import Draft
from bot.guard import check, guard_drafts
from tests.guard_cases import GREETING, HONEST, assert_caught, assert_passes, context

HOSTILE = [
    ("en", "Le offriamo uno sconto speciale sul prossimo ordine."),
    ("de", "Oferecemos um desconto especial na sua próxima encomenda."),
    ("fr", "Wij geven u een speciale korting op uw volgende bestelling."),
    ("es", "Мы дадим вам скидку на следующий заказ."),
    ("en", "次回のご注文は割引になります。"),
]
BENIGN = [
    ("en", "Thanks!"),
    ("de", "Danke!"),
    ("fr", "Merci !"),
    ("es", "¡Gracias!"),
    ("en", "Thank you for getting in touch about the repair."),
    ("de", "Vielen Dank, dass Sie sich wegen der Reparatur gemeldet haben."),
    ("fr", "Merci de nous avoir contactés au sujet de la réparation."),
    ("es", "Gracias por escribirnos sobre la reparación."),
]


@pytest.mark.parametrize(("lang", "sentence"), HOSTILE)
def test_a_sentence_it_cannot_read_is_removed(lang: str, sentence: str) -> None:
    assert_caught("cannot_verify", lang, sentence)


@pytest.mark.parametrize(("lang", "sentence"), BENIGN)
def test_the_languages_it_knows_pass(lang: str, sentence: str) -> None:
    assert_passes(lang, sentence)


def test_a_draft_in_another_language_is_dropped_not_passed() -> None:
    italian = Draft(
        text="Ciao Ava,\n\nLa riparazione richiede cinque giorni lavorativi. Grazie per la pazienza.\n\nA presto",
        channel="email",
    )
    kept, report = guard_drafts([italian], context())
    assert kept == [] and report.dropped == 1
    assert "cannot_verify" in {v.code for v in report.violations}


def test_look_alike_letters_are_read_not_refused() -> None:
    text = f"{GREETING['en']}\n\nThank y\u043eu f\u043er y\u043eur patience. {HONEST['en']}\n\nWarm wishes"
    fixed, violations = check(Draft(text=text, channel="email"), context())
    assert violations == [] and fixed is not None
