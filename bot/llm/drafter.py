"""LLMDrafter: the language model words the drafts; the rules and the guard stay in charge.

The Assistant has already decided who the customer is, whether to draft at
all, the channel and the content ideas. This module turns that plan into a
grounded prompt, asks for typed output, and hands back plain `Draft`s for the
guard to check. Every failure becomes `DrafterUnavailable` with a message a
staff member can read, and the Assistant falls back to offline drafts.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam, ParsedChatCompletion

from bot.config import Settings
from bot.core.answer import Draft, Usage
from bot.core.drafting import NO_PROGRESS, STYLES, DrafterResult, DrafterUnavailable, Progress
from bot.core.plan import DraftPlan, Passage
from bot.guard import rules_prompt
from bot.language.claims import claim_atoms
from bot.language.text import overlap
from bot.llm import context
from bot.llm.breaker import CircuitBreaker
from bot.llm.client import OFFLINE, BoundedCall, build_client
from bot.llm.context import Context
from bot.llm.prompts import Prompts
from bot.llm.schema import ModelDrafts

log = logging.getLogger(__name__)

DRAFTS_WANTED = 2
MAX_DRAFT_CHARS = 3000  # one Slack section; a longer "draft" is not a draft
PAUSED = f"The language model failed several times in a row, so Rapport is giving it a short rest; {OFFLINE}"
REFUSED = f"The language model declined to write this draft; {OFFLINE}"
EMPTY = f"The language model gave no usable draft; {OFFLINE}"
LANGUAGE_RE = re.compile(r"[^\w \-()'’]")


class Declined(DrafterUnavailable):
    """The model refused: it answered, so this says nothing about its health (the breaker ignores it)."""


class LLMDrafter:
    """The `Drafter` the Assistant uses when OPENAI_API_KEY is set. Safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: OpenAI | None = None,
        breaker: CircuitBreaker | None = None,
        prompts: Prompts | None = None,
    ) -> None:
        self.settings = settings
        self.client = client or build_client(settings)
        self.breaker = breaker or CircuitBreaker()
        self.prompts = prompts or Prompts()
        self.system = self.prompts.render("system", guard_rules=rules_prompt())

    # -- the Drafter protocol -------------------------------------------------------

    def draft(self, plan: DraftPlan, progress: Progress = NO_PROGRESS) -> DrafterResult:
        ctx = context.build(plan)
        intent = "intent_outreach" if plan.intent == "outreach" else "intent_reply"
        task = self.prompts.render(
            "draft",
            count=str(DRAFTS_WANTED),
            segment=plan.customer.segment.upper(),
            channel=plan.channel,
            intent_guidance=self.prompts.render(intent),
            staff_request=context.staff_request(plan),
            data=ctx.data,
        )
        return self._ask(plan, ctx, task, limit=DRAFTS_WANTED, kind="draft")

    def refine(self, plan: DraftPlan, draft: Draft, style: str) -> DrafterResult:
        ctx = context.build(plan, draft)
        task = self.prompts.render(
            "refine",
            style_guidance=self.style_guidance(style),
            segment=plan.customer.segment.upper(),
            channel=draft.channel,
            staff_request=context.staff_request(plan),
            draft=context.draft_record(draft),
            data=ctx.data,
        )
        return self._ask(plan, ctx, task, limit=1, kind=f"refine:{style}")

    def style_guidance(self, style: str) -> str:
        if style.startswith("language:"):
            language = LANGUAGE_RE.sub("", style.split(":", 1)[1]).strip()[:40]
            if not language:
                raise DrafterUnavailable("That language name was not understood; here is the draft as it was.")
            return self.prompts.render("styles/language", language=language)
        if style not in STYLES:
            raise ValueError(f"unknown style '{style}'")
        return self.prompts.render(f"styles/{style}")

    # -- one call -------------------------------------------------------------------

    def _ask(self, plan: DraftPlan, ctx: Context, task: str, limit: int, kind: str) -> DrafterResult:
        if not self.breaker.allow():
            log.info("llm %s skipped: circuit open for another %.0f s", kind, self.breaker.retry_in())
            raise DrafterUnavailable(PAUSED)
        started = time.monotonic()
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": self.system},
            {"role": "user", "content": task},
        ]
        try:
            completion = self._call().run(messages, ModelDrafts)
            drafts = to_drafts(read(completion), ctx, limit, plan.facts.all())
        except Declined:
            self.breaker.success()
            log.warning("llm %s: the model refused", kind)
            raise
        except DrafterUnavailable:
            self.breaker.failure()
            raise
        except Exception as exc:
            self.breaker.failure()
            ref = uuid.uuid4().hex[:8]
            log.exception("llm %s failed unexpectedly (ref %s)", kind, ref)
            raise DrafterUnavailable(f"The language model failed unexpectedly (ref {ref}); {OFFLINE}") from exc
        self.breaker.success()
        self._allow_follow_up(plan, ctx, drafts)
        usage = usage_of(completion)
        log.info(
            "llm %s for %s: %d draft(s); tokens prompt=%d completion=%d total=%d; %.2f s",
            kind,
            plan.customer.id,
            len(drafts),
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            time.monotonic() - started,
        )
        return DrafterResult(drafts=drafts, usage=usage)

    def _call(self) -> BoundedCall:
        s = self.settings
        return BoundedCall(self.client, s.openai_model, budget=s.openai_timeout, max_retries=s.openai_max_retries)

    @staticmethod
    def _allow_follow_up(plan: DraftPlan, ctx: Context, drafts: list[Draft]) -> None:
        """The one date a draft may promise without a source: when we will come back to them (as offline)."""
        promise = f"We will come back to you by {ctx.follow_up}."
        if any(ctx.follow_up in d.text for d in drafts) and promise not in plan.extra_facts:
            plan.extra_facts.append(promise)


