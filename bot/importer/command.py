"""`rapport import FILE [--preset P] [--map MAP.yml] [--dry-run] ...`: the command and its index step."""

from __future__ import annotations

import argparse
import sys
import time

from bot.config import Settings
from bot.importer.mapping import MapError, MapFile, detect, load_map, preset, require, resolve
from bot.importer.merge import Options
from bot.importer.plan import build
from bot.importer.reading import ReadError, Table, read_table
from bot.importer.report import print_report
from bot.importer.writing import write
from bot.index.indexer import Index, IndexBusy


def choose_map(args: argparse.Namespace, table: Table) -> tuple[MapFile, str]:
    """The map to use and how it was chosen: --map (on top of --preset), --preset, or detection."""
    if args.map is not None:
        spec = load_map(args.map)
        if args.preset:
            spec = spec.merged_over(preset(args.preset))
        return spec, f"map {args.map}" + (f" on {args.preset}" if args.preset else "")
    if args.preset:
        return preset(args.preset), args.preset
    name, hits = detect(table.headers)
    return preset(name), name + (f" (detected: {', '.join(hits)})" if hits else "")


def run(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    try:
        table = read_table(args.file)
        spec, label = choose_map(args, table)
        if spec.delimiter or spec.sheet:
            table = read_table(args.file, delimiter=spec.delimiter, sheet=spec.sheet)
        resolved = resolve(spec, table.headers)
        require(resolved, table.headers, segment_given=args.segment is not None)
    except (ReadError, MapError) as exc:
        print(f"rapport import: {exc}", file=sys.stderr)
        return 2
    options = Options(args.allow_consent_grant, args.segment or spec.defaults.segment, spec.defaults.tier)
    root = settings.knowledge_dir
    outcome = build(table, resolved, root, settings.today(), options)
    if not args.dry_run:
        write(outcome, root)
    ignored = [h for i, h in enumerate(table.headers) if h and i not in resolved.used]
    print_report(outcome, label, args.dry_run, sys.stdout, ignored)
    print(f"import took {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if outcome.writes and not args.dry_run and not args.no_index:
        sync_index(settings)
    return 1 if outcome.rejected else 0


def _progress(done: int, total: int) -> None:
    print(f"\rembedding files {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)


def sync_index(settings: Settings) -> None:
    """The same step `rapport note` takes: sync now, unless a running bot owns the index."""
    started = time.perf_counter()
    index = Index(settings)
    try:
        report = index.sync(wait=5, progress=_progress)
    except IndexBusy:
        print("the index is owned by a running bot; it re-indexes the changed files itself", file=sys.stderr)
        return
    finally:
        index.close()
    print(
        f"indexed: {len(report.added)} added, {len(report.changed)} changed, {report.embedded} texts embedded "
        f"in {time.perf_counter() - started:.1f} s"
    )
