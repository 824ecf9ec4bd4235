"""The answer to a staff member's question: the one service the CLI and Slack both call.

Read the request once (reading.py), choose the facts that answer it (facts.py), let the rules
decide consent, cadence, channel and purpose, then draft (a language model when configured,
else offline) and guard every draft.
"""

from __future__ import annotations

import logging
import threading

from bot.core.answer import Answer, CustomerRef, Draft, Fact, GuardReport, MessageRef, ReadingInfo, Warning
from bot.core.drafting import NO_PROGRESS, STYLES, Drafter, DrafterUnavailable, Progress, Style
from bot.core.plan import Backing, DraftPlan, Facts, Intent, Passage, Reading
from bot.guard import GuardContext, body_sentences, guard_drafts, unbacked_offers
from bot.knowledge.models import Channel, Customer
from bot.services import content
from bot.services.cadence import consent_warnings, contact_state, unanswered_warning
from bot.services.drafts import compose, follow_up_promise, holding_reply, restyle, says_something
from bot.services.facts import customer_fact_passages
from bot.services.identify import identify
from bot.services.knowledge import Knowledge, Snapshot
from bot.services.perks import perk_for, renewal_of
from bot.services.reading import Reader, answers_entry, channel_of, unanswered_entry
from bot.services.retrieval import history_passages, topic_of
from bot.services.stage import relationship

log = logging.getLogger(__name__)
CPU_SLOTS = 1
RENEWAL_QUERY = "renewing: the renewal price, notice period and terms"
REMEDY_QUERY = "What we do to put it right: replace, refund, credit or repair."


SHORT_MESSAGE = 8  # words: a message this short ("the grind is wrong again") is read with its history


def background_of(message: str | None, history: list[Passage]) -> str:
    """The customer's own earlier words on the subject, for a message too short to say what it is about."""
    if message is None or len(message.split()) >= SHORT_MESSAGE:
        return ""
    theirs = [p for p in history if p.direction == "in" and p.score > 0]
    return max(theirs, key=lambda p: p.score).text if theirs else ""


def customer_ref(c: Customer) -> CustomerRef:
    return CustomerRef(id=c.id, name=c.name, preferred_name=c.display_name)


def facts_for_staff(facts: Facts) -> list[Fact]:
    shown = [Fact(text=p.text, source=p.source) for p in [*facts.answer, *facts.related]]
    shown += [Fact(text=p.text, source=p.source) for p in facts.customer]
    shown += [Fact(text=p.text, source=p.source, staff_only=True) for p in facts.staff]
    return shown


