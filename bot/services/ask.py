"""The answer to a staff member's question: the one service the CLI and Slack both call.

Rules decide consent, cadence, channels and content; a language model (when
configured) only words the drafts, and the guard checks every draft either way.
"""

from __future__ import annotations

import logging
import re
import threading

from bot.core.answer import Answer, Candidate, CustomerRef, Draft, GuardReport, Warning
from bot.core.drafting import NO_PROGRESS, STYLES, Drafter, DrafterUnavailable, Progress, Style
from bot.core.plan import DraftPlan, Reading
from bot.guard import GuardContext, customer_backing, guard_drafts
from bot.knowledge.models import Channel, Customer
from bot.services import content
from bot.services.cadence import consent_warnings, contact_state
from bot.services.drafts import compose, follow_up_promise, holding_reply, restyle
from bot.services.intent import Intent, Request, classify
from bot.services.knowledge import Knowledge, Snapshot
from bot.services.lookup import Match
from bot.services.retrieval import gather, latest_inbound_entry
from bot.services.text import capitalised_words, fold

log = logging.getLogger(__name__)
CPU_SLOTS = 1


ASK_DESCRIPTION_MIN = 0.5  # a description-only match this weak is not enough to draft for someone
STRONG_NAME = 0.6
ADDRESSED_RE = re.compile(
    r"\b(?:reply to|respond to|answer|write to|email|e-mail|text|call|ring|message|tell|get back to|follow up with"
    r"|check in with|reach out to|contact|for|draft (?:a reply |something )?(?:to|for))\s*$"
)


def _separately_named(question: str, matches: list[Match]) -> list[Match]:
    """Two customers each named in their own words ("reply to Zoë, José had the same issue").

    The one the question addresses ("reply to Zoë") is returned alone; with no such cue, all of them
    (ambiguous). Empty when only one customer is named: "Jane Okafor" also matching the other Jane by
    her first name is the same words, not a second person.
    """
    top = matches[0]
    if top.matched == "description" or not top.named_by:
        return []
    capitals = capitalised_words(question)  # "frank feedback" names nobody; "Frank" might
    named = [top] + [
        m
        for m in matches[1:]
        if m.matched not in ("description", "id", "email")
        and m.named_by
        and m.named_by <= capitals
        and not (m.named_by & top.named_by)
        and m.score >= STRONG_NAME
    ]
    if len(named) == 1:
        return []
    earliest = min(named, key=lambda m: m.position)
    text = fold(question)
    starts = [found.start() for w in earliest.named_by if (found := re.search(rf"\b{re.escape(w)}\b", text))]
    before = text[: min(starts, default=0)]
    return [earliest] if ADDRESSED_RE.search(before) else named


def customer_ref(c: Customer) -> CustomerRef:
    return CustomerRef(id=c.id, name=c.name, preferred_name=c.display_name)


