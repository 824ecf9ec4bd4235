"""The picture of what staff see: the app's real Block Kit for a real answer, drawn as a local page.

Asks the sample folder the fixture's question through the same service and block builders the bot
uses (offline drafts, RAPPORT_TODAY pinned), writes the Block Kit JSON (paste it into Slack's Block
Kit Builder to see it in Slack itself), draws it as a local HTML page roughly as Slack does, and
screenshots that page with Debian's chromium (apt-get install chromium).

    .venv/bin/python docs/picture.py            # docs/answer.json and docs/answer.png
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.services.container import build_services  # noqa: E402
from bot.slack.answer_blocks import answer_blocks  # noqa: E402

QUESTION = "Tom Baker asked whether his grinder is still under warranty. What should I tell him?"
EMOJI = {":warning:": "⚠️", ":white_check_mark:": "✅", ":lock:": "🔒", ":shield:": "🛡️", ":+1:": "👍", ":-1:": "👎"}
CSS = """
body { font: 15px/1.46 -apple-system, 'Segoe UI', 'Noto Sans', sans-serif; color: #1d1c1d; margin: 0; }
.msg { display: flex; gap: 8px; padding: 14px 20px; width: 720px; }
.avatar { width: 36px; height: 36px; border-radius: 6px; background: #264653; color: #fff; font-weight: 700;
          display: flex; align-items: center; justify-content: center; flex: none; }
.who b { margin-right: 4px; } .app { font-size: 10px; background: #e8e8e8; color: #616061; padding: 1px 3px;
          border-radius: 2px; font-weight: 700; margin-right: 6px; } .time { color: #616061; font-size: 12px; }
.section { margin: 4px 0; white-space: pre-wrap; }
.context { color: #616061; font-size: 12.5px; margin: 4px 0; }
.divider { border-top: 1px solid #ddd; margin: 10px 0; }
.actions { display: flex; gap: 8px; margin: 6px 0; }
.btn { border: 1px solid #bbb; border-radius: 4px; padding: 3px 12px; font-size: 13px; font-weight: 700; }
.primary { background: #007a5a; color: #fff; border-color: #007a5a; } .overflow { padding: 3px 8px; }
.feedback { display: flex; gap: 2px; margin: 2px 0; } .feedback span { border: 1px solid #ddd; border-radius: 12px;
          padding: 0 8px; font-size: 13px; }
code { font: 12px Menlo, monospace; background: #f6f6f6; border: 1px solid #e1e1e1; border-radius: 3px;
          padding: 0 3px; color: #c01343; } a { color: #1264a3; text-decoration: none; }
.thread { color: #616061; font-size: 13px; padding: 10px 20px 0; }
"""


def mrkdwn(text: str) -> str:
    """Slack's mrkdwn as HTML: the text arrives escaped (&amp; &lt; &gt;) exactly as Slack gets it."""
    out = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r'<a href="\1">\2</a>', text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"(?<![\w*])\*([^*\n]+)\*", r"<b>\1</b>", out)
    out = re.sub(r"(?<![\w_])_([^_\n]+)_", r"<i>\1</i>", out)
    for code, emoji in EMOJI.items():
        out = out.replace(code, emoji)
    return out


def text_of(obj: dict[str, Any]) -> str:
    raw = str(obj.get("text", ""))
    return mrkdwn(raw) if obj.get("type") == "mrkdwn" else html.escape(raw)


def element(e: dict[str, Any]) -> str:
    if e["type"] == "button":
        style = " primary" if e.get("style") == "primary" else ""
        return f'<span class="btn{style}">{html.escape(e["text"]["text"])}</span>'
    if e["type"] == "overflow":
        return '<span class="btn overflow">⋯</span>'
    return ""


def block(b: dict[str, Any]) -> str:
    kind = b["type"]
    if kind == "section":
        return f'<div class="section">{text_of(b["text"])}</div>'
    if kind == "context":
        return '<div class="context">' + " ".join(text_of(e) for e in b["elements"]) + "</div>"
    if kind == "divider":
        return '<div class="divider"></div>'
    if kind == "actions":
        return '<div class="actions">' + "".join(element(e) for e in b["elements"]) + "</div>"
    if kind == "context_actions":
        fb = b["elements"][0]
        return f'<div class="feedback"><span>{fb["positive_button"]["text"]["text"]}</span>' + (
            f"<span>{fb['negative_button']['text']['text']}</span></div>"
        )
    return ""


def page(blocks: list[dict[str, Any]]) -> str:
    body = "".join(block(b) for b in blocks)
    return (
        f"<!doctype html><meta charset=utf-8><style>{CSS}</style>"
        f'<div class="thread">Thread in #support · Sam: <i>@Rapport {html.escape(QUESTION)}</i></div>'
        '<div class="msg"><div class="avatar">R</div><div><div class="who"><b>Rapport</b><span class="app">APP</span>'
        f'<span class="time">10:42</span></div>{body}</div></div>'
    )


def real_blocks() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            knowledge_dir=ROOT / "knowledge",
            chroma_path=Path(tmp) / "chroma",
            rapport_today=dt.date(2026, 11, 22),
        )
        services = build_services(settings)
        services.knowledge.sync()
        answer = services.assistant.ask(QUESTION)
        customer = services.knowledge.customer(answer.customer.id) if answer.customer else None
        ids = [f"{i:012x}" for i in range(1, len(answer.drafts) + 1)]
        blocks = answer_blocks(answer, customer, ids, origin="mention")
        services.knowledge.index.close()
    return [b.to_dict() for b in blocks]


def main() -> None:
    out = ROOT / "docs"
    blocks = real_blocks()
    (out / "answer.json").write_text(json.dumps({"blocks": blocks}, indent=2, ensure_ascii=False) + "\n", "utf-8")
    chromium = shutil.which("chromium")
    if chromium is None:
        print("wrote docs/answer.json (install Debian's chromium for docs/answer.png)")
        return
    with tempfile.TemporaryDirectory() as profile:
        drawn = Path(profile) / "answer.html"
        drawn.write_text(page(blocks), encoding="utf-8")
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--hide-scrollbars", "--force-device-scale-factor=1",
             f"--screenshot={out / 'answer.png'}", "--window-size=780,1040", drawn.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    print("wrote docs/answer.json and docs/answer.png")


if __name__ == "__main__":
    main()
