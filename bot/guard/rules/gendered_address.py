"""gendered_address: a title, a gendered greeting, gendered words or pronouns the customer did not give."""

from __future__ import annotations

from functools import lru_cache

from bot.guard.context import GuardContext
from bot.guard.draft import Sentence
from bot.guard.rule import Rule
from bot.knowledge.models import Customer
from bot.language.lexicon import lexicons
from bot.language.text import words


@lru_cache(maxsize=1024)
def _given(pronouns: str) -> frozenset[str]:
    return frozenset(given_pronouns(Customer(id="x", name="x", segment="b2c", pronouns=pronouns)))


def given_pronouns(customer: Customer) -> set[str]:
    """The pronoun sets ("she", "he") the customer's `pronouns` field names, in any language's lists."""
    given = set(words(customer.pronouns or ""))
    allowed: set[str] = set()
    for lex in lexicons().values():
        for key, forms in [*lex.data.pronouns.items(), *lex.data.third_person.items()]:
            if key in given or given & {w for f in forms for w in words(f.lstrip("=~"))}:
                allowed.add(key)
    return allowed


class GenderedAddress(Rule):
    code = "gendered_address"
    prompt = (
        "Address the customer by `customer.name` only: no titles (Mr, Mrs, Ms, Miss, Sir, Madam, Herr, Frau, "
        "Madame, Monsieur, Señor, Señora…), no gendered greeting (Liebe/Lieber, Cher/Chère, Estimado/Estimada) "
        "and no gendered words, unless `customer.pronouns` says so; use pronouns only if `customer.pronouns` "
        "gives them, otherwise write around them."
    )

    def check(self, sentence: Sentence, ctx: GuardContext) -> list[str]:
        every = tuple(lexicons())
        own = set(words(f"{ctx.customer.name} {ctx.customer.display_name}"))
        titles = [sentence.said(lex, m) for lex, m in sentence.find("titles", every)]
        titles += [
            sentence.said(lex, m)
            for lex, m in sentence.find("titles_before_name", every)
            if not set(words(sentence.said(lex, m))) & own and self._before_name(sentence, lex.code, m.first, m.last)
        ]
        if titles:
            return [f"uses a title ('{titles[0]}')"]
        allowed = _given(ctx.customer.pronouns or "")
        wrong = [sentence.said(lex, m) for lex, m in sentence.find("gendered_words", every)]
        wrong += [sentence.said(lex, m) for lex, m in sentence.find("pronouns") if m.key not in allowed]
        if own & set(words(sentence.text)):  # "Robin sagt, dass er…": a pronoun for the reader, by name
            wrong += [sentence.said(lex, m) for lex, m in sentence.find("third_person") if m.key not in allowed]
        if sentence.kind == "greeting":
            wrong += [
                sentence.said(lex, m) for lex, m in sentence.find("gendered_greetings", every) if m.key not in allowed
            ]
        if wrong:
            listed = ", ".join(sorted({w.lower() for w in wrong}))
            return [f"uses gendered words they did not give ({listed})"]
        return []

    @staticmethod
    def _before_name(sentence: Sentence, code: str, first: int, last: int) -> bool:
        """'Miss Stroud', 'Don Pedro', 'M. Dupont': a capitalised title before a capitalised word, or in the
        greeting ("Dear Miss,")."""
        ws = sentence.words(code)
        title = sentence.text[ws[first].start : ws[first].end]
        if sentence.kind == "greeting":
            return True
        following = sentence.text[ws[last].start : ws[last].end] if last < len(ws) else ""
        return title[:1].isupper() and following[:1].isupper()
