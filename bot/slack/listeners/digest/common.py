"""What the digest's listeners share: the digest itself (one per snapshot, day and window), whose
customers are whose, and the chart sent to a person's DM."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from bot.core.portfolio import DEFAULT_DAYS, Digest, DigestEntry
from bot.services.digest import build_digest, health_points
from bot.slack.runtime import Runtime

log = logging.getLogger(__name__)
CHART_NAME = "contact-health.png"

_lock = threading.Lock()
_cache: dict[tuple[int, str, int], Digest] = {}


def current_digest(rt: Runtime, days: int = DEFAULT_DAYS) -> Digest:
    """The digest of the current snapshot: everyone opening App Home at once computes it once."""
    snap, today = rt.knowledge.snapshot(), rt.knowledge.today()
    key = (id(snap), today.isoformat(), days)
    with _lock:
        if key in _cache:
            return _cache[key]
    digest = build_digest(snap, today, days)
    with _lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = digest
    return digest


def is_mine(entry: DigestEntry, user_id: str, first_name: str | None) -> bool:
    """They wrote our latest `out` entry: 'Log as sent' records 'Name, U123'; people write 'Sam'."""
    author = (entry.last_author or "").strip()
    if not author:
        return False
    if user_id in author:
        return True
    first = author.replace(",", " ").split()[0].lower()
    return first_name is not None and first == first_name.lower()


def mine(rt: Runtime, client: WebClient, user_id: str, digest: Digest) -> list[str]:
    person = rt.people.get(client, user_id)
    first = person.name.split()[0] if person and person.name else None
    return [e.id for e in digest.customers if is_mine(e, user_id, first)]


def send_chart(rt: Runtime, client: WebClient, user_id: str, days: int = DEFAULT_DAYS) -> str:
    """Draw contact health and upload it to the person's DM with Rapport; returns the DM's channel id."""
    from bot.charts import health_chart  # matplotlib loads only when a chart is asked for

    snap, today = rt.knowledge.snapshot(), rt.knowledge.today()
    png = health_chart(health_points(snap, today, days), today)
    dm = str((client.conversations_open(users=user_id).get("channel") or {}).get("id") or "")
    if not dm:
        raise RuntimeError("conversations.open gave no channel")
    client.files_upload_v2(
        channel=dm,
        file=png,
        filename=CHART_NAME,
        title=f"Contact health on {today.isoformat()}",
        alt_txt="Days since last contact against each customer's window: overdue, due, too soon, reply only.",
        initial_comment=f"Contact health on {today.isoformat()}: days since last contact against each "
        "customer's window (black tick). Only you got this.",
    )
    log.info("contact-health chart sent to %s (%d bytes)", user_id, len(png))
    return dm
