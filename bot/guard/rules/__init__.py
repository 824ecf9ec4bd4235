"""One rule per guard violation code; `RULES` is the order they run and are told to the model in."""

from __future__ import annotations

from bot.guard.rule import Rule
from bot.guard.rules.avoided_topic import AvoidedTopic
from bot.guard.rules.cannot_verify import CannotVerify
from bot.guard.rules.channel_not_allowed import ChannelNotAllowed
from bot.guard.rules.gendered_address import GenderedAddress
from bot.guard.rules.other_customer import OtherCustomer
from bot.guard.rules.private_leak import PrivateLeak
from bot.guard.rules.unsupported_claim import UnsupportedClaim

RULES: tuple[Rule, ...] = (
    CannotVerify(),
    UnsupportedClaim(),
    AvoidedTopic(),
    PrivateLeak(),
    OtherCustomer(),
    ChannelNotAllowed(),
    GenderedAddress(),
)
