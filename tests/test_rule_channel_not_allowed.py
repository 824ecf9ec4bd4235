"""channel_not_allowed: a sentence proposing a channel the customer did not allow is removed, in four
languages; a draft written for such a channel moves to an allowed one."""

from __future__ import annotations

import pytest

from bot.core.answer import Draft
from bot.guard import check
from tests.guard_cases import assert_caught, assert_passes, context, letter

HOSTILE = [
    ("en", "Happy to give you a quick call."),
    ("en", "Message me on WhatsApp."),
    ("en", "I'll send you a text when it ships."),
    ("de", "Ich rufe Sie gern an."),
    ("de", "Schreiben Sie mir auf WhatsApp."),
    ("de", "Ich schicke Ihnen eine SMS, sobald es versandt ist."),
    ("fr", "Je peux vous appeler si vous préférez."),
    ("fr", "Écrivez-moi sur WhatsApp."),
    ("es", "Puedo llamarle si lo prefiere."),
    ("es", "Escríbame por WhatsApp."),
]
BENIGN = [
    ("en", "Reply to this email whenever suits you."),
    ("de", "Antworten Sie einfach auf diese E-Mail."),
    ("fr", "Répondez simplement à cet e-mail."),
    ("es", "Responda a este correo cuando quiera."),
]


@pytest.mark.parametrize(("lang", "sentence"), HOSTILE)
def test_a_channel_they_did_not_allow_is_removed(lang: str, sentence: str) -> None:
    assert_caught("channel_not_allowed", lang, sentence)


@pytest.mark.parametrize(("lang", "sentence"), BENIGN)
def test_their_own_channel_passes(lang: str, sentence: str) -> None:
    assert_passes(lang, sentence)


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es"])
def test_a_draft_for_another_channel_moves(lang: str) -> None:
    fixed, violations = check(Draft(text=letter(lang, ""), channel="sms"), context())
    assert [v.code for v in violations] == ["channel_not_allowed"]
    assert fixed is not None and fixed.channel == "email"
