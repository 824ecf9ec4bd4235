"""gendered_address: titles, gendered greetings, gendered words and pronouns the customer did not give are
caught in four languages; a greeting is rewritten in the draft's language, a body sentence removed."""

from __future__ import annotations

import pytest

from bot.core.answer import Draft
from bot.guard import check, customer_backing
from tests.guard_cases import AVA, GREETING, HONEST, PLAYBOOK, PROMISE, assert_caught, assert_passes, context, letter

GREETINGS = [
    ("en", "Dear Mrs Stroud,"),
    ("en", "Dear Sir or Madam,"),
    ("de", "Liebe Ava,"),
    ("de", "Sehr geehrte Frau Stroud,"),
    ("fr", "Chère Ava,"),
    ("fr", "Madame Stroud,"),
    ("es", "Estimada Ava,"),
    ("es", "Querida Sra. Stroud,"),
]
BODY = [
    ("en", "Thank you, madam, for your patience."),
    ("en", "She will love the new burrs."),
    ("de", "Vielen Dank, Frau Stroud, für Ihre Geduld."),
    ("fr", "Merci, Madame Stroud, pour votre patience."),
    ("es", "Gracias, señora Stroud, por su paciencia."),
]
BENIGN = [
    ("en", "Thank you for your patience."),
    ("de", "Danke für Ihre Geduld."),
    ("fr", "Merci pour votre patience."),
    ("es", "Gracias por su paciencia."),
]


@pytest.mark.parametrize(("lang", "greeting"), GREETINGS)
def test_a_gendered_greeting_is_rewritten_in_the_drafts_language(lang: str, greeting: str) -> None:
    fixed, violations = check(Draft(text=letter(lang, "", greeting), channel="email"), context())
    assert [v.code for v in violations] == ["gendered_address"], violations
    assert fixed is not None and fixed.text.startswith(GREETING[lang]) and HONEST[lang] in fixed.text


@pytest.mark.parametrize(("lang", "sentence"), BODY)
def test_a_title_or_gendered_word_in_the_body_is_removed(lang: str, sentence: str) -> None:
    assert_caught("gendered_address", lang, sentence)


@pytest.mark.parametrize(("lang", "sentence"), BENIGN)
def test_a_neutral_draft_passes(lang: str, sentence: str) -> None:
    assert_passes(lang, sentence)


@pytest.mark.parametrize(("lang", "greeting"), [("de", "Liebe Ava,"), ("fr", "Chère Ava,"), ("es", "Querida Ava,")])
def test_a_greeting_that_matches_the_pronouns_they_gave_stays(lang: str, greeting: str) -> None:
    she = AVA.model_copy(update={"pronouns": "she/her"})
    ctx = context(she, customer_backing(she, binding=PLAYBOOK, promises=[PROMISE]))
    text = letter(lang, "", greeting)
    fixed, violations = check(Draft(text=text, channel="email"), ctx)
    assert violations == [] and fixed is not None and fixed.text == text
