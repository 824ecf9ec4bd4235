"""The honesty guard: every draft, offline or from a model, is checked here before anyone sees it.

`guard_drafts(drafts, ctx)` runs the pipeline in `engine.py` with the rules in
`rules/` (one per violation code); `GuardContext` holds what backs a draft's
claims, by trust (`context.py`). What a text says (values, offers, titles) is
read by the language layer, `bot.language`.
"""

from __future__ import annotations

from bot.guard.context import GuardContext, customer_backing
from bot.guard.draft import body_sentences
from bot.guard.engine import check, guard_drafts, rules_prompt, unbacked_offers
from bot.guard.identities import Identities
from bot.guard.rule import Rule
from bot.guard.rules import RULES
from bot.language.claims import claim_atoms, claims

__all__ = [
    "RULES",
    "GuardContext",
    "Identities",
    "Rule",
    "body_sentences",
    "check",
    "claim_atoms",
    "claims",
    "customer_backing",
    "guard_drafts",
    "rules_prompt",
    "unbacked_offers",
]
