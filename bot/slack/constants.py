"""Every action id, callback id and block id the bot sends to Slack and routes on."""

from __future__ import annotations

import re

# Slash commands (manifest.yml declares the same names)
COMMAND_CUSTOMER = "/customer"
COMMAND_ADMIN = "/rapport"

# Under each draft: one primary button (Log as sent), the refinements in an overflow menu, and Slack's
# feedback buttons. One actions block per draft, so ids repeat across blocks (Slack allows that).
ACTION_LOG_SENT = "draft_log_sent"
ACTION_DRAFT_MENU = "draft_menu"  # overflow: shorter, more formal, warmer, regenerate
ACTION_FEEDBACK = "draft_feedback"  # the feedback_buttons element (👍 / 👎)
# Refinement buttons: ephemeral answers (Slack sends no message back for their clicks, and an overflow
# option carries only 150 characters), and buttons on answers posted by earlier versions.
ACTION_SHORTER = "draft_shorter"
ACTION_FORMAL = "draft_formal"
ACTION_WARMER = "draft_warmer"
ACTION_REGENERATE = "draft_regenerate"
ACTION_HELPFUL = "draft_helpful"  # modals (no feedback_buttons there) and older answers
ACTION_NOT_HELPFUL = "draft_not_helpful"
REFINE_STYLES: dict[str, str] = {
    ACTION_SHORTER: "shorter",
    ACTION_FORMAL: "formal",
    ACTION_WARMER: "warmer",
    ACTION_REGENERATE: "regenerate",
}
STYLE_LABELS = {"shorter": "Shorter", "formal": "More formal", "warmer": "Warmer", "regenerate": "Regenerate"}
REFINED_LABELS = {"shorter": "shorter", "formal": "more formal", "warmer": "warmer", "regenerate": "regenerated"}

# How the request was read, corrected in one click: re-ask as a reply, or as outreach
ACTION_INTENT_REPLY = "intent_reply"
ACTION_INTENT_OUTREACH = "intent_outreach"
BLOCK_INTENT = "intent"

# Candidate buttons share one actions block, where action ids must be unique: pick_customer_0, _1, ...
ACTION_PICK_PREFIX = "pick_customer_"
ACTION_PICK_RE = re.compile(rf"^{ACTION_PICK_PREFIX}\d+$")

# Message shortcut and its modal
CALLBACK_SUGGEST_REPLY = "suggest_reply"
VIEW_SUGGESTION = "suggest_reply_modal"
VIEW_FIND_CUSTOMER = "suggest_reply_find_customer"
BLOCK_FIND_CUSTOMER = "find_customer"
ACTION_FIND_CUSTOMER_INPUT = "find_customer_query"

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks)
MAX_SECTION_TEXT = 3000
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_BUTTON_VALUE = 2000
MAX_PRIVATE_METADATA = 3000
MAX_FALLBACK_TEXT = 3000  # well under the 40,000 of chat.postMessage: fallbacks are for notifications
MAX_CANDIDATES = 5

PROGRESS_REACTION = "eyes"
MAX_OPTION_VALUE = 150
MAX_SUGGESTED_PROMPTS = 4  # assistant.threads.setSuggestedPrompts takes at most four

# Context keys an ack sets for its lazy listener (workers.py carries exactly these to answer processes)
CONTEXT_MODAL_FAILED = "rapport_modal_failed"  # views.open failed in the ack: the lazy listener answers elsewhere
ACK_CONTEXT_KEYS = (CONTEXT_MODAL_FAILED,)
