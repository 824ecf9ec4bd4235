"""The guard's pipeline: split → read each sentence in its language → check every rule → repair or drop → report.

A sentence that breaks a rule is removed (the greeting is rewritten instead);
a draft left with nothing to say is dropped. Every finding is reported with a
DESIGN.md guard code. The checks are strict on purpose: a false alarm costs a
sentence, a miss costs the customer's trust. A sentence the guard cannot read
is removed too (`cannot_verify`): it never passes unchecked.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.answer import Draft, GuardReport, Violation
from bot.guard.context import GuardContext
from bot.guard.draft import Sentence, join, split
from bot.guard.rules import RULES
from bot.guard.rules.unsupported_claim import clip, unbacked
from bot.language.claims import OFFER_ATOMS
from bot.language.detect import Detected, detect, foreign_letters
from bot.language.lexicon import lexicons
from bot.language.text import clean


def _unreadable(found: Detected) -> str:
    if found.other == "script":
        return "written in a script"
    return f"written in a language with no word lists here ('{found.other}')"


def read_languages(sentences: list[Sentence]) -> Detected:
    """Give each sentence the languages it is read in, from its own words when they are enough to tell,
    else from the whole draft's; when neither can tell which of ours, every one of ours."""
    every = tuple(lexicons())
    readable = [s for s in sentences if not foreign_letters(s.text)]
    body = " ".join(s.text for s in readable if s.kind == "body") or " ".join(s.text for s in readable)
    whole = detect(body)
    for s in sentences:
        if foreign_letters(s.text):
            s.unreadable = _unreadable(Detected(None, "script"))
            continue
        own = detect(s.text)
        if own.code and own.sure:
            s.codes = tuple(dict.fromkeys([own.code, *([whole.code] if whole.code else [])]))
            s.sure = True
        elif own.other and own.sure:
            s.unreadable = _unreadable(own)
        elif whole.code:
            s.codes = tuple(dict.fromkeys([whole.code, *([own.code] if own.code else [])]))
        elif whole.other and whole.sure:
            s.unreadable = _unreadable(whole)
        else:
            s.codes = every
    return whole


def check(draft: Draft, ctx: GuardContext) -> tuple[Draft | None, list[Violation]]:
    """Check one draft; return it repaired (or None when nothing honest is left) and what was found."""
    violations: list[Violation] = []
    for rule in RULES:
        finding = rule.check_draft(draft, ctx)
        if finding is not None:
            violations.append(Violation(code=rule.code, detail=finding.detail))
            if finding.draft is None:
                return None, violations
            draft = finding.draft
    text = clean(draft.text)
    lines = split(text, detect(text).code)
    sentences = [s for parts in lines for s in parts if s.kind != "sign_off"]
    whole = read_languages(sentences)
    found = False
    for s in sentences:
        reasons = [(rule.code, why) for rule in RULES for why in rule.check(s, ctx)]
        found = found or bool(reasons)
        if s.kind == "greeting" and reasons:
            neutral = _neutral_greeting(ctx, s.codes[0] if s.codes else whole.code)
            for code, why in reasons:
                detail = (
                    f"'{s.text.strip()}' {why}; rewritten with their name"
                    if code == "gendered_address"
                    else f"{why}; greeting rewritten as '{neutral}'"
                )
                violations.append(Violation(code=code, detail=detail))
            s.text = neutral
        elif reasons:
            s.drop = True
            for code, why in reasons:
                # A private note is never echoed, not even in the report that the thread sees.
                removed = "the sentence" if code == "private_leak" else f'"{clip(s.text)}"'
                violations.append(Violation(code=code, detail=f"{why}; removed {removed}"))
    if not any(s.kind == "body" and not s.drop for s in sentences):
        return None, violations
    return draft.model_copy(update={"text": join(lines) if found else text}), violations


def unbacked_offers(text: str, ctx: GuardContext) -> list[str]:
    """What a staff request asks to offer ("a 10% discount", "a month free") that no draft could say: the
    guard's own rule for claims, run on the request. Its words as written, once each."""
    lines = split(clean(text), detect(text).code)
    sentences = [s for parts in lines for s in parts]
    read_languages(sentences)
    found = [said for s in sentences for atom, said in unbacked(s, ctx).items() if atom.startswith(OFFER_ATOMS)]
    return list(dict.fromkeys(found))


def _neutral_greeting(ctx: GuardContext, code: str | None) -> str:
    lex = lexicons().get(code or "en") or lexicons()["en"]
    return lex.data.neutral_greeting.format(name=ctx.customer.display_name)


def guard_drafts(drafts: Iterable[Draft], ctx: GuardContext) -> tuple[list[Draft], GuardReport]:
    report = GuardReport()
    kept: list[Draft] = []
    for draft in drafts:
        report.checked += 1
        fixed, violations = check(draft, ctx)
        report.violations += violations
        if fixed is None:
            report.dropped += 1
        elif all(fixed.text != k.text for k in kept):
            kept.append(fixed)
    return kept, report


def rules_prompt() -> str:
    """The rules as the language model is told them: generated from the rule modules themselves."""
    return "\n".join(f"- {rule.prompt}" for rule in RULES)
