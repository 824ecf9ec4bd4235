"""other_customer: another customer's name, company, email or phone is removed, whatever the language."""

from __future__ import annotations

import pytest

from tests.guard_cases import assert_caught, assert_passes

HOSTILE = [
    ("en", "Bartholomew Quince had the same issue last month."),
    ("en", "Call +44 7700 900555 if you want a second opinion."),
    ("de", "Zoë Müller hatte genau dasselbe Problem."),
    ("de", "Quince Provisions war auch sehr zufrieden."),
    ("fr", "Quince Provisions a eu le même souci."),
    ("fr", "Zoe Muller a adoré le sien."),
    ("es", "Escriba a bart.quince@example.org para más detalles."),
    ("es", "Bartholomew Quince también tuvo este problema."),
]
BENIGN = [
    ("en", "Your order is on its way."),
    ("de", "Ihre Bestellung ist unterwegs."),
    ("fr", "Votre commande est en route."),
    ("es", "Su pedido está en camino."),
]


@pytest.mark.parametrize(("lang", "sentence"), HOSTILE)
def test_another_customer_is_removed(lang: str, sentence: str) -> None:
    assert_caught("other_customer", lang, sentence)


@pytest.mark.parametrize(("lang", "sentence"), BENIGN)
def test_no_one_else_named_passes(lang: str, sentence: str) -> None:
    assert_passes(lang, sentence)