def read(completion: ParsedChatCompletion[ModelDrafts]) -> ModelDrafts:
    if not completion.choices:
        raise DrafterUnavailable(EMPTY)
    message = completion.choices[0].message
    if message.refusal:
        raise Declined(REFUSED)
    if message.parsed is None:
        raise DrafterUnavailable(EMPTY)
    return message.parsed


def known_source(source: str, shown: frozenset[str]) -> bool:
    """Only ids the model was shown; a bare file path stands for any passage of that file."""
    return source in shown or any(s.split("#", 1)[0] == source for s in shown)


def to_drafts(parsed: ModelDrafts, ctx: Context, limit: int, passages: list[Passage] | None = None) -> list[Draft]:
    drafts: list[Draft] = []
    for item in parsed.drafts:
        text = item.text.strip()
        if not text or len(text) > MAX_DRAFT_CHARS or any(d.text == text for d in drafts):
            continue
        cited = list(dict.fromkeys(s.strip() for s in item.sources))
        sources = [s for s in cited if known_source(s, ctx.sources)]
        if len(sources) < len(cited):
            log.info("dropped %d source id(s) the model was not shown", len(cited) - len(sources))
        if not sources and passages:
            # Every draft shows where its facts came from: when the model's citations were wrong or
            # missing, cite the passages shown to it whose facts the draft states.
            sources = grounding(text, [p for p in passages if p.source in ctx.sources])
        drafts.append(Draft(text=text, channel=item.channel, sources=sources))
    if not drafts:
        raise DrafterUnavailable(EMPTY)
    return drafts[:limit]


def grounding(text: str, passages: list[Passage]) -> list[str]:
    """The passages whose checkable claims (amounts, dates, offers) the text repeats, else those it
    shares most content words with (at least three)."""
    said = claim_atoms(text)
    backed = [p.source for p in passages if said & claim_atoms(p.text)]
    if backed:
        return list(dict.fromkeys(backed))
    ranked = sorted(((overlap(text, p.text), p.source) for p in passages), reverse=True)
    return [source for shared, source in ranked[:2] if shared >= MIN_SHARED_WORDS]


MIN_SHARED_WORDS = 3


def usage_of(completion: ParsedChatCompletion[ModelDrafts]) -> Usage:
    u = completion.usage
    if u is None:
        return Usage()
    return Usage(prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens, total_tokens=u.total_tokens)
