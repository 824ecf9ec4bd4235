"""LLMDrafter: the language model words the drafts; the rules, the floor and the guard stay in charge.

The Assistant has already decided who the customer is, whether to draft at all, the channel, the
purpose and the facts (the plan). This module turns the plan into a compact grounded prompt, asks
for a bounded typed answer (bot/llm/call.py), keeps the drafts that are messages to this customer
(bot/llm/floor.py) and hands them back with the model's own reading of the request for the guard
and the rules. A server error becomes `DrafterUnavailable` with a message a staff member can read;
an answer that is malformed, too long or refused becomes an empty `drafts` with the reason in
`rejected`, and does not count against the circuit breaker (the server is up; the answer was bad).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Sequence

from openai import OpenAI

from bot.config import Settings
from bot.core.answer import Draft, Violation
from bot.core.drafting import NO_PROGRESS, STYLES, DrafterResult, DrafterUnavailable, ModelReading, Progress
from bot.core.plan import DraftPlan, Passage
from bot.guard import rules_prompt
from bot.language.claims import claim_atoms
from bot.language.text import overlap
from bot.llm import context, schema
from bot.llm.breaker import CircuitBreaker
from bot.llm.call import REGISTRY, Call, Outcome, Registry, Spec
from bot.llm.client import OFFLINE, build_client, deadlines
from bot.llm.context import Context
from bot.llm.floor import Embed, Floor, FloorInput
from bot.llm.parse import parse
from bot.llm.prompts import Prompts
from bot.llm.stream import PartialDraft

log = logging.getLogger(__name__)

DRAFTS_WANTED = 2
PAUSED = f"The language model failed several times in a row, so Rapport is giving it a short rest; {OFFLINE}"
TIMED_OUT = "The language model ran out of time (OPENAI_TIMEOUT) before finishing a draft; {offline}"
LANGUAGE_RE = re.compile(r"[^\w \-()'’]")
MIN_SHARED_WORDS = 3
ORIGINS = {"pasted": "pasted by staff", "thread": "from the Slack thread", "shortcut": "the message staff picked",
           "history": "their latest message in the history"}  # fmt: skip


class LLMDrafter:
    """The `Drafter` the Assistant uses when OPENAI_API_KEY is set. Safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        embed: Embed | None = None,
        client: OpenAI | None = None,
        breaker: CircuitBreaker | None = None,
        prompts: Prompts | None = None,
        registry: Registry = REGISTRY,
        planted: Callable[[], Sequence[str]] = tuple,
    ) -> None:
        """`embed`: the index's embedding function (the floor measures meaning with it). `planted`: the
        knowledge folder's text that reads as instructions to a model (bot/knowledge/lint.py)."""
        self.settings = settings
        self.client = client or build_client(settings)
        self.breaker = breaker or CircuitBreaker()
        self.prompts = prompts or Prompts()
        self.system = self.prompts.render("system", guard_rules=rules_prompt())
        if embed is None:
            from bot.index.embedding import MiniLMEmbedding  # the index's model; loads on first use

            embed = MiniLMEmbedding()
        self.floor = Floor(embed)
        self.planted = planted
        first, total = deadlines(settings)
        structured = settings.openai_structured_output
        self.call = Call(
            self.client,
            settings.openai_model,
            base_url=str(self.client.base_url),
            first_token_timeout=first,
            total_timeout=total,
            max_retries=settings.openai_max_retries,
            forced_mode=None if structured == "auto" else structured,
            temperature=settings.openai_temperature,
            stream=settings.openai_stream,
            registry=registry,
        )

    # -- the Drafter protocol -------------------------------------------------------

    def draft(self, plan: DraftPlan, progress: Progress = NO_PROGRESS) -> DrafterResult:
        ctx = context.build(plan)
        text_max = schema.text_limit(plan.channel)
        task = self.prompts.render(
            "draft",
            message_block=self.message_block(plan, ctx),
            count=str(DRAFTS_WANTED),
            segment=plan.customer.segment.upper(),
            channel=plan.channel,
            intent_guidance=self.intent_guidance(plan),
            staff_request=context.staff_request(plan),
            data=ctx.data,
            example=self.prompts.render("example"),
            shape=schema.shape(text_max, DRAFTS_WANTED),
        )
        return self._ask(plan, ctx, task, plan.channel, DRAFTS_WANTED, "draft", progress)

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
            shape=schema.shape(schema.text_limit(draft.channel), 1),
        )
        english = not style.startswith("language:")
        return self._ask(plan, ctx, task, draft.channel, 1, f"refine:{style}", NO_PROGRESS, english)

    def message_block(self, plan: DraftPlan, ctx: Context) -> str:
        if plan.message is None or ctx.message is None:
            return ""
        return (
            self.prompts.render(
                "message",
                origin=ORIGINS.get(plan.message.origin, plan.message.origin),
                message=context.quote_text(ctx.message),
            )
            + "\n\n"
        )

    def intent_guidance(self, plan: DraftPlan) -> str:
        if plan.intent != "outreach":
            return self.prompts.render("intent_reply")
        purpose = self.prompts.render(f"purpose/{plan.purpose or 'none'}")
        return self.prompts.render("intent_outreach", purpose_guidance=purpose)

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

    def _ask(
        self,
        plan: DraftPlan,
        ctx: Context,
        task: str,
        channel: str,
        count: int,
        kind: str,
        progress: Progress,
        english: bool = True,
    ) -> DrafterResult:
        if not self.breaker.allow():
            log.info("llm %s skipped: circuit open for another %.0f s", kind, self.breaker.retry_in())
            raise DrafterUnavailable(PAUSED)
        text_max = schema.text_limit(channel)  # type: ignore[arg-type]
        spec = Spec(
            messages=[{"role": "system", "content": self.system}, {"role": "user", "content": task}],
            schema=schema.json_schema(text_max, count),
            schema_name=schema.SCHEMA_NAME,
            max_tokens=self.settings.openai_max_tokens or schema.token_cap(text_max, count),
            max_chars=schema.token_cap(text_max, count) * schema.CHARS_PER_TOKEN,
        )
        given = self.floor_input(plan, ctx)
        partial = PartialDraft(given, progress, plan.customer.display_name) if english else None
        try:
            outcome = self.call.run(spec, partial.on_text if partial else None)
            result = self._read(plan, ctx, outcome, channel, count, given, english)
        except DrafterUnavailable:
            self.breaker.failure()
            raise
        except Exception as exc:
            self.breaker.failure()
            ref = uuid.uuid4().hex[:8]
            log.exception("llm %s failed unexpectedly (ref %s)", kind, ref)
            raise DrafterUnavailable(f"The language model failed unexpectedly (ref {ref}); {OFFLINE}") from exc
        self.breaker.success()  # it answered: a bad answer says nothing about the server's health
        self._allow_follow_up(plan, ctx, result.drafts)
        u = result.usage
        log.info(
            "llm %s for %s: %s, %d draft(s) kept, %d rejected; first token %.1f s, %.1f s; tokens prompt=%d "
            "completion=%d total=%d%s",
            kind,
            plan.customer.id,
            outcome.mode,
            len(result.drafts),
            len(result.rejected),
            outcome.first_token or 0.0,
            outcome.elapsed,
            u.prompt_tokens,
            u.completion_tokens,
            u.total_tokens,
            " (estimated)" if u.estimated else "",
        )
        return result

    def _read(
        self,
        plan: DraftPlan,
        ctx: Context,
        outcome: Outcome,
        channel: str,
        count: int,
        given: FloorInput,
        english: bool,
    ) -> DrafterResult:
        text_max = schema.text_limit(channel)  # type: ignore[arg-type]
        cut = cut_reason(outcome)
        parsed = parse(outcome.content, text_max, count, cut=cut is not None)
        rejected: list[Violation] = []
        drafts = to_drafts(parsed.drafts, ctx, channel, plan.facts.all())
        kept, rejected = self.floor.check(drafts, given, meaning=english)
        rejected += [
            Violation(code="unusable_draft", detail=f"model {p}; dropped")
            for p in parsed.problems
            if p.startswith("draft ")
        ]
        if outcome.stopped == "deadline" and not kept:
            raise DrafterUnavailable(TIMED_OUT.format(offline=OFFLINE), usage=outcome.usage)
        if not drafts:
            why = outcome.refusal and "the model declined to write it"
            why = why or cut or "; ".join(p for p in parsed.problems if not p.startswith("draft ")) or None
            if why:
                rejected.append(Violation(code="unusable_draft", detail=f"no model draft: {why}"))
        elif cut or parsed.problems:
            log.info("model answer partly unusable: %s", "; ".join(filter(None, [cut, *parsed.problems])))
        reading = None
        if parsed.reading is not None:
            r = parsed.reading
            purpose = None if r.purpose == "none" else r.purpose
            reading = ModelReading(intent=r.intent, purpose=purpose, customer_message=r.customer_message or None)
        return DrafterResult(drafts=kept[:count], usage=outcome.usage, reading=reading, rejected=rejected)

    def floor_input(self, plan: DraftPlan, ctx: Context) -> FloorInput:
        return FloorInput(
            customer=plan.customer,
            question=plan.question,
            message=ctx.answers,
            related=ctx.related,
            tainted=(*ctx.tainted, *self.planted()),
            theirs=ctx.theirs,
            trusted=ctx.trusted,
            promise=ctx.promise,
        )

    @staticmethod
    def _allow_follow_up(plan: DraftPlan, ctx: Context, drafts: list[Draft]) -> None:
        """The one date a draft may promise without a source: when we will come back to them (as offline)."""
        promise = f"We will come back to you by {ctx.follow_up}."
        if any(ctx.follow_up in d.text for d in drafts) and promise not in plan.extra_facts:
            plan.extra_facts.append(promise)


