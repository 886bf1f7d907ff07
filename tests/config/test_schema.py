"""The config's one validator (aloft.config.schema): conversions, constraints and every problem."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar, Literal

import pytest

from aloft.config import schema
from aloft.config.schema import Problem, SchemaError, setting, table


def _lower(value: str) -> str:
    if value != value.strip():
        raise ValueError("no spaces around the name")
    return value.lower()


@table
class Item:
    name: str = setting(doc="required: no default")
    size: int = setting(default=1, ge=1, le=10, doc="a bounded int")


@table
class Shape:
    port: int = setting(default=8000, doc="an int")
    ratio: float = setting(default=1.0, gt=0, doc="a float")
    on: bool = setting(default=False, doc="a bool")
    label: str = setting(default="", doc="a str", check=_lower)
    mode: Literal["a", "b"] = setting(default="a", doc="a choice")
    limit: int | None = setting(default=None, ge=0, doc="optional")
    ports: list[int] = setting(default_factory=list, doc="a list")
    thresholds: tuple[int, ...] = setting(default=(), doc="a tuple")
    items: dict[str, Item] = setting(default_factory=dict, doc="a table of tables")
    steps: list[Item] = setting(default_factory=list, min_items=1, doc="an array of tables")
    inner: Item | None = None
    anything: dict[str, Any] = setting(default_factory=dict, doc="free-form")
    lambda_: Item | None = setting(default=None, key="lambda", doc="a key that is no Python name")


@table
class Pair:
    low: int = setting(default=0, doc="low")
    high: int = setting(default=1, doc="high")

    def _check(self) -> None:
        if self.high < self.low:
            raise ValueError("high is below low; raise high")


@table
class Open:
    _keeps_extra: ClassVar[bool] = True

    team: str = setting(default="", doc="a declared key")


def problems(cls: type[Any], data: Any) -> list[Problem]:
    with pytest.raises(SchemaError) as caught:
        schema.validate(cls, data)
    return caught.value.problems


def one(cls: type[Any], data: Any) -> Problem:
    found = problems(cls, data)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("given", "expected"),
    [(8000, 8000), ("8000", 8000), (" 8000 ", 8000), (8000.0, 8000), ("8000.0", 8000)],
)
def test_an_int_setting_takes_whole_numbers_and_their_strings(given: Any, expected: int) -> None:
    value = schema.validate(Shape, {"port": given}).port
    assert value == expected and type(value) is int


@pytest.mark.parametrize(
    ("given", "kind"),
    [(80.5, "int_from_float"), ("80a", "int_parsing"), (True, "int_type"), ([80], "int_type")],
)
def test_an_int_setting_refuses_what_is_not_a_whole_number(given: Any, kind: str) -> None:
    problem = one(Shape, {"port": given})
    assert (problem.loc, problem.type, problem.input) == (("port",), kind, given)
    assert problem.msg == "not a whole number; use an integer such as 8000"


@pytest.mark.parametrize(("given", "expected"), [(2, 2.0), ("2.5", 2.5), (0.25, 0.25)])
def test_a_float_setting_takes_ints_and_number_strings(given: Any, expected: float) -> None:
    value = schema.validate(Shape, {"ratio": given}).ratio
    assert value == expected and type(value) is float


def test_a_float_setting_refuses_text_and_booleans() -> None:
    assert one(Shape, {"ratio": "fast"}).msg == "not a number; use a number such as 2.5"
    assert one(Shape, {"ratio": True}).type == "float_type"


@pytest.mark.parametrize("given", [math.inf, -math.inf, math.nan, "nan", "inf"])
def test_a_float_setting_refuses_infinities_and_nan(given: Any) -> None:
    # nan would slip past every bound (nan < 0 is false), and no setting means infinity.
    problem = one(Shape, {"ratio": given})
    assert (problem.type, problem.msg) == (
        "finite_number",
        "must be a finite number, such as 2.5",
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        *((word, True) for word in ("true", "TRUE", "1", "yes", "on", " on ")),
        *((word, False) for word in ("false", "0", "no", "off", "Off")),
        (True, True),
        (0, False),
    ],
)
def test_a_bool_setting_takes_the_words_an_environment_variable_spells(
    given: Any, expected: bool
) -> None:
    assert schema.validate(Shape, {"on": given}).on is expected


def test_a_bool_setting_refuses_other_words_and_numbers() -> None:
    assert one(Shape, {"on": "maybe"}).msg == "not a boolean; use true or false"
    assert one(Shape, {"on": 2}).type == "bool_type"


def test_a_number_where_a_string_is_expected_is_an_error_not_converted() -> None:
    problem = one(Shape, {"label": 5})
    assert (problem.type, problem.msg) == ("string_type", "not a string; quote the value")


def test_a_choice_names_the_choices() -> None:
    problem = one(Shape, {"mode": "c"})
    assert problem.type == "literal_error"
    assert problem.msg == 'not one of the choices; use "a", "b"'


def test_constraints_read_as_one_line_reasons() -> None:
    assert one(Shape, {"ratio": 0}).msg == "must be more than 0"
    assert one(Shape, {"limit": -1}).msg == "must be at least 0"
    assert one(Item, {"name": "x", "size": 11}).msg == "must be at most 10"
    assert one(Shape, {"steps": []}).msg == "needs at least 1 item"


def test_an_optional_setting_takes_none_and_checks_anything_else() -> None:
    assert schema.validate(Shape, {"limit": None}).limit is None
    assert schema.validate(Shape, {"limit": "3"}).limit == 3


def test_lists_and_tuples_convert_each_item_and_name_its_index() -> None:
    shape = schema.validate(Shape, {"ports": ["80", 443], "thresholds": [5, "6"]})
    assert shape.ports == [80, 443]
    assert shape.thresholds == (5, 6)
    problem = one(Shape, {"ports": [80, "x"]})
    assert problem.loc == ("ports", 1)
    assert one(Shape, {"ports": "80"}).msg == "not a list; use [ ... ]"


def test_tables_of_tables_and_arrays_of_tables_are_built_with_nested_locations() -> None:
    shape = schema.validate(
        Shape, {"items": {"web": {"name": "w", "size": 2}}, "steps": [{"name": "s"}]}
    )
    assert shape.items == {"web": Item(name="w", size=2)}
    assert shape.steps == [Item(name="s")]
    assert one(Shape, {"items": {"web": {"name": "w", "size": 0}}}).loc == ("items", "web", "size")
    assert one(Shape, {"steps": [{"name": "s"}, {"name": 3}]}).loc == ("steps", 1, "name")
    assert one(Shape, {"inner": "x"}).msg == "not a table; use a [table] or inline { }"


def test_unknown_keys_are_refused_at_their_place() -> None:
    problem = one(Shape, {"items": {"web": {"name": "w", "colour": "red"}}})
    assert (problem.loc, problem.type, problem.input) == (
        ("items", "web", "colour"),
        "extra_forbidden",
        "red",
    )


def test_a_required_setting_left_out_is_named() -> None:
    problem = one(Shape, {"inner": {}})
    assert (problem.loc, problem.type, problem.msg) == (
        ("inner", "name"),
        "missing",
        "required; add it",
    )


def test_every_problem_is_reported_not_only_the_first() -> None:
    found = problems(
        Shape,
        {"port": "x", "on": "maybe", "items": {"a": {"size": 0}}, "typo": 1},
    )
    assert [(p.loc, p.type) for p in found] == [
        (("port",), "int_parsing"),
        (("on",), "bool_parsing"),
        (("items", "a", "name"), "missing"),
        (("items", "a", "size"), "value_error"),
        (("typo",), "extra_forbidden"),
    ]


def test_a_field_check_may_normalise_and_refuses_with_its_own_reason() -> None:
    assert schema.validate(Shape, {"label": "WEB"}).label == "web"
    problem = one(Shape, {"label": " web"})
    assert (problem.type, problem.input, problem.msg) == (
        "value_error",
        " web",
        "no spaces around the name",
    )


def test_checks_never_run_on_defaults() -> None:
    assert schema.validate(Shape, {}).label == ""  # _lower would not refuse it, but it is skipped
    assert schema.validate(Shape, {}).steps == []  # min_items=1 applies to a given list only


def test_a_table_check_runs_once_its_fields_are_valid_and_is_placed_at_the_table() -> None:
    problem = one(Pair, {"low": 5, "high": 1})
    assert (problem.loc, problem.type, problem.msg) == (
        (),
        "value_error",
        "high is below low; raise high",
    )
    # A field error first: the table's rule is not asked (its fields are not all there).
    assert [p.type for p in problems(Pair, {"low": "x", "high": 1})] == ["int_parsing"]


def test_a_setting_with_its_own_key_is_read_by_that_key_or_its_name() -> None:
    assert schema.validate(Shape, {"lambda": {"name": "f"}}).lambda_ == Item(name="f")
    assert schema.validate(Shape, {"lambda_": {"name": "f"}}).lambda_ == Item(name="f")
    assert one(Shape, {"lambda": {"name": 1}}).loc == ("lambda", "name")


def test_the_keys_given_are_recorded_apart_from_defaults() -> None:
    item = schema.validate(Item, {"name": "x"})
    assert schema.given(item) == {"name"}
    assert schema.given(Item(name="x")) == frozenset()


def test_a_table_that_keeps_extra_keys_keeps_them_in_order_and_dumps_them() -> None:
    tags = schema.validate(Open, {"owner": "me", "team": "t", "tier": 3})
    assert schema.extra(tags) == {"owner": "me", "tier": 3}
    assert schema.dump(tags) == {"team": "t", "owner": "me", "tier": 3}


def test_dump_gives_json_shaped_data_by_toml_key() -> None:
    shape = schema.validate(
        Shape, {"thresholds": [1, 2], "lambda": {"name": "f"}, "items": {"a": {"name": "x"}}}
    )
    dumped = schema.dump(shape)
    assert dumped["thresholds"] == [1, 2]
    assert dumped["lambda"] == {"name": "f", "size": 1}
    assert "lambda_" not in dumped
    assert dumped["items"] == {"a": {"name": "x", "size": 1}}


def test_an_instance_of_the_table_is_taken_as_it_is() -> None:
    item = Item(name="x")
    assert schema.validate(Shape, {"inner": item}).inner is item


def test_a_table_that_is_not_a_mapping_is_one_problem_at_the_root() -> None:
    assert one(Shape, ["port"]).loc == ()


def test_a_table_is_a_frozen_keyword_only_dataclass() -> None:
    item = Item(name="x")
    assert dataclasses.is_dataclass(item)
    assert [f.name for f in dataclasses.fields(item)] == ["name", "size"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.size = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del item.size  # type: ignore[misc]
    with pytest.raises(TypeError):
        Item("x")  # type: ignore[misc]
    with pytest.raises(TypeError, match="'name'"):
        Item()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="colour"):
        Item(name="x", colour="red")  # type: ignore[call-arg]


def test_tables_compare_hash_and_show_by_their_values() -> None:
    assert Item(name="x") == Item(name="x", size=1)
    assert Item(name="x") != Item(name="x", size=2)
    assert Item(name="x") != Pair()
    assert hash(Item(name="x")) == hash(Item(name="x"))
    assert repr(Item(name="x")) == "Item(name='x', size=1)"
    assert dataclasses.replace(Item(name="x"), size=3) == Item(name="x", size=3)
    assert Shape().ports is not Shape().ports  # a default factory per instance
