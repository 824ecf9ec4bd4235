"""Draft actions: the refinement menu (and buttons), *Log as sent*, and feedback.

A refinement or a *Log as sent* changes the message the draft is in, in place, when Slack sent that
message back with the click (threads, DMs, modals); on an ephemeral answer the refined draft comes
as a new private message and the log as a private note.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.core.answer import Answer, Draft
from bot.knowledge.writer import NoteError
from bot.services.feedback import FeedbackKind
from bot.services.knowledge import UnknownCustomer
from bot.slack.answering import answer_view, present, record_shown
from bot.slack.blocks import CHANNEL_LABELS, esc
from bot.slack.constants import ACTION_HELPFUL, REFINE_STYLES, REFINED_LABELS
from bot.slack.draft_blocks import logged_line, replace_draft, state_in
from bot.slack.errors import reported
from bot.slack.listeners.actions.where import action_surface, shown_blocks, shown_text
from bot.slack.payloads import BlockActions, DraftState, FeedbackState, MenuChoice, parse_state
from bot.slack.runtime import Runtime
from bot.slack.surface import Surface, raw

EXPIRED = "That button no longer works (it came from an older version of Rapport). Ask again for fresh drafts."
SENT_TTL = 90 * 86400.0  # a double click within 90 days logs once
NOTE_PREFIX = "Sent (drafted with Rapport): "
CUT_NOTE = " [the start of a longer draft: Slack buttons carry 2,000 characters]"
THANKS = {True: "Thanks: noted as helpful.", False: "Thanks: noted as not helpful. We'll learn from it."}


class DraftActions:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _start(
        self, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> tuple[BlockActions, Surface, str | None] | None:
        """The click, where to answer it, and a privacy notice; None when the person may not act here."""
        payload = BlockActions.model_validate(body)
        surface, notice = action_surface(self.rt, client, payload)
        user = payload.user
        refusal = self.rt.people.refusal(client, user.id, context.team_id, context.enterprise_id, user.team_id)
        if refusal:
            surface.tell(refusal)
            return None
        return payload, surface, notice

    # -- refinements --------------------------------------------------------------------

    def menu(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """The ⋯ menu: the draft's text is read from its *Log as sent* button in the message Slack sent back."""
        started = self._start(body, client, context)
        if started is None:
            return
        payload, surface, notice = started
        choice = parse_state(MenuChoice, payload.action.chosen)
        state = state_in(shown_blocks(payload), choice.d) if choice else None
        if choice is None or state is None or choice.s not in REFINED_LABELS:
            surface.tell(EXPIRED)
            return
        self._refine(payload, surface, notice, state, choice.s)

    def refine(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """A refinement button (ephemeral answers, and answers from earlier versions): the button carries the draft."""
        started = self._start(body, client, context)
        if started is None:
            return
        payload, surface, notice = started
        state = parse_state(DraftState, payload.action.value)
        if state is None:
            surface.tell(EXPIRED)
            return
        self._refine(payload, surface, notice, state, REFINE_STYLES[payload.action.action_id])

    def _refine(
        self, payload: BlockActions, surface: Surface, notice: str | None, state: DraftState, style: str
    ) -> None:
        with reported(surface.tell, f"refine {style}", user=payload.user.id, customer=state.c):
            draft = Draft(text=state.t, channel=state.ch)
            answer = self.rt.services.assistant.refine(state.c, state.q, draft, style, intent=state.i)
            label = f"Draft, {REFINED_LABELS[style]}"
            if not self._in_place(payload, surface, answer, state, label):
                present(self.rt, surface, answer, origin="refine", notice=notice, compact=True, label=label)

    def _in_place(self, payload: BlockActions, surface: Surface, answer: Answer, state: DraftState, label: str) -> bool:
        """Swap the draft for its refinement in the message (or modal) it is in."""
        current = shown_blocks(payload)
        if not current or not answer.drafts:
            return False
        blocks, text, ids = answer_view(self.rt, surface, answer, origin=state.o or "refine", compact=True, label=label)
        new_draft = [b for b in raw(blocks) if str(b.get("block_id") or "").startswith(f"d.{ids[0]}.")]
        updated = replace_draft(current, state.d, new_draft)
        if updated is None or not surface.update(updated, shown_text(payload, text)):
            return False
        record_shown(self.rt, surface, answer, ids[:1], "refine")
        for extra in answer.warnings:  # the model failed for this refinement: say so beside the message
            if extra.code == "llm_unavailable":
                surface.tell(esc(extra.message))
        return True

    # -- log as sent --------------------------------------------------------------------

    def log_sent(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        started = self._start(body, client, context)
        if started is None:
            return
        payload, surface, _notice = started
        state = parse_state(DraftState, payload.action.value)
        if state is None:
            surface.tell(EXPIRED)
            return
        user = payload.user.id
        key = f"sent:{state.d}"
        if not self.rt.dedup.first_time(key, ttl=SENT_TTL):
            surface.tell("This draft is already logged as sent.")
            return
        with reported(surface.tell, "log as sent", user=user, customer=state.c):
            try:
                author_name = self.rt.people.name(client, user)
                text = NOTE_PREFIX + state.t + (CUT_NOTE if state.x else "")
                result = self.rt.knowledge.add_note(state.c, text, state.ch, "out", f"{author_name}, {user}")
            except (UnknownCustomer, NoteError):
                self.rt.dedup.release(key)
                surface.tell("I couldn't log this: that customer is no longer in the knowledge folder.")
                return
            except Exception:
                self.rt.dedup.release(key)
                raise
            self.rt.feedback.record("sent", state.d, customer=state.c, user=user, channel=state.ch, origin=state.o)
            name = self.rt.knowledge.customer(state.c).name
            where = f"in {esc(name)}'s history (`{esc(str(result.path))}`, line {result.line})"
            line = logged_line(state, author_name, where)
            current = shown_blocks(payload)
            updated = replace_draft(current, state.d, [line.to_dict()], only=("act", "fb")) if current else None
            if updated is None or not surface.update(updated, shown_text(payload, "Rapport: logged as sent.")):
                how = CHANNEL_LABELS.get(state.ch, state.ch)
                surface.tell(f":white_check_mark: Logged as sent by {how} {where}.")

    # -- feedback -----------------------------------------------------------------------

    def feedback(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """Slack's feedback buttons: recorded; the buttons show the choice themselves, so no message."""
        started = self._start(body, client, context)
        if started is None:
            return
        payload, surface, _notice = started
        vote = parse_state(FeedbackState, payload.action.value)
        if vote is None:
            surface.tell(EXPIRED)
            return
        with reported(surface.tell, "feedback", user=payload.user.id):
            self.rt.feedback.record(vote.v, vote.d, customer=vote.c or None, user=payload.user.id, origin=vote.o)

    def vote(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """👍 / 👎 buttons (modals, and answers from earlier versions): recorded, and thanked."""
        started = self._start(body, client, context)
        if started is None:
            return
        payload, surface, _notice = started
        helpful = payload.action.action_id == ACTION_HELPFUL
        vote = parse_state(FeedbackState, payload.action.value)
        old = parse_state(DraftState, payload.action.value) if vote is None else None
        if vote is None and old is None:
            surface.tell(EXPIRED)
            return
        draft_id, customer, origin = (vote.d, vote.c, vote.o) if vote else (old.d, old.c, old.o)  # type: ignore[union-attr]
        with reported(surface.tell, "feedback", user=payload.user.id):
            kind: FeedbackKind = "helpful" if helpful else "not_helpful"
            self.rt.feedback.record(kind, draft_id, customer=customer or None, user=payload.user.id, origin=origin)
            surface.tell(THANKS[helpful])
