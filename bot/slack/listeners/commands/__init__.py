"""Slash commands: /customer for everyone, /rapport for admins."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.constants import COMMAND_ADMIN, COMMAND_CUSTOMER
from bot.slack.listeners.commands.admin import AdminCommand
from bot.slack.listeners.commands.customer import CustomerCommand
from bot.slack.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    customer = CustomerCommand(rt)
    admin = AdminCommand(rt)
    # /customer QUERY: an ephemeral card (usage help right in the ack when there is no query)
    app.command(COMMAND_CUSTOMER)(ack=customer.ack, lazy=[customer.look_up])
    # /rapport status | reload: admins only (others get a polite refusal in the ack)
    app.command(COMMAND_ADMIN)(ack=admin.ack, lazy=[admin.run])
