"""Before serving: ask Slack whether the tokens work, and say in one line what to do when they don't.

`auth.test` checks the bot token; `apps.connections.open` checks the app-level token (it only hands
out a Socket Mode URL, which is left unused). A wrong, revoked or mixed-up token then stops
`rapport serve` with exit code 2 and a line naming the variable, instead of a traceback later.
The signing secret cannot be checked this way: Slack never sends it, it signs with it.
"""

from __future__ import annotations

import logging
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.slack.app import web_client

WHERE = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) under OAuth & Permissions",
    "SLACK_APP_TOKEN": "an app-level token (xapp-…) with connections:write under Basic Information > App-Level Tokens",
}
PROBLEMS = {
    "invalid_auth": "is not a token Slack knows (invalid_auth)",
    "not_authed": "is empty or was not sent (not_authed)",
    "token_revoked": "has been revoked (token_revoked): reinstall the app, then copy the new token",
    "token_expired": "has expired (token_expired): turn token rotation off (manifest.yml does) and reinstall",
    "account_inactive": "belongs to a deactivated app or workspace (account_inactive)",
    "not_allowed_token_type": "is the wrong kind of token (not_allowed_token_type)",
    "missing_scope": "lacks a scope (missing_scope)",
    "invalid_token": "is malformed (invalid_token)",
}


def token_problem(variable: str, error: str) -> str:
    what = PROBLEMS.get(error, f"was refused by Slack ({error})")
    return f"rapport serve: {variable} {what}. Use {WHERE[variable]}. See README, 'Troubleshooting'."


def unreachable(client: WebClient, exc: Exception) -> str:
    reason = getattr(exc, "reason", exc)
    return (
        f"rapport serve: cannot reach Slack at {client.base_url} ({reason}). "
        "Check the network, a proxy, or SLACK_API_URL. See README, 'Troubleshooting'."
    )


def check_tokens(client: WebClient, bot_token: str, app_token: str | None) -> str | None:
    """None when Slack accepts the bot token (and the app token, for Socket Mode); else the line to print."""
    checks: list[tuple[str, str]] = [("SLACK_BOT_TOKEN", bot_token)]
    if app_token is not None:
        checks.append(("SLACK_APP_TOKEN", app_token))
    for variable, token in checks:
        try:
            if variable == "SLACK_BOT_TOKEN":
                client.auth_test(token=token)
            else:
                client.apps_connections_open(app_token=token)
        except SlackApiError as exc:
            return token_problem(variable, str(exc.response.get("error") or exc.response.status_code))
        except (URLError, OSError) as exc:
            return unreachable(client, exc)
    return None


def quiet_logger() -> logging.Logger:
    """slack_sdk logs each failed attempt and retry; the person gets our one line instead."""
    quiet = logging.getLogger("rapport.startup.slack_sdk")
    quiet.propagate = False
    quiet.addHandler(logging.NullHandler())
    return quiet


def check_settings(settings: Settings, http: bool) -> str | None:
    bot = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    app = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    return check_tokens(web_client(settings, logger=quiet_logger()), bot, None if http else app)
