"""avoided_topic: a topic on the customer's avoid list is caught in any of the four languages when it is a
kind of offer or a channel (the word lists name it), and by its own words in the customer's language."""

from __future__ import annotations

import pytest

from bot.guard import customer_backing
from tests.guard_cases import AVA, PLAYBOOK, PROMISE, assert_caught, assert_passes, context

CALLS = AVA.model_copy(update={"avoid": ["discount codes", "phone calls"], "contact": AVA.contact.model_copy()})
CALLS.contact.channels = ["email", "phone"]  # phone allowed, yet calls avoided: only this rule may fire


def ctx():  # type: ignore[no-untyped-def]
    return context(CALLS, customer_backing(CALLS, binding=PLAYBOOK, promises=[PROMISE]))


HOSTILE = [
    ("en", "Here is a discount code for your next order."),
    ("en", "Happy to talk it through on a phone call."),
    ("de", "Hier ist ein Rabattcode für Ihre nächste Bestellung."),
    ("de", "Gern besprechen wir das telefonisch."),
    ("fr", "Voici un code promo pour votre prochaine commande."),
    ("fr", "Je peux vous appeler pour en parler."),
    ("es", "Aquí tiene un código de descuento para su próximo pedido."),
    ("es", "Puedo llamarle para hablarlo."),
]
BENIGN = [
    ("en", "Your tracking code is on the receipt."),
    ("de", "Ihre Sendungsnummer steht auf der Quittung."),
    ("fr", "Votre numéro de suivi figure sur le reçu."),
    ("es", "Su número de seguimiento está en el recibo."),
]


@pytest.mark.parametrize(("lang", "sentence"), HOSTILE)
def test_an_avoided_topic_is_removed_in_any_language(lang: str, sentence: str) -> None:
    assert_caught("avoided_topic", lang, sentence, ctx())


@pytest.mark.parametrize(("lang", "sentence"), BENIGN)
def test_a_neighbouring_word_is_not_the_topic(lang: str, sentence: str) -> None:
    assert_passes(lang, sentence, ctx())


BIKES = AVA.model_copy(update={"avoid": ["e-bikes"]})


def bikes():  # type: ignore[no-untyped-def]
    return context(BIKES, customer_backing(BIKES, binding=PLAYBOOK, promises=[PROMISE]))


@pytest.mark.parametrize("sentence", ["Our new e-bike range is in the shop.", "Have you tried an ebike on the hills?"])
def test_a_hyphenated_topic_is_brought_up_by_itself(sentence: str) -> None:
    assert_caught("avoided_topic", "en", sentence, bikes())


def test_a_hyphenated_topic_is_not_brought_up_by_its_last_part() -> None:
    """Avoiding e-bikes is no reason to drop a sentence about their 1986 touring bike."""
    assert_passes("en", "I wanted to see how your touring bike is running.", bikes())
