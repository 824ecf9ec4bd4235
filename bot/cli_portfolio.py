"""`rapport digest` and `rapport segments`: the portfolio view on the command line (bot/cli.py routes here)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.core.portfolio import DEFAULT_DAYS, STAGES, Digest, DigestEntry, SegmentReport, Segments

if TYPE_CHECKING:
    from bot.services.knowledge import Knowledge


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("digest", parents=[common], help="who needs attention in the next N days, most urgent first")
    p.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"the window (default {DEFAULT_DAYS})")
    p.add_argument("--stage", choices=STAGES, help="only customers at this relationship stage")
    p.add_argument("--json", action="store_true")
    p.add_argument("--chart", metavar="FILE.png", type=Path, help="also draw contact health to this PNG file")
    p = sub.add_parser("segments", parents=[common], help="groups of customers who want the same things")
    p.add_argument("--days", type=int, default=DEFAULT_DAYS, help="who counts as due (default 7 days)")
    p.add_argument("--json", action="store_true")


def _knowledge(settings: Settings) -> Knowledge:
    from bot.commands import ensure_index
    from bot.services.knowledge import Knowledge

    knowledge = Knowledge(settings)
    ensure_index(knowledge)
    return knowledge


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    if args.days < 0:
        print("rapport digest: --days must be 0 or more", file=sys.stderr)
        return 2
    if args.chart is not None and args.chart.suffix.lower() != ".png":
        print(f"rapport digest: --chart {args.chart}: the chart is a PNG file (name it .png)", file=sys.stderr)
        return 2
    from bot.services.digest import build_digest, health_points

    knowledge = _knowledge(settings)
    snap, today = knowledge.snapshot(), knowledge.today()
    digest = build_digest(snap, today, args.days, stage=args.stage)
    if args.chart is not None:
        from bot.charts import health_chart

        args.chart.write_bytes(health_chart(health_points(snap, today, args.days), today))
        print(f"chart written to {args.chart}", file=sys.stderr)
    print(digest.model_dump_json(indent=2) if args.json else render_digest(digest))
    return 0


def cmd_segments(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.segments import build_segments

    knowledge = _knowledge(settings)
    report = build_segments(knowledge.snapshot(), knowledge.today(), days=args.days)
    print(report.model_dump_json(indent=2) if args.json else render_segments(report))
    return 0


def _wrap(text: str, indent: str = "     ") -> str:
    return textwrap.fill(text, width=96, initial_indent=indent, subsequent_indent=indent + "  ")


def _ask_line(entry: DigestEntry) -> str:
    step = entry.next_step
    flag = "--reply" if step.intent == "reply" else "--outreach"
    return f'rapport ask "{step.text}" --customer {entry.id} {flag}'


def render_entry(n: int, e: DigestEntry) -> list[str]:
    vip = " · VIP" if e.tier == "vip" else ""
    out = [f"{n:>3}. {e.name} ({e.id}){vip}  due {e.due.isoformat()}  · {e.stage.name.replace('_', ' ')}"]
    out += [_wrap(f"{r.code}: {r.text}") for r in e.why]
    purpose = f" ({e.next_step.purpose.replace('_', ' ')})" if e.next_step.purpose else ""
    via = f" by {e.next_step.channel}" if e.next_step.channel else ""
    out.append(_wrap(f"→ {e.next_step.text}{purpose}{via}"))
    out.append(_wrap(f"stage: {e.stage.why}"))
    out.append(_wrap(f"  {_ask_line(e)}"))
    return out


def render_digest(digest: Digest) -> str:
    n = len(digest.customers)
    head = (
        f"Who needs us from {digest.as_of.isoformat()} to {digest.until.isoformat()} ({digest.days} days): "
        f"{n} customer{'s' * (n != 1)}, most urgent first."
    )
    out = [head, ""]
    for i, entry in enumerate(digest.customers, 1):
        out += [*render_entry(i, entry), ""]
    s = digest.skipped
    out.append(
        f"Left out: {s.too_soon} too soon for the whole window, {s.no_outreach} who want no outreach and have "
        f"nothing unanswered, {s.nothing_due} with nothing due."
    )
    if any(e.next_step.perk for e in digest.customers):
        out.append('A perk given is logged like any contact: rapport note ID "Gave <perk name>".')
    return "\n".join(out)


def render_segment(seg: SegmentReport) -> list[str]:
    interests = ", ".join(f"{name} ({count})" for name, count in seg.interests) or "no stated interests"
    stages = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in seg.stages.items() if count)
    out = [
        f"{seg.name}: {seg.size} customer{'s' * (seg.size != 1)} ({seg.b2b} B2B, {seg.b2c} B2C, {seg.vip} VIP)",
        _wrap(f"interests: {interests}"),
        _wrap(f"stages: {stages}"),
    ]
    for item in seg.content:
        blocked = "; ".join(f"{count} ({why})" for why, count in item.blocked.items())
        tail = f"; held back from {blocked}" if blocked else ""
        out.append(_wrap(f"share: {item.title} <{item.path}>: {item.may_receive} may receive it{tail}"))
    if not seg.content:
        out.append(_wrap("share: nothing in the library fits this group within their consent"))
    due = ", ".join(f"{m.name} ({m.id}, {m.due})" for m in seg.due)
    more = f" and {seg.due_count - len(seg.due)} more" if seg.due_count > len(seg.due) else ""
    out.append(_wrap(f"due this week: {due}{more}" if seg.due_count else "due this week: nobody"))
    return out


def render_segments(report: Segments) -> str:
    out = [f"{len(report.segments)} segments of {report.customers} customers on {report.as_of} ({report.method}).", ""]
    for seg in report.segments:
        out += [*render_segment(seg), ""]
    return "\n".join(out).rstrip()
