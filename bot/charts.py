"""Contact health as a picture: days since last contact against each customer's window (matplotlib, Agg).

Up to MAX_BARS customers: one bar each, grouped overdue / due / too soon / reply-only, with a tick at
their window (weekly 7, monthly 30, quarterly 90 days). More than that (a bar per customer is unreadable
at 10,000): per group, how far through their window customers are, as a histogram of days since
last contact divided by their window (1.0 = exactly due).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.core.portfolio import Group, HealthPoint

GROUPS: tuple[Group, ...] = ("overdue", "due", "too_soon", "reply_only")
LABELS: dict[Group, str] = {
    "overdue": "Overdue",
    "due": "Due this week",
    "too_soon": "Too soon",
    "reply_only": "Reply only (never / opted out)",
}
COLOURS: dict[Group, str] = {"overdue": "#c0392b", "due": "#e9a03b", "too_soon": "#2a9d8f", "reply_only": "#8d99ae"}
MAX_BARS = 60
NEVER = "never contacted"


def _ordered(points: Sequence[HealthPoint]) -> list[HealthPoint]:
    def key(p: HealthPoint) -> tuple[int, float, str]:
        ratio = (p.days_since or 0) / p.window if p.window else 0.0
        return (GROUPS.index(p.group), -ratio if p.days_since is not None else 1e9, p.name)

    return sorted(points, key=key)


def _bars(points: list[HealthPoint], title: str) -> Figure:
    height = max(3.0, 0.32 * len(points) + 1.6)
    fig = Figure(figsize=(9, height), dpi=110)
    ax = fig.subplots()
    ys = list(range(len(points)))[::-1]
    for y, p in zip(ys, points, strict=True):
        days = p.days_since if p.days_since is not None else 0
        ax.barh(y, days, color=COLOURS[p.group], height=0.7)
        window = p.window if p.group != "reply_only" else None  # no proactive contact: no window to keep
        if window:
            ax.plot([window, window], [y - 0.42, y + 0.42], color="#222222", linewidth=2)
        note = NEVER if p.days_since is None else f"{days} d"
        ax.text(max(days, window or 0) + 1.5, y, note, va="center", fontsize=8, color="#333333")
    ax.set_yticks(ys, [p.name for p in points], fontsize=8)
    ax.set_xlabel("days since last contact (black tick: their window)")
    handles = [Patch(color=COLOURS[g]) for g in GROUPS]
    ax.legend(
        handles,
        [LABELS[g] for g in GROUPS],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.9 / height),
        ncol=len(GROUPS),
        fontsize=8,
        frameon=False,
    )
    ax.set_title(title, fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _histograms(points: list[HealthPoint], title: str) -> Figure:
    fig = Figure(figsize=(9, 8), dpi=110)
    axes = fig.subplots(len(GROUPS), 1, sharex=True)
    for ax, group in zip(axes, GROUPS, strict=True):
        members = [p for p in points if p.group == group]
        ratios = [min(p.days_since / p.window, 4.0) for p in members if p.days_since is not None and p.window]
        never = sum(1 for p in members if p.days_since is None)
        ax.hist(ratios, bins=40, range=(0, 4), color=COLOURS[group])
        ax.axvline(1.0, color="#222222", linewidth=1.5)
        extra = f", {never} never contacted" if never else ""
        ax.set_title(f"{LABELS[group]}: {len(members):,} customers{extra}", fontsize=9, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1].set_xlabel("days since last contact / their window (1 = due; 4+ shown at 4)")
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def health_chart(points: Sequence[HealthPoint], today: dt.date) -> bytes:
    """The chart as PNG bytes. A plain Figure (no pyplot): no global state, so Slack's threads may draw
    at once, and Agg renders it without a display."""
    ordered = _ordered(points)
    counts = {g: sum(1 for p in ordered if p.group == g) for g in GROUPS}
    summary = ", ".join(f"{counts[g]} {LABELS[g].split(' (')[0].lower()}" for g in GROUPS)
    title = f"Contact health on {today.isoformat()}: {summary}"
    fig = _bars(ordered, title) if len(ordered) <= MAX_BARS else _histograms(ordered, title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
