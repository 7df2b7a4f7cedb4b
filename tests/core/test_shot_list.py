"""The shot list's own checks (core/shot_list.py): its shape and types; the values are generate's."""

from __future__ import annotations

import pytest

from studio.core.shot_list import ShotListError, read_shot_list


def shots(tmp_path, text: str):
    path = tmp_path / "shots.toml"
    path.write_text(text, encoding="utf-8")
    return read_shot_list(path)


def test_a_shot_list_reads_its_fields_stills_beside_it_and_size_presets(tmp_path):
    first, second = shots(
        tmp_path,
        '[[shot]]\nprompt = " rain "\nimage = "stills/a.png"\nseconds = 2\n'
        '[[shot]]\nname = "door"\nprompt = "a door"\nsize = "9:16 480p"\nseed = 4\nmodel = "m"\n',
    )
    assert (first.number, first.name, first.prompt, first.seconds) == (1, "shot-1", "rain", 2.0)
    assert first.image == str(tmp_path / "stills" / "a.png")  # wherever the command is run from
    assert (second.name, second.width, second.height, second.seed, second.model) == ("door", 480, 853, 4, "m")
    assert first.fingerprint() != second.fingerprint()


def test_a_shot_s_fingerprint_changes_with_what_it_asks_for_only(tmp_path):
    (a,) = shots(tmp_path, '[[shot]]\nprompt = "rain"\nseed = 1\n')
    (same,) = shots(tmp_path, '[[shot]]\nseed = 1\nprompt = "rain"\n')
    (other,) = shots(tmp_path, '[[shot]]\nprompt = "rain"\nseed = 2\n')
    assert a.fingerprint() == same.fingerprint() != other.fingerprint()
    assert a.fingerprint() == "dda7e1a940791075"  # as a batch begun before styles recorded it: not remade


def test_the_files_style_is_every_shots_unless_a_shot_has_its_own(tmp_path):
    first, second = shots(
        tmp_path,
        'style = "35 mm film, warm light"\n[[shot]]\nprompt = "rain"\n[[shot]]\nprompt = "a door"\n'
        'style = " black and white "\n',
    )
    assert (first.style, second.style) == ("35 mm film, warm light", "black and white")
    (plain,) = shots(tmp_path, '[[shot]]\nprompt = "rain"\n')
    assert plain.style == "" and first.fingerprint() != plain.fingerprint()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "shots.toml: no shots"),
        ("prompt = 'x'\n", "shots.toml: unknown table or key 'prompt'"),
        ("[[shot]]\nprompt = 'x'\nframes = 9\nseconds = 1\n", "shots.toml: shot 1: give frames or seconds, not both"),
        ("[[shot]]\nprompt = 'x'\nwidth = true\n", "shots.toml: shot 1: width should be a whole number, not True"),
        ("[[shot]]\nprompt = 'x'\nsize = 'huge'\n", "shots.toml: shot 1: size 'huge' is not a preset"),
        ("[[shot]]\nprompt = 'x'\n[[shot]]\nprompt = '  '\n", "shots.toml: shot 2 has no prompt"),
        ("[[shot\n", "shots.toml: not valid TOML"),
        ("style = 3\n[[shot]]\nprompt = 'x'\n", "shots.toml: style should be text, not 3"),
        ("[[shot]]\nprompt = 'x'\nstyle = ['a']\n", "shots.toml: shot 1: style should be text, not ['a']"),
    ],
)
def test_a_bad_shot_list_is_refused_in_one_line_naming_the_shot(tmp_path, text, message):
    with pytest.raises(ShotListError) as refused:
        shots(tmp_path, text)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)