def cut_reason(outcome: Outcome) -> str | None:
    """Why the answer ended before its JSON did, in words for staff (None: it ended normally)."""
    if outcome.stopped == "too_long":
        return "the answer ran longer than the schema allows and was cut off"
    if outcome.stopped == "deadline":
        return "the answer ran out of time (OPENAI_TIMEOUT)"
    if outcome.finish_reason == "length":
        return "the answer ran into the token limit"
    return None


def known_source(source: str, shown: frozenset[str]) -> bool:
    """Only ids the model was shown; a bare file path stands for any passage of that file."""
    return source in shown or any(s.split("#", 1)[0] == source for s in shown)


def to_drafts(items: list[schema.ModelDraft], ctx: Context, channel: str, passages: list[Passage]) -> list[Draft]:
    """Drafts on the plan's channel (never the model's choice), citing only what the model was shown."""
    drafts: list[Draft] = []
    for item in items:
        text = item.text.strip()
        if not text or any(d.text == text for d in drafts):
            continue
        cited = list(dict.fromkeys(s.strip() for s in item.sources))
        sources = [s for s in cited if known_source(s, ctx.sources)]
        if len(sources) < len(cited):
            log.info("dropped %d source id(s) the model was not shown", len(cited) - len(sources))
        if not sources:
            # When the model's citations were wrong or missing, cite the passages shown to it whose
            # facts the draft states; a draft with none is caught by the floor.
            sources = grounding(text, [p for p in passages if p.source in ctx.sources])
        drafts.append(Draft(text=text, channel=channel, sources=sources))  # type: ignore[arg-type]
    return drafts


def grounding(text: str, passages: list[Passage]) -> list[str]:
    """The passages whose checkable claims (amounts, dates, offers) the text repeats, else those it
    shares most content words with (at least three)."""
    said = claim_atoms(text)
    backed = [p.source for p in passages if said & claim_atoms(p.text)]
    if backed:
        return list(dict.fromkeys(backed))
    ranked = sorted(((overlap(text, p.text), p.source) for p in passages), reverse=True)
    return [source for shared, source in ranked[:2] if shared >= MIN_SHARED_WORDS]
