"""/rapport status | reload: for RAPPORT_ADMINS only."""

from __future__ import annotations

from typing import Any, Literal

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.index.indexer import IndexBusy, SyncReport
from bot.knowledge.files import FolderError
from bot.slack.blocks import esc, mrkdwn_sections
from bot.slack.errors import reported
from bot.slack.payloads import Command
from bot.slack.runtime import Runtime
from bot.slack.status import collect, problem_lines, status_blocks, status_text
from bot.slack.surface import ResponseSurface
from bot.slack.workers import at_index_owner

Sub = Literal["status", "reload", "help"]
HELP = "*Admin commands:* `/rapport status` (index, problems, draft acceptance) · `/rapport reload` (re-index now)"


def subcommand(text: str) -> Sub:
    word = text.strip().lower().split(" ", 1)[0]
    return "status" if word == "status" else "reload" if word == "reload" else "help"


def refusal(admins: list[str]) -> str:
    who = ", ".join(f"<@{a}>" for a in admins[:5])
    ask = f" Ask {who} if you need it." if who else " RAPPORT_ADMINS lists who may."
    return f"Sorry, `/rapport` is for Rapport admins only.{ask}"


def sync_summary(report: SyncReport) -> str:
    changed = len(report.added) + len(report.changed) + len(report.deleted)
    text = (
        f":arrows_counterclockwise: Re-indexed: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.deleted)} deleted, {report.unchanged} unchanged ({report.records} records)."
    )
    if not changed:
        text += " The index was already up to date."
    if report.problems:
        text += f"\n*Problems* (`rapport check`):\n{problem_lines(report.problems)}"
    return text


class AdminCommand:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def ack(self, ack: Ack, body: dict[str, Any]) -> None:
        command = Command.model_validate(body)
        sub = subcommand(command.text)
        if not self.rt.is_admin(command.user_id):
            ack(text=refusal(self.rt.settings.rapport_admins))
        elif sub == "help":
            ack(text=HELP)
        elif sub == "reload":
            ack(text="Re-indexing the knowledge folder…")
        else:
            ack()

    @at_index_owner  # reload syncs the index and status reads the watcher: both live where the index is owned
    def run(self, body: dict[str, Any], client: WebClient) -> None:
        command = Command.model_validate(body)
        sub = subcommand(command.text)
        if not self.rt.is_admin(command.user_id) or sub == "help":
            return
        surface = ResponseSurface(client, command.response_url, command.channel_id, command.user_id)
        with reported(surface.tell, f"/rapport {sub}", user=command.user_id):
            if sub == "reload":
                surface.show(mrkdwn_sections(self.reload()), "Rapport: re-index finished.")
            status = collect(self.rt)
            surface.show(status_blocks(status), status_text(status))

    def reload(self) -> str:
        try:
            report = self.rt.knowledge.sync(wait=30)
        except IndexBusy:
            self.rt.knowledge.reload()
            return "Another process writes this index and keeps it up to date; I reloaded the folder as it is."
        except FolderError as exc:  # the index is left as it was: answers keep coming from it
            return f":warning: Not re-indexed: {esc(str(exc))}. Answers still come from the last index."
        return sync_summary(report)
