"""Segments ("clustomers"): groups of customers who want the same things, found by k-means (scikit-learn).

Each customer is one vector: the mean of their interests' vectors and the mean of their history
entries' vectors (both all-MiniLM-L6-v2; history vectors read from the index), weighted 3:2 and
normalised. k (2 to 12) is the one with the best silhouette. Each segment is named from its most
telling interests (held by a quarter of it or more, weighted by how much more common they are in it
than overall), and lists the library content that fits it, counted against each member's consent
(content.blocked_reason, and no content at all for `never` or opted out), and who in it is due.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from bot.core.portfolio import DEFAULT_DAYS, ContentFit, DigestEntry, MemberRef, SegmentReport, Segments
from bot.knowledge.models import ContentItem, Customer
from bot.services.cadence import contact_state
from bot.services.content import Told, blocked_reason, mentions
from bot.services.digest import DigestBuilder
from bot.services.knowledge import Snapshot
from bot.services.meaning import Vectors
from bot.services.signals import HistoryVectors, history_vectors
from bot.services.stage import Stager

INTEREST_WEIGHT, HISTORY_WEIGHT = 0.6, 0.4
MAX_K = 12
MIN_PER_SEGMENT = 3
SILHOUETTE_SAMPLE = 2000
NAME_SHARE = 0.25  # an interest names a segment only when at least this share of it holds it
FIT_MIN = 0.3  # cosine similarity to the segment's interests (plus 0.3 when it names a top interest)
CANDIDATES = 6  # content items checked against every member, per segment
SHOWN_CONTENT = 3
SHOWN_DUE = 8
NO_OUTREACH = "no outreach: never, or opted out"


def _interest(text: str) -> str:
    return " ".join(text.lower().split())


def features(snap: Snapshot, customers: list[Customer], history: HistoryVectors) -> Vectors:
    dim = 384
    names = sorted({_interest(i) for c in customers for i in c.interests})
    by_name = dict(zip(names, snap.meaning.vectors(names), strict=True)) if names and snap.meaning else {}
    rows = np.zeros((len(customers), 2 * dim), dtype=np.float32)
    for n, c in enumerate(customers):
        interests = [by_name[k] for i in c.interests if (k := _interest(i)) in by_name]
        lines = list(history.of(c.id).values())
        if interests:
            rows[n, :dim] = INTEREST_WEIGHT * _unit(np.mean(interests, axis=0))
        if lines:
            rows[n, dim:] = HISTORY_WEIGHT * _unit(np.mean(lines, axis=0))
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def _unit(vector: Vectors) -> Vectors:
    return np.asarray(vector / (np.linalg.norm(vector) + 1e-12), dtype=np.float32)


def cluster(matrix: Vectors) -> tuple[np.ndarray, int]:
    """Labels and k: the k from 2..MAX_K (at least MIN_PER_SEGMENT customers per segment on average)
    with the best silhouette; one group when there are too few customers to split."""
    n = len(matrix)
    top = min(MAX_K, n // MIN_PER_SEGMENT)
    if top < 2 or len(np.unique(matrix, axis=0)) < 2:
        return np.zeros(n, dtype=int), 1
    best: tuple[float, np.ndarray, int] | None = None
    for k in range(2, top + 1):
        labels = KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(matrix)
        if len(set(labels.tolist())) < 2:
            continue
        sample = min(n, SILHOUETTE_SAMPLE)
        score = float(silhouette_score(matrix, labels, sample_size=sample, random_state=0))
        if best is None or score > best[0]:
            best = (score, labels, k)
    if best is None:
        return np.zeros(n, dtype=int), 1
    return best[1], best[2]


def _top_interests(members: list[Customer], overall: Counter[str], total: int) -> list[tuple[str, int]]:
    counts = Counter(_interest(i) for c in members for i in set(c.interests))
    size = len(members)

    def lift(item: tuple[str, int]) -> float:
        share = item[1] / size
        return share * share / (overall[item[0]] / total)

    return sorted(counts.items(), key=lambda kv: (-lift(kv), kv[0]))[:5]


def _name(top: list[tuple[str, int]], size: int, taken: set[str]) -> str:
    telling = [name for name, count in top if count / size >= NAME_SHARE][:2]
    name = " & ".join(telling).capitalize() if telling else "Mixed interests"
    base, n = name, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    taken.add(name)
    return name


def content_vectors(snap: Snapshot) -> Vectors | None:
    """Each library item's title and topics, embedded once for all segments."""
    items: list[ContentItem] = snap.kb.content
    if not items or snap.meaning is None:
        return None
    return snap.meaning.vectors([f"{i.title}. {', '.join(i.topics)}" for i in items])


