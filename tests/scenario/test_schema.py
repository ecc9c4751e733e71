"""The schema is one declaration table per scenario section, in a module named after it."""

import importlib
from pathlib import Path

from bubblesim.scenario import schema
from bubblesim.scenario.schema import PARAMETERS, SECTION_TABLES, SECTIONS

SCHEMA_DIR = Path(schema.__file__).parent


def test_each_section_is_declared_in_its_own_module():
    modules = {p.stem for p in SCHEMA_DIR.glob("*.py")} - {"__init__", "declaration"}
    assert modules == set(SECTION_TABLES)
    for name in modules:
        table = importlib.import_module(f"bubblesim.scenario.schema.{name}")
        assert table.SECTION == name
        assert table.PARAMETERS, name
        assert {p.section for p in table.PARAMETERS} == {name}


def test_tables_join_into_one_list_in_file_order():
    assert [p for t in SECTION_TABLES.values() for p in t] == list(PARAMETERS)
    assert SECTIONS == (*SECTION_TABLES, "correlations")
    names = [p.name for p in PARAMETERS]
    assert len(names) == len(set(names)), "a key is declared twice"
