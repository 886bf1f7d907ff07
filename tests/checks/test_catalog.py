"""The rule catalog and the rule modules agree: each rule has its metadata, module and tests."""

from __future__ import annotations

import re
from pathlib import Path

from aloft.checks.doctor.engine import SYNTAX_RULE, load_doctor_catalog
from aloft.checks.doctor.rules import rule_modules


def test_every_catalog_rule_has_a_module_and_every_module_an_entry():
    catalog = load_doctor_catalog()
    assert set(rule_modules()) == set(catalog.rules) - {SYNTAX_RULE}


def test_every_rule_module_has_its_own_test_file():
    here = Path(__file__).parent
    for rule_id, module in rule_modules().items():
        stem = Path(module.__file__ or "").stem
        assert (here / f"test_rule_{stem}.py").is_file(), rule_id


def test_every_rule_states_a_principle_rationale_and_fix():
    catalog = load_doctor_catalog()
    for rule in catalog.rules.values():
        assert rule.principle in catalog.principles
        assert rule.rationale.endswith(".") and rule.fix.endswith((".", ")"))
        assert re.fullmatch(r"[A-Z]{3}\d{3}", rule.id)
    assert catalog.updated and catalog.source
