"""Modal submissions."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.constants import VIEW_FIND_CUSTOMER
from bot.slack.listeners.views.find_customer import FindCustomer
from bot.slack.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    find = FindCustomer(rt)
    # "Who is the customer?" in the Suggest-a-reply modal: the ack swaps in a loading view, the answer follows
    app.view(VIEW_FIND_CUSTOMER)(ack=find.ack, lazy=[find.answer])
