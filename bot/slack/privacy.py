"""Where customer data may appear (DESIGN.md principle 6, "Private by default").

- A channel shared with another organisation (Slack Connect) never gets a
  post: the asker gets the answer ephemerally, with the reason.
- With RAPPORT_ALLOWED_CHANNELS set, other channels are treated the same way.
  Direct messages with Rapport are always fine: only the asker is in them.
- People from another organisation get no customer data at all, not even
  ephemerally (Slack Connect lets them mention the bot or DM it).
- When Slack cannot tell us (an API error), we fail closed: ephemeral only, or
  no customer data. The person is told what actually happened, and a failed
  look-up is never cached: the next question asks Slack again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

SHARED_REASON = (
    "This channel is shared with another organisation (Slack Connect), "
    "so I never post customer details here: only you can see this answer."
)
NOT_ALLOWED_REASON = "Rapport isn't set up to post in this channel, so only you can see this answer."
UNKNOWN_REASON = (
    "Slack didn't answer when I checked who can see this channel, so I'm replying privately. "
    "Try again in a minute for an answer in the thread."
)
NOT_MEMBER_REASON = (
    "I'm not a member of this channel, so I can't check who can see it and I'm replying only to you. "
    "Invite me with `/invite @Rapport` to get answers in the thread."
)
NO_SCOPE_REASON = (
    "Rapport lacks the Slack permission to check who can see this channel, so I'm replying privately. "
    "An admin should reinstall the app from manifest.yml."
)
EXTERNAL_USER_REASON = "Sorry, Rapport only helps people in this workspace, so I can't share customer details with you."
PERSON_UNKNOWN_REASON = (
    "Slack didn't answer when I checked your account, so I can't show customer details just now. Try again in a minute."
)

Membership = Literal["member", "outsider", "unknown"]


def channel_reason(error: str | None) -> str:
    """Why a channel is answered privately when conversations.info failed, in words a person can act on."""
    if error in ("channel_not_found", "not_in_channel"):
        return NOT_MEMBER_REASON
    if error == "missing_scope":
        return NO_SCOPE_REASON
    return UNKNOWN_REASON


@dataclass(frozen=True)
class Verdict:
    public: bool  # may post in the channel (or the DM) where the question was asked
    reason: str | None = None  # why not, for the asker


def is_external(channel: dict[str, Any]) -> bool:
    """Shared with (or invited to) another organisation.

    `is_ext_shared`: Slack Connect. `is_pending_ext_shared`: an invitation is
    out, and once accepted the other side reads the history. `is_shared` without
    `is_org_shared` means shared with a workspace outside this Enterprise Grid
    org; `is_org_shared` alone stays inside the org and is fine.
    """
    if channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"):
        return True
    return bool(channel.get("is_shared")) and not channel.get("is_org_shared")


class TTLCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._items: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] < self.clock():
                return None
            return hit[1]

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[key] = (self.clock() + self.ttl, value)


class ChannelPolicy:
    """May Rapport post customer data in this channel? Sharing can change, so answers live one minute."""

    def __init__(self, allowed: Sequence[str] = (), ttl: float = 60) -> None:
        self.allowed = frozenset(allowed)
        self._cache = TTLCache(ttl)

    def check(self, client: WebClient, channel_id: str, is_dm: bool = False) -> Verdict:
        if is_dm or channel_id.startswith("D"):
            return Verdict(public=True)
        if self.allowed and channel_id not in self.allowed:
            return Verdict(public=False, reason=NOT_ALLOWED_REASON)
        cached = self._cache.get(channel_id)
        if isinstance(cached, Verdict):
            return cached
        verdict, known = self._look_up(client, channel_id)
        if known:  # a failed look-up is not an answer: ask Slack again next time
            self._cache.put(channel_id, verdict)
        return verdict

    @staticmethod
    def _look_up(client: WebClient, channel_id: str) -> tuple[Verdict, bool]:
        """(verdict, whether Slack answered)."""
        try:
            channel = client.conversations_info(channel=channel_id).get("channel") or {}
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("conversations.info %s failed (%s): answering ephemerally", channel_id, error)
            return Verdict(public=False, reason=channel_reason(error)), False
        except OSError as exc:  # the network, after slack_sdk's own retries
            log.warning("conversations.info %s failed (%s): answering ephemerally", channel_id, exc)
            return Verdict(public=False, reason=UNKNOWN_REASON), False
        return ChannelPolicy._verdict(channel), True

    @staticmethod
    def _verdict(channel: dict[str, Any]) -> Verdict:
        if channel.get("is_im"):
            return Verdict(public=True)
        if is_external(channel):
            return Verdict(public=False, reason=SHARED_REASON)
        return Verdict(public=True)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    team_id: str | None = None
    enterprise_id: str | None = None
    email: str | None = None
    is_stranger: bool = False


class People:
    """users.info, cached: names for "Log as sent" authors, teams for the same-organisation check."""

    def __init__(self, ttl: float = 3600) -> None:
        self._cache = TTLCache(ttl)

    def get(self, client: WebClient, user_id: str) -> Person | None:
        """The person, or None when Slack did not say (never cached: the next call asks again)."""
        cached = self._cache.get(user_id)
        if isinstance(cached, Person):
            return cached
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return None
        except OSError as exc:
            log.warning("users.info %s failed: %s", user_id, exc)
            return None
        profile = user.get("profile") or {}
        person = Person(
            id=user_id,
            name=profile.get("real_name") or user.get("real_name") or user.get("name") or user_id,
            team_id=user.get("team_id"),
            enterprise_id=(user.get("enterprise_user") or {}).get("enterprise_id"),
            email=profile.get("email"),
            is_stranger=bool(user.get("is_stranger")),
        )
        self._cache.put(user_id, person)
        return person

    def name(self, client: WebClient, user_id: str) -> str:
        person = self.get(client, user_id)
        return person.name if person else user_id

    def membership(
        self, client: WebClient, user_id: str, team_id: str | None, enterprise_id: str | None, hint: str | None = None
    ) -> Membership:
        """Is the user part of the organisation that installed Rapport? `unknown` when Slack did not say."""
        if hint is not None and hint == team_id:
            return "member"
        person = self.get(client, user_id)
        if person is None:
            return "unknown"
        if person.is_stranger:
            return "outsider"
        if person.team_id is not None and person.team_id == team_id:
            return "member"
        return "member" if enterprise_id is not None and person.enterprise_id == enterprise_id else "outsider"

    def is_member(
        self, client: WebClient, user_id: str, team_id: str | None, enterprise_id: str | None, hint: str | None = None
    ) -> bool:
        """Unknown means no (privacy fails closed); `refusal` says which it was."""
        return self.membership(client, user_id, team_id, enterprise_id, hint) == "member"

    def refusal(
        self, client: WebClient, user_id: str, team_id: str | None, enterprise_id: str | None, hint: str | None = None
    ) -> str | None:
        """None for a member; otherwise what to tell them: another organisation, or Slack did not answer."""
        found = self.membership(client, user_id, team_id, enterprise_id, hint)
        if found == "member":
            return None
        return EXTERNAL_USER_REASON if found == "outsider" else PERSON_UNKNOWN_REASON
