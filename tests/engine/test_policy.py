"""The prompt policy: rules from the studio and the user, matched as whole words or patterns, checked
by prepare() before a job is queued; a bad rules file is a clear error, never a crash."""

from __future__ import annotations

import pytest

from studio.core.recipe import Mode, Recipe
from studio.engine import policy
from studio.engine.requests import RequestError, prepare


@pytest.fixture(autouse=True)
def own_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_CONFIG", str(tmp_path / "config"))
    return tmp_path / "config"


def write_user_rules(own_settings, text: str):
    own_settings.mkdir(parents=True, exist_ok=True)
    (own_settings / "prompt_policy.toml").write_text(text)


def test_the_studios_rules_refuse_what_they_name_and_nothing_else():
    rules = policy.load_rules()
    assert {r.name for r in rules} >= {"minors-sexual", "non-consensual-intimate"}
    refusal = policy.check(["A naked child on a beach"], rules)
    assert refusal.rule.name == "minors-sexual" and refusal.matched.lower().startswith("naked child")
    assert policy.check(["children play on a sunny beach", "a kidney-shaped pool at dusk"], rules) is None


def test_words_match_whole_words_in_any_case(own_settings):
    write_user_rules(
        own_settings,
        """
[[rule]]
name = "no-brands"
reason = "the client owns no rights to other brands"
words = ["acme", "mega corp"]
""",
    )
    assert policy.check(["a van with the ACME logo"]).rule.name == "no-brands"
    assert policy.check(["the MEGA   corp tower"]).rule.name == "no-brands"
    assert policy.check(["an acmeist painting", "megacorp"]) is None


def test_a_user_rule_replaces_or_turns_off_a_studio_rule(own_settings):
    write_user_rules(
        own_settings,
        """
[[rule]]
name = "non-consensual-intimate"
enabled = false

[[rule]]
name = "gore"
reason = "this channel shows no gore"
patterns = ['\\bsevered\\s+(head|limb)s?\\b']
""",
    )
    assert policy.check(["an upskirt shot"]) is None  # the studio's rule is off
    assert policy.check(["a severed head on a spike"]).rule.name == "gore"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]\nname = 'x'", "is not valid TOML"),
        ("[[rule]]\nreason = 'r'\nwords = ['a']", "every rule needs a name"),
        ("[[rule]]\nname = 'x'\nwords = ['a']", "say the reason"),
        ("[[rule]]\nname = 'x'\nreason = 'r'", "give words or patterns"),
        ("[[rule]]\nname = 'x'\nreason = 'r'\npatterns = ['(unclosed']", "is not a valid regular expression"),
    ],
)
def test_a_bad_rules_file_is_named_in_the_refusal(own_settings, tiny_ltx, text, message):
    write_user_rules(own_settings, text)
    with pytest.raises(RequestError, match=f"prompt policy cannot be read: .*prompt_policy.toml.*{message}"):
        prepare(Recipe(Mode.TEXT_TO_VIDEO, str(tiny_ltx), "a quiet harbour", width=64, height=64, frames=9))


def test_prepare_refuses_a_prompt_naming_the_rule_but_not_a_negative_prompt(own_settings, tiny_ltx):
    write_user_rules(
        own_settings, "[[rule]]\nname = 'no-rain'\nreason = 'the film is set in a drought'\nwords = ['rain']"
    )
    base = Recipe(Mode.TEXT_TO_VIDEO, str(tiny_ltx), "a street", width=64, height=64, frames=9)
    with pytest.raises(
        RequestError,
        match="refused by the prompt policy: the prompt matches the rule 'no-rain' "
        r"\(the film is set in a drought\): \"rain\"",
    ):
        prepare(Recipe(**{**base.__dict__, "prompt": "a street in the rain"}))
    with pytest.raises(RequestError, match="no-rain"):
        prepare(Recipe(**{**base.__dict__, "expanded_prompt": "a wet street, heavy rain"}))
    with pytest.raises(RequestError, match="no-rain"):  # the sequence's style is said to the model too
        prepare(Recipe(**{**base.__dict__, "style": "overcast, rain on the lens"}))
    prepare(Recipe(**{**base.__dict__, "negative_prompt": "rain"}))  # what to avoid is not checked
