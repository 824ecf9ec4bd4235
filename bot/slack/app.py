"""The Bolt app: one Web API client, one bot identity, a sized worker pool, our listeners."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped, warning_token_skipped
from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.dedup import event_dedup_middleware
from bot.slack.errors import log_listener_error
from bot.slack.listeners import register_listeners
from bot.slack.retries import web_api_retries
from bot.slack.runtime import Runtime

log = logging.getLogger(__name__)


class MissingSetting(RuntimeError):
    """A required environment variable is not set; the message names it."""


def secret(settings: Settings, name: str) -> str:
    value = getattr(settings, name)
    text = value.get_secret_value() if value is not None else ""
    if not text:
        raise MissingSetting(name.upper())
    return str(text)


def web_client(settings: Settings, token: str | None = None, logger: logging.Logger | None = None) -> WebClient:
    """A Web API client that retries what is safe to retry (retries.py); SLACK_API_URL points it elsewhere."""
    base_url = settings.slack_api_url.rstrip("/") + "/" if settings.slack_api_url else WebClient.BASE_URL
    return WebClient(token=token, base_url=base_url, retry_handlers=web_api_retries(), logger=logger)


class ExpectedBoltWarnings(logging.Filter):
    """Drops Bolt's start-up notes that our token is unused: we pass a client and an authorize function
    on purpose (one auth.test, our retries), and with SLACK_BOT_TOKEN set Bolt said so on every start."""

    QUIET = frozenset({warning_client_prioritized_and_token_skipped(), warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.QUIET


def quiet_bolt_start_up() -> None:
    target = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, ExpectedBoltWarnings) for f in target.filters):
        target.addFilter(ExpectedBoltWarnings())


def single_workspace_authorize(settings: Settings, token: str) -> Callable[..., AuthorizeResult]:
    """Our bot token and identity, from one auth.test on the first request (not per request, not at import)."""
    lock = threading.Lock()
    found: list[AuthorizeResult] = []

    def authorize() -> AuthorizeResult:
        with lock:
            if not found:
                auth = web_client(settings, token).auth_test()
                found.append(
                    AuthorizeResult(
                        enterprise_id=auth.get("enterprise_id"),
                        team_id=auth.get("team_id"),
                        bot_user_id=auth.get("user_id"),
                        bot_id=auth.get("bot_id"),
                        bot_token=token,
                    )
                )
                log.info("authorized as bot user %s in team %s", auth.get("user_id"), auth.get("team_id"))
            return found[0]

    return authorize


def worker_pool(settings: Settings) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.rapport_workers, thread_name_prefix="rapport")


def build_app(
    rt: Runtime, *, signing_secret: str | None = None, executor: ThreadPoolExecutor | None = None, verify: bool = True
) -> App:
    """The app for Socket Mode or HTTP. `signing_secret` defaults to SLACK_SIGNING_SECRET (HTTP needs it);
    `verify=False` only in an answer process, whose requests come from the front that verified them."""
    settings = rt.settings
    token = secret(settings, "slack_bot_token")
    if signing_secret is None:
        value = settings.slack_signing_secret
        signing_secret = value.get_secret_value() if value is not None else ""
    quiet_bolt_start_up()
    app = App(
        client=web_client(settings),
        authorize=single_workspace_authorize(settings, token),
        signing_secret=signing_secret,
        request_verification_enabled=verify,
        # Acks run on the request's own thread and lazy work on the pool. Without this, Bolt runs
        # ack functions on the same pool as the lazy work, so a pool full of slow model calls delays acks.
        process_before_response=True,
        # Bolt's default is 5 threads: five slow model calls would stall everyone else's answers.
        listener_executor=executor or worker_pool(settings),
    )
    app.use(event_dedup_middleware(rt.dedup))
    app.error(log_listener_error)
    register_listeners(app, rt)
    return app
