"""The arguments of `rapport import` (apart from the command, so the parser loads without it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.importer.mapping import PRESETS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", type=Path, help="a contact export: .csv or .xlsx")
    p.add_argument("--preset", choices=PRESETS, help="the export's platform (default: detected from its columns)")
    p.add_argument("--map", metavar="MAP.yml", type=Path, help="column and value mapping for any other export")
    p.add_argument("--dry-run", action="store_true", help="show the change per customer; write nothing")
    p.add_argument(
        "--allow-consent-grant",
        action="store_true",
        help="let a row that explicitly consents lift an opt-out or add a channel (never without this)",
    )
    p.add_argument("--segment", choices=["b2b", "b2c"], help="segment of new customers when the file has none")
    p.add_argument("--no-index", action="store_true", help="write the files but leave re-indexing for later")