class Assistant:
    def __init__(self, knowledge: Knowledge, drafter: Drafter | None = None, cpu_slots: int = CPU_SLOTS) -> None:
        self.knowledge = knowledge
        self.drafter = drafter
        # The rules, retrieval and guard are CPU work; the model call is waiting on the network. Many
        # answers may wait on the model at once, but only one computes at a time: with the GIL, more
        # would only queue behind each other and starve the threads that must ack Slack within 3 s
        # (50 concurrent mentions: ack p99 1.3 s with no gate, 0.34 s with 2 slots, 0.24 s with 1).
        self._cpu = threading.BoundedSemaphore(cpu_slots)

    # -- identify -------------------------------------------------------------------

    def identify(self, question: str, customer_id: str | None, context: str, answer: Answer) -> Customer | None:
        snap = self.knowledge.snapshot()
        if customer_id:
            found = snap.kb.customers.get(customer_id)
            if found is None:
                answer.warnings.append(
                    Warning(code="customer_not_found", message=f"There is no customer with id '{customer_id}'.")
                )
            return found
        matches = snap.finder.find(question)
        if context.strip() and (not matches or matches[0].matched == "description"):
            # A bare "what should I reply?" matches someone weakly by meaning; a name, email or id in
            # the thread (the customer's pasted message, an earlier mention) is better evidence.
            in_context = snap.finder.find(context)
            named = [m for m in in_context if m.matched != "description"]
            if named:
                matches = named
            elif not matches:
                matches = in_context
        if matches and matches[0].matched == "description" and matches[0].score < ASK_DESCRIPTION_MIN:
            matches = []  # "can you draft a reply?" is close to everyone a little: that is no one
        if not matches:
            answer.warnings.append(
                Warning(
                    code="customer_not_found",
                    message="I couldn't tell which customer this is about. Try their name, email or company.",
                )
            )
            return None
        ties = [m for m in matches if m.tie]
        tied = ties or _separately_named(question, matches)
        if len(tied) > 1:
            answer.candidates = [Candidate(id=m.customer.id, name=m.customer.name, score=m.score) for m in tied]
            names = ", ".join(f"{m.customer.name} ({m.customer.id})" for m in tied)
            message = (
                f"Several customers match equally well: {names}."
                if ties
                else f"The question names several customers: {names}. Ask about one at a time."
            )
            answer.warnings.append(Warning(code="ambiguous_customer", message=message))
            return None
        if len(tied) == 1:
            return tied[0].customer
        return matches[0].customer

    # -- answer ---------------------------------------------------------------------

    def ask(
        self,
        question: str,
        customer_id: str | None = None,
        context: str = "",
        intent: Intent | None = None,
        progress: Progress = NO_PROGRESS,
    ) -> Answer:
        """`intent="reply"` when the question is the customer's own message (the Slack shortcut)."""
        answer = Answer(question=question)
        with self._cpu:
            customer = self.identify(question, customer_id, context, answer)
            if customer is None:
                return answer
            plan = self.plan(customer, question, answer, intent, in_thread=bool(context.strip()))
            may_draft = self._may_draft(customer, plan, answer)
        drafts = self._drafts(plan, answer, progress) if may_draft else []
        with self._cpu:
            answer.drafts, answer.guard = self.guard(plan, drafts)
        if answer.mode == "llm" and drafts and not answer.drafts:
            # Every model draft broke a rule: offer the offline drafts rather than nothing.
            offline, report = self.guard(plan, compose(plan))
            answer.mode, answer.drafts = "offline", offline
            answer.guard.checked += report.checked
            answer.guard.dropped += report.dropped
            answer.guard.violations += report.violations
            answer.warnings.append(
                Warning(
                    code="llm_unavailable",
                    message="The language model's drafts broke the rules (see guard); these drafts were made offline.",
                )
            )
        if may_draft and plan.intent == "reply" and drafts and not answer.drafts:
            # Every draft broke a rule, but their own question still deserves an answer: an honest holding reply.
            holding, report = self.guard(plan, [holding_reply(plan)])
            answer.mode, answer.drafts = "offline", holding
            answer.guard.checked += report.checked
            answer.guard.violations += report.violations
        return answer

    def plan(
        self, customer: Customer, question: str, answer: Answer, intent: Intent | None = None, in_thread: bool = False
    ) -> DraftPlan:
        snap = self.knowledge.snapshot()
        today = self.knowledge.today()
        request = classify(question, customer, intent, in_thread)
        answer.customer = customer_ref(customer)
        answer.intent = request.intent
        answer.warnings += consent_warnings(customer, today, proactive=request.intent == "outreach")
        answer.cadence = contact_state(customer, today).as_cadence(customer.contact.frequency)
        channel = self._channel(customer, request, answer)
        answer.content_ideas = content.suggest(customer, snap.kb.content, question, snap.finder.store)
        facts = gather(customer, question, snap.finder.store)
        reply_within, reply_source = snap.response_time or (2, None)
        return DraftPlan(
            customer=customer,
            channel=channel or "email",
            reading=Reading(intent=request.intent, channel=request.channel, foreign=request.foreign),
            question=question,
            facts=facts,
            ideas=answer.content_ideas,
            today=today,
            reply_within=reply_within,
            reply_source=reply_source,
        )

    def _channel(self, customer: Customer, request: Request, answer: Answer) -> Channel | None:
        allowed = customer.contact.channels
        if request.foreign:
            answer.warnings.append(
                Warning(
                    code="channel_not_allowed",
                    message=f"{request.foreign.capitalize()} is not a channel customers can allow here; "
                    f"{customer.display_name} allows {', '.join(allowed) or 'none'}.",
                )
            )
        elif request.channel and request.channel not in allowed:
            answer.warnings.append(
                Warning(
                    code="channel_not_allowed",
                    message=f"{customer.display_name} has not allowed {request.channel}; "
                    f"allowed: {', '.join(allowed) or 'none'}.",
                )
            )
        elif request.channel:
            return request.channel
        if request.intent == "reply":
            entry = latest_inbound_entry(customer)
            if entry and entry.channel in allowed:
                return entry.channel  # type: ignore[return-value]
        return allowed[0] if allowed else None

    def _may_draft(self, customer: Customer, plan: DraftPlan, answer: Answer) -> bool:
        if not customer.contact.channels:
            return False
        if plan.intent == "reply":
            return True
        # Proactive outreach: consent and cadence come first; the warnings already say why.
        state = contact_state(customer, plan.today)
        return state.accepts_outreach and not state.too_soon

    def _drafts(self, plan: DraftPlan, answer: Answer, progress: Progress = NO_PROGRESS) -> list[Draft]:
        if self.drafter is not None:
            try:
                result = self.drafter.draft(plan, progress)
            except DrafterUnavailable as exc:
                answer.warnings.append(Warning(code="llm_unavailable", message=str(exc)))
            else:
                if result.drafts:
                    answer.mode, answer.usage = "llm", result.usage
                    return result.drafts
                answer.warnings.append(
                    Warning(
                        code="llm_unavailable", message="The language model gave no usable draft; these are offline."
                    )
                )
        return compose(plan)

    # -- refine ---------------------------------------------------------------------

    def refine(
        self, customer_id: str, question: str, draft: Draft, style: Style, intent: Intent | None = None
    ) -> Answer:
        """Redo one draft in another style with the same facts and rules (the Slack buttons call this)."""
        if style not in STYLES and not style.startswith("language:"):
            raise ValueError(f"unknown style '{style}'; use one of {', '.join(STYLES)} or language:<name>")
        answer = Answer(question=question)
        with self._cpu:
            customer = self.identify(question, customer_id, "", answer)
            if customer is None:
                return answer
            plan = self.plan(customer, question, answer, intent)
            if not self._may_draft(customer, plan, answer):
                return answer
            if plan.intent == "reply":
                follow_up_promise(plan)  # the original may have promised it; the guard must know it is ours
        draft = draft.model_copy(
            update={"channel": plan.channel if draft.channel not in customer.contact.channels else draft.channel}
        )
        result: list[Draft] | None = None
        if self.drafter is not None:
            try:
                got = self.drafter.refine(plan, draft, style)
            except DrafterUnavailable as exc:
                answer.warnings.append(Warning(code="llm_unavailable", message=str(exc)))
            else:
                if got.drafts:
                    answer.mode, answer.usage, result = "llm", got.usage, got.drafts[:1]
        if result is None:
            if style.startswith("language:"):
                language = style.split(":", 1)[1]
                message = f"Writing in {language} needs the language model; here is the draft as it was."
                answer.warnings.append(Warning(code="llm_unavailable", message=message))
            result = [restyle(plan, draft, style)]
        answer.drafts, answer.guard = self.guard(plan, result)
        return answer

    def guard(self, plan: DraftPlan, drafts: list[Draft]) -> tuple[list[Draft], GuardReport]:
        snap = self.knowledge.snapshot()
        return guard_drafts(drafts, self.guard_context(snap, plan))

    @staticmethod
    def guard_context(snap: Snapshot, plan: DraftPlan) -> GuardContext:
        """What backs a draft, by trust (bot/guard/context.py): the playbook's customer-facing text (never
        `## Staff only`) and the customer's facts bind; our history and notes back dates and counts; their
        messages back only their own dates, counts and amounts; the follow-up promise backs only a
        follow-up; links come from the content library. Content titles back nothing."""
        binding = [p.text for p in plan.facts.answer] + [doc.public_text for doc in snap.kb.playbook]
        links = [i.url for i in plan.ideas if i.url] + [item.url for item in snap.kb.content if item.url]
        backing = customer_backing(
            plan.customer,
            binding=binding,
            promises=plan.extra_facts,
            links=links,
            pasted=[plan.message.text] if plan.message else [],
        )
        return GuardContext(customer=plan.customer, backing=backing, identities=snap.identities)
