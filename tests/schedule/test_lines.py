"""The scanner that finds the line of each table and key, which tomllib does not tell."""

from __future__ import annotations

import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from calmcoach.schedule.lines import KeyPath, scan

DOCUMENT = '''\
# a comment with [[reminder]] in it
[settings]
timezone = "UTC"   # [[reminder]] here is a comment
voice.rate = 120
patterns = { calm = { ratio = "4-6" } }
note = """
[[reminder]]
name = "inside a string"
"""
literal = \'\'\'
[settings.fake]
\'\'\'

[settings.drinks."flat white"]
serving = "8oz"

[[reminder]]
name = "water"
at = [
  "10:00",   # ] not the end
  "11:00",
]
every = "45m"

  [[reminder]]
  "name" = 'b'
kind='tip'
'''


def test_tables_and_keys_are_found_on_their_lines() -> None:
    lines = scan(DOCUMENT).lines
    expected: dict[KeyPath, int] = {
        ("settings",): 2,
        ("settings", "timezone"): 3,
        ("settings", "voice"): 4,
        ("settings", "voice", "rate"): 4,
        ("settings", "patterns"): 5,
        ("settings", "note"): 6,
        ("settings", "literal"): 10,
        ("settings", "drinks"): 14,
        ("settings", "drinks", "flat white"): 14,
        ("settings", "drinks", "flat white", "serving"): 15,
        ("reminder",): 17,
        ("reminder", 1): 17,
        ("reminder", 1, "name"): 18,
        ("reminder", 1, "at"): 19,
        ("reminder", 1, "every"): 23,
        ("reminder", 2): 25,
        ("reminder", 2, "name"): 26,
        ("reminder", 2, "kind"): 27,
    }
    assert lines == expected
    tomllib.loads(DOCUMENT)  # the document is valid TOML, so the expectations are about real keys


def test_find_falls_back_to_the_nearest_enclosing_key() -> None:
    found = scan(DOCUMENT)
    assert found.find(("reminder", 1, "at", 2)) == 19
    assert found.find(("settings", "patterns", "calm", "ratio")) == 5
    assert found.find(("reminder", 2, "every")) == 25
    assert found.find(("nowhere",)) is None


def test_nesting_is_measured() -> None:
    found = scan("a = 1\nb = [[1], { c = [2] }]\n\nd = [\n  [[[3]]],\n]\n")
    assert (found.max_depth, found.max_depth_line) == (4, 5)


def test_lines_are_counted_as_tomllib_counts_them() -> None:
    # A form feed or U+2028 inside a comment is not a line break in TOML.
    found = scan("# one\x0c still one\u2028 and still\n[[reminder]]\nname = 'x'\n")
    assert found.lines[("reminder", 1, "name")] == 3


def test_windows_line_endings() -> None:
    found = scan('[settings]\r\nbedtime = "23:00"\r\n[[reminder]]\r\nname = "x"\r\n')
    assert found.lines[("settings", "bedtime")] == 2
    assert found.lines[("reminder", 1, "name")] == 4


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("[]{}\"'#=.\n\\ ab1"), max_size=200) | st.text(max_size=200))
def test_the_scanner_never_raises(text: str) -> None:
    found = scan(text)
    assert all(1 <= line <= text.count("\n") + 1 for line in found.lines.values())


KEY = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(KEY, st.integers(0, 2)), min_size=1, max_size=4, unique_by=lambda kv: kv[0]),
        min_size=1,
        max_size=5,
    )
)
def test_every_key_of_generated_reminders_is_found(tables: list[list[tuple[str, int]]]) -> None:
    """Reminders whose values span 1-3 lines: each key is found on the line it was written on."""
    text_lines: list[str] = []
    expected: dict[KeyPath, int] = {}
    for index, table in enumerate(tables, start=1):
        text_lines.append("[[reminder]]")
        expected[("reminder", index)] = len(text_lines)
        for key, extra_lines in table:
            expected[("reminder", index, key)] = len(text_lines) + 1
            if extra_lines:
                text_lines.append(f'{key} = [  # "[[x]]"')
                text_lines.extend(f'  "[[reminder]] {n}",' for n in range(extra_lines))
                text_lines.append("]")
            else:
                text_lines.append(f'{key} = "v"')
    text = "\n".join(text_lines) + "\n"
    assert len(tomllib.loads(text)["reminder"]) == len(tables)
    found = scan(text).lines
    assert {path: line for path, line in found.items() if path != ("reminder",)} == expected


def test_quoted_keys_are_found_under_their_decoded_names() -> None:
    found = scan('[settings.drinks]\n"flat\\twhite" = 1\n"caf\\u00e9" = 2\n\'raw\\n\' = 3\n')
    assert found.lines[("settings", "drinks", "flat\twhite")] == 2
    assert found.lines[("settings", "drinks", "café")] == 3
    assert found.lines[("settings", "drinks", "raw\\n")] == 4
