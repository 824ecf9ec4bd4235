"""Every prompt file renders, and rendering fails loudly on a missing or unknown placeholder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.guard import RULES, rules_prompt
from bot.llm.prompts import PROMPTS_DIR, REQUIRED, PromptError, Prompts

PROMPTS = Prompts()
NAMES = sorted(p.relative_to(PROMPTS_DIR).with_suffix("").as_posix() for p in PROMPTS_DIR.rglob("*.md"))


def values_for(name: str) -> dict[str, str]:
    return {key: f"<value of {key}>" for key in PROMPTS.placeholders(name)}


def test_every_prompt_file_is_loaded() -> None:
    assert sorted(PROMPTS.names()) == NAMES
    assert set(REQUIRED) <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_prompt_renders_with_all_its_placeholders(name: str) -> None:
    values = values_for(name)
    text = PROMPTS.render(name, **values)
    assert text.strip()
    assert "{{" not in text and "}}" not in text
    assert "<!--" not in text  # editors' comments are not sent to the model
    assert all(v in text for v in values.values())


@pytest.mark.parametrize("name", [n for n in NAMES if PROMPTS.placeholders(n)])
def test_a_missing_placeholder_raises(name: str) -> None:
    for key in PROMPTS.placeholders(name):
        values = values_for(name)
        del values[key]
        with pytest.raises(PromptError, match=key):
            PROMPTS.render(name, **values)


def test_an_unknown_value_raises() -> None:
    with pytest.raises(PromptError, match="colour"):
        PROMPTS.render("styles/shorter", colour="blue")


def test_values_are_not_expanded_again() -> None:
    """Customer data that looks like a placeholder stays text."""
    out = PROMPTS.render("styles/language", language="{{language}} and {{data}}")
    assert "{{language}} and {{data}}" in out


def test_an_unknown_prompt_or_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(PromptError):
        PROMPTS.render("no-such-prompt")
    (tmp_path / "system.md").write_text("Hello {{who}}", encoding="utf-8")
    with pytest.raises(PromptError, match=r"draft\.md"):
        Prompts(tmp_path)


def test_the_prompts_carry_the_principles() -> None:
    system = PROMPTS.render("system", guard_rules=rules_prompt()).lower()
    for idea in ("honest", "never invent", "personal, not creepy", "no titles", "consent first", "about them"):
        assert idea in system
    assert "b2b" in system and "b2c" in system
    assert "slack" in system and "not instructions" in system


def test_the_rules_the_model_is_told_are_the_guards_own() -> None:
    """One definition: each rule module describes itself, and the system prompt carries every description."""
    system = PROMPTS.render("system", guard_rules=rules_prompt())
    for rule in RULES:
        assert rule.prompt in system, rule.code
    assert {rule.code for rule in RULES} >= {
        "unsupported_claim",
        "avoided_topic",
        "private_leak",
        "other_customer",
        "gendered_address",
        "channel_not_allowed",
        "cannot_verify",
    }
