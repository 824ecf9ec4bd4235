"""The digest's buttons: draft for this customer (the ask flow), perk given, the chart to my DM.

Answers to a digest button are private wherever the digest was: the response_url of an ephemeral
digest, an ephemeral message in the weekly post's channel, or a modal over App Home.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.core.portfolio import DEFAULT_DAYS
from bot.knowledge.writer import NoteError
from bot.services.knowledge import UnknownCustomer
from bot.slack.answering import present
from bot.slack.cards import loading_blocks, suggestion_modal
from bot.slack.digest_blocks import AskState, PerkState
from bot.slack.errors import reported
from bot.slack.listeners.digest.common import send_chart
from bot.slack.payloads import BlockActions, SuggestionMeta, parse_state
from bot.slack.privacy import EXTERNAL_USER_REASON
from bot.slack.runtime import Runtime
from bot.slack.surface import EphemeralSurface, ResponseSurface, Surface, ThreadSurface, ViewSurface

EXPIRED = "That button no longer works. Run `/rapport digest` for a fresh list."
PERK_TTL = 86400.0  # a double click logs the perk once


def modal_id(payload: BlockActions, trigger_id: str) -> str:
    return f"rapport-digest-{payload.user.id}-{trigger_id}"[:255]


class DmSurface(ThreadSurface):
    """The person's DM with Rapport (chat.postMessage to a user id posts there): for App Home clicks
    that open no modal."""

    def __init__(self, client: WebClient, user: str) -> None:
        super().__init__(client, user, None, user)

    def tell(self, text: str) -> None:
        self.client.chat_postMessage(channel=self.user, text=text)


def private_surface(
    client: WebClient, respond: Respond, payload: BlockActions, trigger_id: str, modal: bool = False
) -> Surface:
    """Only the person who clicked sees the result."""
    user = payload.user.id
    container = payload.container
    if container.type == "view" and modal:
        meta = SuggestionMeta(q="").encode()
        return ViewSurface(client, user, meta, external_id=modal_id(payload, trigger_id))
    if container.type == "view":
        return DmSurface(client, user)
    if container.is_ephemeral or not container.channel_id:
        return ResponseSurface(client, payload.response_url, container.channel_id, user)
    thread = (payload.message or {}).get("thread_ts") or container.thread_ts
    return EphemeralSurface(client, container.channel_id, thread, user)


class DigestButtons:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def ack_ask(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """On App Home the answer needs a modal, which only a trigger_id fresh from this click can open."""
        ack()
        payload = BlockActions.model_validate(body)
        if payload.container.type == "view":
            meta = SuggestionMeta(q="").encode()
            external_id = modal_id(payload, str(body.get("trigger_id") or ""))
            view = suggestion_modal(loading_blocks(), meta, external_id=external_id)
            client.views_open(trigger_id=body.get("trigger_id"), view=view)

    def _start(
        self, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext, modal: bool = False
    ) -> tuple[BlockActions, Surface] | None:
        payload = BlockActions.model_validate(body)
        surface = private_surface(client, respond, payload, str(body.get("trigger_id") or ""), modal)
        user = payload.user
        if not self.rt.people.is_member(client, user.id, context.team_id, context.enterprise_id, user.team_id):
            surface.tell(EXTERNAL_USER_REASON)
            return None
        return payload, surface

    def ask(self, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        started = self._start(body, client, respond, context, modal=True)
        if started is None:
            return
        payload, surface = started
        state = parse_state(AskState, payload.action.value)
        if state is None:
            surface.tell(EXPIRED)
            return
        with reported(surface.tell, "digest ask", user=payload.user.id, customer=state.c):
            answer = self.rt.services.assistant.ask(state.q, customer_id=state.c, intent=state.i)
            present(self.rt, surface, answer, origin="digest")

    def perk_given(self, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        """Logged as history through the same path as `rapport note`, so it is not suggested again
        within its `every_days`."""
        started = self._start(body, client, respond, context)
        if started is None:
            return
        payload, surface = started
        state = parse_state(PerkState, payload.action.value)
        if state is None:
            surface.tell(EXPIRED)
            return
        key = f"perk:{state.c}:{state.p}:{self.rt.knowledge.today().isoformat()}"
        if not self.rt.dedup.first_time(key, ttl=PERK_TTL):
            surface.tell("That perk is already logged as given today.")
            return
        with reported(surface.tell, "perk given", user=payload.user.id, customer=state.c):
            try:
                customer = self.rt.knowledge.customer(state.c)
                channel = customer.contact.channels[0] if customer.contact.channels else "chat"
                author = f"{self.rt.people.name(client, payload.user.id)}, {payload.user.id}"
                result = self.rt.knowledge.add_note(state.c, f"Gave {state.p}.", channel, "out", author)
            except (UnknownCustomer, NoteError):
                self.rt.dedup.release(key)
                surface.tell("I couldn't log this: that customer is no longer in the knowledge folder.")
                return
            surface.tell(f"Logged: {state.p} given to {customer.display_name} (`{result.path}` line {result.line}).")

    def chart(self, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        started = self._start(body, client, respond, context)
        if started is None:
            return
        payload, surface = started
        days = int(payload.action.value) if payload.action.value.isdigit() else DEFAULT_DAYS
        with reported(surface.tell, "digest chart", user=payload.user.id):
            send_chart(self.rt, client, payload.user.id, days)
            if not isinstance(surface, DmSurface):  # from App Home the chart in the DM is the answer
                surface.tell("I sent the contact-health chart to our DM.")
