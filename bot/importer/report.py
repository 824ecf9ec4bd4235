"""What the admin reads after an import: counts, consent changes, rejected rows, diffs."""

from __future__ import annotations

import difflib
from typing import TextIO

from bot.importer.merge import Planned
from bot.importer.plan import Outcome


def diff(planned: Planned) -> list[str]:
    """One customer's change as a unified diff (a new file: its front matter)."""
    head = f"{planned.path}  ({planned.id}, line {planned.line}"
    head += f", matched by {planned.by})" if planned.by else ")"
    if planned.kind == "create":
        text = planned.new_text or ""
        front = text.split("\n---\n", 1)[0].split("\n")
        return [f"+ create {head}", *(f"    {line}" for line in front[1:])]
    old = (planned.old_text or "").splitlines()
    new = (planned.new_text or "").splitlines()
    body = difflib.unified_diff(old, new, f"a/{planned.path}", f"b/{planned.path}", n=1, lineterm="")
    return [f"~ update {head}", *(f"    {line}" for line in list(body)[2:])]


def consent_lines(outcome: Outcome) -> tuple[list[str], list[str]]:
    changed = [
        f"  {p.path}: {c.shown()}  ({c.consent}; line {p.line})" for p in outcome.writes for c in p.changes if c.consent
    ]
    held = [f"  {p.path}: {h} (line {p.line})" for p in outcome.planned for h in p.held]
    return changed, held


def print_report(outcome: Outcome, preset: str, dry_run: bool, out: TextIO, ignored: list[str]) -> None:
    table = outcome.table
    how = [f"preset {preset}"]
    if table.delimiter:
        how.append(f"delimiter {table.delimiter!r}")
    print(f"{table.path}: {len(table.rows) - outcome.blank_rows} rows ({', '.join(how)})", file=out)
    for note in outcome.notes:
        print(f"  note: {note}", file=out)
    if ignored:
        print(f"  columns not imported: {', '.join(ignored)}", file=out)
    if outcome.broken_files:
        shown = ", ".join(outcome.broken_files[:5]) + (" ..." if len(outcome.broken_files) > 5 else "")
        print(
            f"  warning: {len(outcome.broken_files)} customer files do not parse and cannot be matched "
            f"(rapport check): {shown}",
            file=out,
        )
    if dry_run:
        for planned in outcome.writes:
            print("\n".join(diff(planned)), file=out)
    changed, held = consent_lines(outcome)
    if changed:
        print(f"consent changes ({len(changed)}):", file=out)
        print("\n".join(changed), file=out)
    if held:
        print(f"consent not granted back ({len(held)}; --allow-consent-grant applies these):", file=out)
        print("\n".join(held), file=out)
    opted_out = sum(1 for p in outcome.planned if p.kind == "create" and _new_opt_out(p))
    if outcome.rejected:
        print(f"rejected ({len(outcome.rejected)}):", file=out)
        print("\n".join(f"  {r}" for r in outcome.rejected), file=out)
    verb = "would be " if dry_run else ""
    summary = (
        f"{verb}created {outcome.count('create')}, {verb}updated {outcome.count('update')}, "
        f"unchanged {outcome.count('unchanged')}, rejected {len(outcome.rejected)}"
    )
    if outcome.blank_rows:
        summary += f" ({outcome.blank_rows} blank rows skipped)"
    if opted_out:
        summary += f"; {opted_out} new customers opted out of marketing"
    print(summary + (" - dry run, nothing written" if dry_run else ""), file=out)


def _new_opt_out(planned: Planned) -> bool:
    return "marketing_opt_out: true" in (planned.new_text or "").split("\n---\n", 1)[0]