class Assistant:
    def __init__(self, knowledge: Knowledge, drafter: Drafter | None = None, cpu_slots: int = CPU_SLOTS) -> None:
        self.knowledge = knowledge
        self.drafter = drafter
        # The rules, retrieval and guard are CPU work; the model call is waiting on the network. Many
        # answers may wait on the model at once, but only one computes at a time: with the GIL, more
        # would only queue behind each other and starve the threads that must ack Slack within 3 s
        # (50 concurrent mentions: ack p99 1.3 s with no gate, 0.34 s with 2 slots, 0.24 s with 1).
        self._cpu = threading.BoundedSemaphore(cpu_slots)

    def reader(self, snap: Snapshot) -> Reader:
        perks = [perk.name for doc in snap.kb.playbook for perk in doc.perks]
        return Reader(snap.meaning, perks=perks, titles=[item.title for item in snap.kb.content])

    # -- answer ---------------------------------------------------------------------

    def ask(
        self,
        question: str,
        customer_id: str | None = None,
        context: str = "",
        intent: Intent | None = None,
        progress: Progress = NO_PROGRESS,
        shortcut: bool = False,
    ) -> Answer:
        """`intent` is set when staff say how to read the request; `shortcut`: the question is the
        customer's own message (the Slack shortcut), so it is always answered as a reply."""
        try:
            return self._ask(question, customer_id, context, intent, progress, shortcut)
        finally:
            self.knowledge.answered()

    def _ask(
        self,
        question: str,
        customer_id: str | None,
        context: str,
        intent: Intent | None,
        progress: Progress,
        shortcut: bool,
    ) -> Answer:
        answer = Answer(question=question)
        with self._cpu:
            snap = self.knowledge.snapshot()
            customer = identify(snap, question, customer_id, context, answer)
            if customer is None:
                self._fact_question(snap, question, customer_id, answer)
                return answer
            progress.status(f"Reading {customer.display_name}'s history…")
            plan = self.plan(customer, question, answer, intent, context, shortcut)
            may_draft = self._may_draft(plan, answer)
        if may_draft:
            progress.status(f"Writing a draft for {customer.display_name}…")
        drafts = self._drafts(plan, answer, progress) if may_draft else []
        with self._cpu:
            rejected = answer.guard.violations  # model drafts the quality floor dropped (unusable_draft)
            answer.drafts, answer.guard = self.guard(plan, drafts)
            answer.guard.violations[:0] = rejected
        if answer.mode == "llm" and drafts and not answer.drafts:
            # Every model draft broke a rule: offer the offline drafts rather than nothing.
            self._add_guarded(plan, compose(plan), answer, replace=True)
            answer.mode = "offline"
            answer.warnings.append(
                Warning(
                    code="llm_unavailable",
                    message="The language model's drafts broke the rules (see guard); these drafts were made offline.",
                )
            )
        if may_draft and plan.intent == "reply" and not answer.drafts:
            # Every draft broke a rule, but their own question still deserves an answer: an honest holding reply.
            self._add_guarded(plan, [holding_reply(plan)], answer, replace=True)
            answer.mode = "offline"
        return answer

    def _add_guarded(self, plan: DraftPlan, drafts: list[Draft], answer: Answer, replace: bool) -> None:
        kept, report = self.guard(plan, drafts)
        answer.drafts = kept if replace else [*answer.drafts, *kept]
        answer.guard.checked += report.checked
        answer.guard.dropped += report.dropped
        answer.guard.violations += report.violations

    def _fact_question(self, snap: Snapshot, question: str, customer_id: str | None, answer: Answer) -> None:
        """No customer: when the question names nobody and the playbook answers it, it asks a fact."""
        if customer_id or answer.candidates or snap.finder.names_someone(question):
            return
        if self.reader(snap).asks_for_a_draft(question):
            return  # "can you draft a reply?" asks for a draft, not a fact: for whom is the question
        facts = snap.facts.choose(None, topic_of(question, None), None)
        if not facts.answer and not facts.related and not facts.staff:
            return
        answer.intent = "fact"
        if facts.answer:
            answer.reading = ReadingInfo(why="the question names no customer and the playbook answers it")
        else:  # on the subject at most: say so rather than pass them off as the answer
            answer.reading = ReadingInfo(
                why="the question names no customer; nothing in the playbook answers it", sure=False
            )
            answer.notes.append(
                "Nothing in the knowledge folder answers this; the facts shown are the closest it has. "
                "Check before telling a customer, and add the answer to the playbook if it is a common question."
            )
        answer.facts = facts_for_staff(facts)
        answer.warnings = [w for w in answer.warnings if w.code != "customer_not_found"]

    def plan(
        self,
        customer: Customer,
        question: str,
        answer: Answer,
        intent: Intent | None = None,
        context: str = "",
        shortcut: bool = False,
    ) -> DraftPlan:
        snap = self.knowledge.snapshot()
        today = self.knowledge.today()
        unanswered = unanswered_entry(customer)
        reading = self.reader(snap).read(
            question, customer, context=context, intent=intent, unanswered=unanswered, shortcut=shortcut
        )
        answer.customer = customer_ref(customer)
        answer.intent, answer.purpose = reading.intent, reading.purpose
        answer.reading = _reading_info(reading)
        # An unsure reading is answered as a reply, with what outreach now would mean shown beside it.
        proactive = reading.intent == "outreach" or not reading.sure
        answer.warnings += consent_warnings(customer, today, proactive=proactive)
        if unanswered is not None:
            answer.warnings.append(unanswered_warning(customer, unanswered, today))
            if reading.intent == "reply" and intent is None and "also reads as" in reading.why:
                answer.notes.append(
                    "This answers their unanswered message first; to reach out instead, ask with --outreach."
                )
        answer.cadence = contact_state(customer, today).as_cadence(customer.contact.frequency)
        relationship(answer, customer, snap, today)  # the stage, and a VIP's perk (services/stage.py)
        channel = self._channel(customer, reading, answer)
        answer.content_ideas = content.suggest(customer, snap.kb.content, question, snap.finder.store)
        message = reading.message.text if reading.message else None
        topic = topic_of(question, customer)
        history = history_passages(customer, message or topic, snap.finder.store)
        if reading.intent == "outreach":
            # Outreach answers no question: the renewal's terms, else only what we know of them. A request
            # to offer something asks whether it may be offered: staff see what the playbook says of it.
            renewal = reading.purpose == "renewal"
            playbook = renewal or reading.purpose == "perk"
            facts = snap.facts.choose(None, RENEWAL_QUERY if renewal else topic, customer, playbook=playbook)
        else:
            complaint = self.reader(snap).complaint(message or "")
            # A complaint is answered with the remedy the playbook offers: ask for it by what it does.
            ask = f"{message}. {REMEDY_QUERY}" if complaint and message else topic
            facts = snap.facts.choose(message, ask, customer, background=background_of(message, history))
        facts.history = history
        reply_within, reply_source = snap.response_time or (2, None)
        plan = DraftPlan(
            customer=customer,
            channel=channel or "email",
            reading=reading,
            question=question,
            facts=facts,
            ideas=answer.content_ideas,
            today=today,
            complaint=reading.intent == "reply" and self.reader(snap).complaint(message or ""),  # cached vectors
            reply_within=reply_within,
            reply_source=reply_source,
        )
        if reading.intent == "reply" and unanswered is not None and answers_entry(reading, unanswered):
            plan.waiting_since = unanswered.date
        if reading.purpose == "renewal":
            plan.renewal = renewal_of(customer, today)
            if plan.renewal is None:
                answer.notes.append("No coming date in their facts (e.g. renewal_date): the draft gives none.")
        if reading.purpose == "perk":
            self._perk(snap, plan, answer)
        answer.facts = facts_for_staff(facts)
        if reading.intent == "reply":
            answer.notes += [f"Check before sending: {ask}" for ask in facts.uncovered]
        return plan

    def _perk(self, snap: Snapshot, plan: DraftPlan, answer: Answer) -> None:
        """The perk a request to offer one asks for. What it asks to offer is weighed as a draft's claim
        would be: an offer nothing customer-facing backs ("a 10% discount") is not drafted, and no other
        perk is offered in its place."""
        asked = [] if plan.reading.perk else unbacked_offers(plan.question, self.guard_context(snap, plan))
        if asked:
            declared = [perk.name for doc in snap.kb.playbook for perk in doc.perks]
            perks = f" The perks it declares: {'; '.join(declared)}." if declared else ""
            answer.notes.append(
                f"Nothing customer-facing in the folder backs offering {', '.join(repr(a) for a in asked)}, "
                f"so no draft offers it.{perks}"
            )
            return
        plan.perk, why_not = perk_for(plan.customer, snap.kb.playbook, plan.today, wanted=plan.reading.perk)
        if why_not:
            answer.notes.append(why_not)

    def _channel(self, customer: Customer, reading: Reading, answer: Answer) -> Channel | None:
        allowed = customer.contact.channels
        if reading.foreign:
            answer.warnings.append(
                Warning(
                    code="channel_not_allowed",
                    message=f"{reading.foreign.capitalize()} is not a channel customers can allow here; "
                    f"{customer.display_name} allows {', '.join(allowed) or 'none'}.",
                )
            )
        elif reading.channel and reading.channel not in allowed:
            answer.warnings.append(
                Warning(
                    code="channel_not_allowed",
                    message=f"{customer.display_name} has not allowed {reading.channel}; "
                    f"allowed: {', '.join(allowed) or 'none'}.",
                )
            )
        elif reading.channel:
            return reading.channel
        if reading.intent == "reply" and (back := channel_of(reading.message, allowed)):
            return back
        return allowed[0] if allowed else None

    def _may_draft(self, plan: DraftPlan, answer: Answer) -> bool:
        customer = plan.customer
        if not customer.contact.channels:
            return False
        if plan.intent == "reply":
            return True
        # Proactive outreach: consent and cadence come first; the warnings already say why.
        state = contact_state(customer, plan.today)
        if not state.accepts_outreach or state.too_soon:
            return False
        return plan.purpose != "perk" or plan.perk is not None

    def _drafts(self, plan: DraftPlan, answer: Answer, progress: Progress = NO_PROGRESS) -> list[Draft]:
        if self.drafter is not None:
            try:
                result = self.drafter.draft(plan, progress)
            except DrafterUnavailable as exc:
                answer.usage = exc.usage
                answer.warnings.append(Warning(code="llm_unavailable", message=str(exc)))
            else:
                answer.usage = result.usage
                answer.guard.violations += result.rejected
                if result.reading and result.reading.intent != plan.intent:
                    answer.reading.why += f" (the model read it as {result.reading.intent})"
                if result.drafts:
                    answer.mode = "llm"
                    return result.drafts
                why = "the model's drafts were not usable (see guard)" if result.rejected else "no usable draft"
                answer.warnings.append(
                    Warning(code="llm_unavailable", message=f"The language model gave {why}; these are offline.")
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
            snap = self.knowledge.snapshot()
            customer = identify(snap, question, customer_id, "", answer)
            if customer is None:
                return answer
            plan = self.plan(customer, question, answer, intent)
            if not self._may_draft(plan, answer):
                return answer
            if plan.intent == "reply":
                follow_up_promise(plan)  # the original may have promised it; the guard must know it is ours
                follow_up_promise(plan, "the rest")
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
            result = [restyle(plan, draft, style, body_sentences(draft.text))]
        answer.drafts, answer.guard = self.guard(plan, result)
        return answer

    # -- guard ----------------------------------------------------------------------

    def guard(self, plan: DraftPlan, drafts: list[Draft]) -> tuple[list[Draft], GuardReport]:
        snap = self.knowledge.snapshot()
        kept, report = guard_drafts(drafts, self.guard_context(snap, plan))
        hollow = [d for d in kept if not says_something(d)]  # only its framing was left ("Just reply to…")
        report.dropped += len(hollow)
        return [d for d in kept if d not in hollow], report

    @staticmethod
    def backing(snap: Snapshot, plan: DraftPlan) -> Backing:
        """What this plan's drafts may rest on, by trust (DESIGN.md "Honest"; core.plan.Backing)."""
        c = plan.customer
        binding = [*snap.binding, *(p.text for p in customer_fact_passages(c))]
        ours = [e.text for e in c.history if e.direction == "out"] + [c.notes_text]
        theirs = [e.text for e in c.history if e.direction == "in"]
        if plan.message and plan.message.origin != "history":
            theirs.append(plan.message.text)
        links = [i.url for i in snap.kb.content if i.url]
        return Backing(
            binding=tuple(binding),
            ours=tuple(ours),
            theirs=tuple(theirs),
            promises=tuple(plan.extra_facts),
            links=tuple(links),
        )

    @classmethod
    def guard_context(cls, snap: Snapshot, plan: DraftPlan) -> GuardContext:
        """The guard weighs each source by trust (bot/guard/context.py): offers, prices and links rest only
        on `binding`; content titles back nothing, their URLs are in `links`."""
        return GuardContext(customer=plan.customer, backing=cls.backing(snap, plan), identities=snap.identities)


def _reading_info(reading: Reading) -> ReadingInfo:
    message = reading.message
    ref = MessageRef(text=message.text, origin=message.origin, source=message.source) if message else None
    return ReadingInfo(why=reading.why, sure=reading.sure, message=ref)
