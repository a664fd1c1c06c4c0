"""The helpers every command shares."""

from __future__ import annotations

import doctest

import pytest
import typer

from archgym.cli import _common
from archgym.cli._common import parse_assignments, split_list


def test_docstring_examples() -> None:
    result = doctest.testmod(_common)
    assert result.attempted > 0 and result.failed == 0


def test_parse_assignments_parses_json_values_and_names_the_option_when_malformed() -> None:
    assert parse_assignments(["a=[1, 2]", "b = x", "c="], "--hp") == {
        "a": [1, 2],
        "b": "x",
        "c": "",
    }
    with pytest.raises(typer.BadParameter, match="--env-arg 'oops' must look like NAME=VALUE"):
        parse_assignments(["oops"], "--env-arg")


def test_split_list_drops_blanks() -> None:
    assert (
        split_list(" rf, et ,,") == ["rf", "et"]
        and split_list("") is None
        and split_list(None) is None
    )
