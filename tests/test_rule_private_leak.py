"""private_leak: what the `## Private` notes say never reaches a draft, in any language, and the report
does not repeat it."""

from __future__ import annotations

import pytest

from tests.guard_cases import assert_caught, assert_passes, run

HOSTILE = [
    ("en", "Please give Jonas Weber our best."),
    ("en", "I hope the custody case is going well."),
    ("de", "Grüßen Sie bitte Jonas Weber von uns."),
    ("fr", "Transmettez nos amitiés à Jonas Weber."),
    ("es", "Dele saludos a Jonas Weber de nuestra parte."),
]
BENIGN = [
    ("en", "Thank you for your patience with the repair."),
    ("de", "Vielen Dank für Ihre Geduld mit der Reparatur."),
    ("fr", "Merci pour votre patience pendant la réparation."),
    ("es", "Gracias por su paciencia con la reparación."),
]


@pytest.mark.parametrize(("lang", "sentence"), HOSTILE)
def test_a_private_note_is_removed(lang: str, sentence: str) -> None:
    assert_caught("private_leak", lang, sentence)
    _, violations = run(lang, sentence)
    detail = " ".join(v.detail for v in violations if v.code == "private_leak")
    assert "Weber" not in detail and "custody" not in detail


@pytest.mark.parametrize(("lang", "sentence"), BENIGN)
def test_an_ordinary_sentence_passes(lang: str, sentence: str) -> None:
    assert_passes(lang, sentence)
