"""The prompt policy: user-editable rules a prompt is checked against before a job is queued.

studio/resources/prompt_policy.toml holds the studio's rules; prompt_policy.toml in the user's settings
folder adds rules, replaces one of the same name, or turns one off (enabled = false). No torch:
the editor checks prompts itself, before anything reaches the engine.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import StudioError
from ..core.presets import RESOURCES
from ..core.settings import settings_dir

POLICY_FILE = "prompt_policy.toml"


class PolicyError(StudioError, ValueError):
    """A rules file that cannot be used, naming the file and what is wrong in it."""


@dataclass(frozen=True)
class Rule:
    name: str
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    source: str


@dataclass(frozen=True)
class Refusal:
    rule: Rule
    matched: str  # the words of the prompt that matched

    def __str__(self) -> str:
        return (
            f"the prompt matches the rule '{self.rule.name}' ({self.rule.reason}): \"{self.matched}\"; "
            f"the rules are in {self.rule.source}"
        )


def user_policy_path() -> Path:
    return settings_dir() / POLICY_FILE


def _read(path: Path) -> list[dict]:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path} is not valid TOML ({exc}); fix it or remove it") from exc
    rules = data.get("rule", [])
    if not isinstance(rules, list):
        raise PolicyError(f"{path}: write each rule as a [[rule]] table")
    return rules


def _rule(entry: dict, path: Path, number: int) -> Rule | None:
    where = f"{path}, rule {number}"
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PolicyError(f"{where}: every rule needs a name")
    if entry.get("enabled", True) is False:
        return None
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyError(f"{where} ('{name}'): say the reason, which a refused user is shown")
    words, patterns = entry.get("words", []), entry.get("patterns", [])
    if (
        not isinstance(words, list)
        or not isinstance(patterns, list)
        or not all(isinstance(w, str) and w.strip() for w in [*words, *patterns])
    ):
        raise PolicyError(f"{where} ('{name}'): words and patterns are lists of text")
    if not words and not patterns:
        raise PolicyError(f"{where} ('{name}'): give words or patterns to match")
    compiled = []
    # A word or phrase matches whole words only: "kid" is not in "kidney".
    sources = [r"\b" + r"\s+".join(map(re.escape, w.split())) + r"\b" for w in words] + list(patterns)
    for text in sources:
        try:
            compiled.append(re.compile(text, re.IGNORECASE | re.DOTALL))
        except re.error as exc:
            raise PolicyError(
                f"{where} ('{name}'): the pattern {text!r} is not a valid regular expression ({exc})"
            ) from exc
    return Rule(name.strip(), reason.strip(), tuple(compiled), str(path))


def load_rules(studio_file: Path | None = None, user_file: Path | None = None) -> list[Rule]:
    """The rules in force: the studio's, with the user's added, replaced or turned off by name."""
    studio_file = studio_file or RESOURCES / POLICY_FILE
    user_file = user_file if user_file is not None else user_policy_path()
    by_name: dict[str, Rule | None] = {}
    for path in (studio_file, user_file):
        if not path.is_file():
            continue
        for number, entry in enumerate(_read(path), 1):
            if not isinstance(entry, dict):
                raise PolicyError(f"{path}, rule {number}: a rule is a [[rule]] table")
            rule = _rule(entry, path, number)
            by_name[str(entry["name"]).strip()] = rule
    return [r for r in by_name.values() if r is not None]


def check(texts: list[str], rules: list[Rule] | None = None) -> Refusal | None:
    """The first rule any of the texts matches, or None."""
    rules = load_rules() if rules is None else rules
    for text in texts:
        for rule in rules:
            for pattern in rule.patterns:
                found = pattern.search(text or "")
                if found:
                    return Refusal(rule, found.group(0)[:80])
    return None
