"""The import's mapping: numbers as European offices write them, units, fixed values, translations."""

from __future__ import annotations

import pytest

from api.importing.mapping import KINDS, Mapping, MappingError, kilograms, number_in
from api.importing.sources import Row


@pytest.mark.parametrize(("text", "mark", "number"), [
    ("24,38", ",", "24.38"), ("24.380,5", ",", "24380.5"), ("24 380,5", ",", "24380.5"), ("24\u00a0380", ",", "24380"),
    ("24,380.5", ".", "24380.5"), ("24380", ".", "24380"), ("-2,5", ",", "-2.5"),
])
def test_a_number_is_read_with_the_files_decimal_mark(text, mark, number):
    assert str(number_in(text, mark)) == number


@pytest.mark.parametrize(("text", "mark"), [("24,38O", ","), ("12.34.5", ","), ("1.2345", ","), ("24,38", "."), ("", ",")])
def test_what_is_not_a_number_in_that_format_is_refused(text, mark):
    with pytest.raises(ValueError, match="decimal mark"):
        number_in(text, mark)


def test_tonnes_convert_exactly_and_pounds_to_the_nearest_gram():
    assert kilograms("24,38", "t", ",") == "24380"
    assert kilograms("1,0000005", "t", ",") == "1000.0005"  # the ledger refuses it: finer than a gram
    assert kilograms("100", "lb", ".") == "45.359"


def test_fixed_values_written_as_toml_numbers_become_the_ledgers_decimal_strings():
    mapping = Mapping.from_document({"columns": {"reference": "Ticket"},
                                     "fixed": {"net_mass_kg": 24.5, "material_family": "ferrous"},
                                     "units": {"net_mass_kg": "t"}}, KINDS["lots"])
    body, problems = mapping.body(Row(2, {"Ticket": "RTM-1"}), ",")
    assert problems == [] and body["net_mass_kg"] == "24500" and body["material_family"] == "ferrous"


def test_a_translation_applies_before_the_ledger_judges_the_code():
    mapping = Mapping.from_document({"columns": {"grade.code": "Soort"},
                                     "translate": {"grade.code": {"HMS1/2": "HMS 1&2"}}}, KINDS["lots"])
    assert mapping.body(Row(2, {"Soort": "HMS1/2"}), ",")[0] == {"grade": {"code": "HMS 1&2"}}


@pytest.mark.parametrize(("document", "says"), [
    ({"colums": {}}, "unknown section [colums]"),
    ({"columns": {}}, "[columns] names no column"),
    ({"columns": {"net_mass_kg": "Netto"}, "units": {"net_mass_kg": "st"}}, "'st' is not one of kg, t, lb"),
    ({"columns": {"reference": "Ticket"}, "units": {"reference": "t"}}, "only a mass"),
    ({"columns": {"reference": "Ticket"}, "file": {"decimal": ";"}}, 'decimal: must be "," or "."'),
    ({"columns": {"reference": "Ticket"}, "fixed": {"reference": "X"}}, "both in [columns] and [fixed]"),
])
def test_a_mapping_that_cannot_work_is_refused_naming_the_setting(document, says):
    with pytest.raises(MappingError) as refused:
        Mapping.from_document(document, KINDS["lots"])
    assert says in str(refused.value)


@pytest.mark.parametrize(("document", "says"), [
    ({"columns": {"reference": "Ticket"}, "translate": {"grade.code": "x"}}, '[translate."grade.code"] must be a table'),
    ({"columns": {"reference": "Ticket"}, "translate": {"grade": {"code": 3}}}, "must be a table"),
    ({"columns": {"net_mass_kg": "Netto"}, "units": {"net_mass_kg": ["t"]}}, "[units] net_mass_kg: must be a unit"),
    ({"columns": {"reference": "Ticket"}, "file": 3}, "[file] must be a table"),
    ({"columns": {"reference": 7}}, "[columns] reference: must be a column name"),
    ({"columns": {"reference": "Ticket"}, "fixed": {"origin.site": [1]}}, "[fixed] origin.site: must be a text, number or true/false"),
    ({"columns": {"reference": "Ticket"}, "file": {"encoding": "latin-9x"}}, "is not an encoding"),
    ({"columns": {"reference": "Ticket"}, "file": {"header_row": True}}, "header_row: must be a row number"),
])
def test_a_mapping_of_the_wrong_shapes_is_refused_not_a_traceback(document, says):
    with pytest.raises(MappingError) as refused:
        Mapping.from_document(document, KINDS["lots"])
    assert says in str(refused.value)


@pytest.mark.parametrize("text", ["24,380", "1,234"])
def test_one_group_of_three_under_an_inferred_decimal_mark_is_refused_as_ambiguous(text):
    mapping = Mapping.from_document({"columns": {"net_mass_kg": "Netto"}}, KINDS["lots"])
    body, problems = mapping.body(Row(2, {"Netto": text}), ".")
    assert "net_mass_kg" not in body and "ambiguous" in problems[0].rule


def test_the_same_value_under_a_named_decimal_mark_is_read_as_grouped_thousands():
    mapping = Mapping.from_document({"columns": {"net_mass_kg": "Netto"}, "file": {"decimal": "."}}, KINDS["lots"])
    assert mapping.body(Row(2, {"Netto": "24,380"}), ".")[0] == {"net_mass_kg": "24380"}


def test_spaces_group_thousands_only_in_threes():
    with pytest.raises(ValueError):
        number_in("24 38", ",")