def _content_fit(
    snap: Snapshot, today: dt.date, members: list[Customer], centroid: Vectors, top: list[str], library: Vectors | None
) -> list[ContentFit]:
    items: list[ContentItem] = snap.kb.content
    if not items:
        return []
    scores = (library @ centroid) if library is not None else np.zeros(len(items))
    bonus = np.array([0.3 * any(mentions(" ".join([i.title, *i.topics]), t) for t in top[:3]) for i in items])
    fit = scores + bonus
    order = [i for i in np.argsort(-fit)[:CANDIDATES] if fit[i] >= FIT_MIN]
    told = {c.id: Told.of(c) for c in members}
    outreach = {c.id: contact_state(c, today).accepts_outreach for c in members}
    fits: list[ContentFit] = []
    for index in order:
        item = items[int(index)]
        blocked: Counter[str] = Counter()
        for c in members:
            why = NO_OUTREACH if not outreach[c.id] else blocked_reason(item, c, told[c.id])
            if why:
                blocked[why] += 1
        may = len(members) - sum(blocked.values())
        if may:
            fits.append(
                ContentFit(
                    path=item.path,
                    title=item.title,
                    url=item.url,
                    promotional=item.promotional,
                    may_receive=may,
                    blocked=dict(blocked.most_common()),
                )
            )
    return fits[:SHOWN_CONTENT]  # best fit first


def build_segments(snap: Snapshot, today: dt.date, days: int = DEFAULT_DAYS) -> Segments:
    customers = sorted(snap.kb.customers.values(), key=lambda c: c.id)
    stager = Stager(snap, today)
    stager.vectors = history_vectors(snap, customers)
    builder = DigestBuilder(snap, today, days, stager=stager)
    due: dict[str, DigestEntry] = {e.id: e for e in builder.build().customers}
    matrix = features(snap, customers, stager.vectors)
    labels, k = cluster(matrix)
    overall = Counter(_interest(i) for c in customers for i in set(c.interests))
    reports: list[SegmentReport] = []
    taken: set[str] = set()
    library = content_vectors(snap)
    groups = sorted(set(labels.tolist()), key=lambda g: -int((labels == g).sum()))
    for group in groups:
        index = np.flatnonzero(labels == group)
        members = [customers[int(i)] for i in index]
        top = _top_interests(members, overall, len(customers))
        centroid = _unit(matrix[index, :384].mean(axis=0))
        waiting = sorted((due[c.id] for c in members if c.id in due), key=lambda e: (e.due, e.name))
        stages = Counter(stager.stage(c).name for c in members)
        reports.append(
            SegmentReport(
                name=_name(top, len(members), taken),
                size=len(members),
                interests=top,
                b2b=sum(c.segment == "b2b" for c in members),
                b2c=sum(c.segment == "b2c" for c in members),
                vip=sum(c.tier == "vip" for c in members),
                stages=dict(stages.most_common()),
                content=_content_fit(snap, today, members, centroid, [t for t, _ in top], library),
                due=[MemberRef(id=e.id, name=e.name, due=e.due, reasons=e.reasons) for e in waiting[:SHOWN_DUE]],
                due_count=len(waiting),
                members=[c.id for c in members],
            )
        )
    method = f"k-means on interest and history vectors, k={k} by silhouette" if k > 1 else "too few to split"
    return Segments(as_of=today, customers=len(customers), method=method, segments=reports)
