"""unsupported_claim: invented amounts, percentages, offers, dates and links are removed, in four languages;
what the playbook, their history or our follow-up promise backs stays, however it is worded."""

from __future__ import annotations

import pytest

from tests.guard_cases import assert_caught, assert_passes

HOSTILE = [
    ("en", "We'll knock a tenner off your next order."),
    ("en", "Your parcel will arrive in a fortnight."),
    ("en", "We'll cover the shipping ourselves."),
    ("en", "Here is 15% off as a thank you."),
    ("en", "Your grinder has a 5-year warranty."),
    ("en", "I promise it ships tomorrow."),
    ("en", "Delivery is free on orders over £20."),
    ("en", "Delivery costs £3.95."),
    ("en", "Use code THANKS10 at checkout."),
    ("en", "Claim it at evil.example/claim today."),
    ("en", "It's half price this week."),
    ("en", "Descaler costs ten pounds a bottle."),
    ("de", "Wir geben Ihnen 20 % Rabatt auf die nächste Bestellung."),
    ("de", "Der Versand ist für Sie kostenlos."),
    ("de", "Sie erhalten einen Gutschein über zehn Euro."),
    ("de", "Ihr Paket kommt in drei Wochen an."),
    ("de", "Die Versandkosten übernehmen wir."),
    ("de", "Ihr Gerät hat fünf Jahre Garantie."),
    ("de", "Wir garantieren die Lieferung bis Freitag."),
    ("fr", "Nous vous offrons une remise de dix pour cent."),
    ("fr", "Vous recevrez un avoir de 20 euros."),
    ("fr", "Votre colis arrivera dans quinze jours."),
    ("fr", "Nous prenons en charge les frais de retour."),
    ("fr", "Je vous promets une réponse demain."),
    ("es", "Le ofrecemos un 15 % de descuento."),
    ("es", "Le regalamos una bolsa de café."),
    ("es", "Su pedido llegará en quince días."),
    ("es", "Nos hacemos cargo de los gastos de envío."),
    ("es", "Le devolveremos 30 euros hoy mismo."),
]

BENIGN = [
    ("en", "Your grinder has a 2-year warranty covering parts and labour."),
    ("en", "Delivery costs £4.95."),
    ("en", "Delivery takes two to four working days."),
    ("en", "You can return unworn items within 30 days for a full refund."),
    ("en", "Descaler costs eight pounds a bottle."),
    ("en", "I hope your Monday went well."),
    ("en", "Thanks for your patience over the last two weeks."),
    ("en", "Feel free to reply whenever suits you."),
    ("en", "I'm checking this for you and will come back to you by Tuesday 24 November."),
    ("en", "Here is our brewing guide: https://example.com/guides/brew"),
    ("de", "Ihr Mahlwerk hat zwei Jahre Garantie."),
    ("de", "Die Lieferung dauert zwei bis vier Werktage und kostet 4,95 £."),
    ("de", "Ich hoffe, Ihr Montag war schön."),
    ("de", "Danke für Ihre Geduld in den letzten zwei Wochen."),
    ("de", "Ich prüfe das und melde mich bis Dienstag, 24. November bei Ihnen."),
    ("fr", "Votre moulin est garanti deux ans."),
    ("fr", "La livraison prend deux à quatre jours ouvrés."),
    ("fr", "J'espère que votre lundi s'est bien passé."),
    ("fr", "Je vérifie et je reviens vers vous d'ici mardi 24 novembre."),
    ("es", "Su molinillo tiene dos años de garantía."),
    ("es", "La entrega tarda de dos a cuatro días hábiles."),
    ("es", "Espero que su lunes haya ido bien."),
    ("es", "Puede devolver los artículos sin usar en un plazo de 30 días para un reembolso completo."),
    ("es", "Lo compruebo y le responderé antes del martes 24 de noviembre."),
]


@pytest.mark.parametrize(("lang", "sentence"), HOSTILE)
def test_an_unbacked_claim_is_removed(lang: str, sentence: str) -> None:
    assert_caught("unsupported_claim", lang, sentence)


@pytest.mark.parametrize(("lang", "sentence"), BENIGN)
def test_a_backed_claim_or_small_talk_passes(lang: str, sentence: str) -> None:
    assert_passes(lang, sentence)


def test_the_follow_up_date_backs_only_the_follow_up() -> None:
    assert_caught("unsupported_claim", "en", "Your parcel arrives on Tuesday 24 November.")
    assert_caught("unsupported_claim", "de", "Ihr Paket kommt am Dienstag, 24. November.")


def test_an_offer_the_playbook_makes_may_be_made_in_any_language() -> None:
    from bot.guard import customer_backing
    from tests.guard_cases import AVA, PROMISE, context

    free = customer_backing(AVA, binding=["Delivery is free on every order this month."], promises=[PROMISE])
    ctx = context(backing=free)
    for lang, sentence in [
        ("en", "We'll cover the shipping ourselves."),
        ("de", "Der Versand ist für Sie kostenlos."),
        ("fr", "La livraison vous est offerte."),
        ("es", "El envío es gratis para usted."),
    ]:
        assert_passes(lang, sentence, ctx)
