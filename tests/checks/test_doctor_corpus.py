"""Doctor on a corpus of real services, against judgements made by reading the code.

The corpus (tests/checks/corpus/projects.toml: pinned sdists with their sha256) is fetched once
per machine by tests/checks/corpus/fetch.py into /var/cache/aloft/corpus. Every finding doctor
reported there was judged true, false or debatable (tests/checks/corpus/judgements.toml). This
test fails when a judged true positive disappears, a judged false positive comes back, or a rule
that was judged reports something nobody has judged yet; and it holds the issue's bar: at least
90% precision overall and no rule above 20% false.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aloft.checks.doctor.engine import Doctor

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CORPUS = Path(__file__).parent / "corpus"
Key = tuple[str, str, str, int]


@pytest.fixture(scope="module")
def corpus() -> dict[str, Path]:
    done = subprocess.run(
        [sys.executable, str(CORPUS / "fetch.py")],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    folders = [Path(line) for line in done.stdout.split()]
    with (CORPUS / "projects.toml").open("rb") as fh:
        names = [p["name"] for p in tomllib.load(fh)["project"]]
    return dict(zip(names, folders, strict=True))


@pytest.fixture(scope="module")
def found(corpus: dict[str, Path]) -> dict[Key, str]:
    out: dict[Key, str] = {}
    for name, folder in corpus.items():
        for finding in Doctor(folder).run().findings:
            key = (name, finding.rule, finding.location.path, finding.location.line)
            out[key] = finding.message
    return out


def judgements() -> dict[Key, dict[str, object]]:
    with (CORPUS / "judgements.toml").open("rb") as fh:
        items = tomllib.load(fh)["finding"]
    return {(i["project"], i["rule"], i["path"], i["line"]): i for i in items}


@pytest.mark.timeout(1800)
def test_judged_true_positives_are_all_still_found(found: dict[Key, str]) -> None:
    expected = {
        k for k, j in judgements().items() if j["verdict"] == "true" and j.get("current", True)
    }
    assert sorted(expected - set(found)) == []


def test_judged_false_positives_do_not_come_back(found: dict[Key, str]) -> None:
    # `accepted` marks a false positive still reported, with why no rule change fixes it yet;
    # it counts against precision below.
    false = {
        k for k, j in judgements().items() if j["verdict"] == "false" and not j.get("accepted")
    }
    assert sorted(false & set(found)) == []


def test_every_finding_of_a_judged_rule_has_been_judged(found: dict[Key, str]) -> None:
    judged = judgements()
    rules = {rule for _, rule, _, _ in judged}
    # A rule added later (another team's) is judged when it first reports here.
    unjudged = [(k, m) for k, m in found.items() if k not in judged and k[1] in rules]
    assert unjudged == [], "judge these in tests/checks/corpus/judgements.toml"


def test_precision_is_at_least_90_percent_and_no_rule_is_over_20_percent_false(
    found: dict[Key, str],
) -> None:
    judged = judgements()
    verdicts = [(k[1], judged[k]["verdict"]) for k in found if k in judged]
    true = sum(v == "true" for _, v in verdicts)
    false = sum(v == "false" for _, v in verdicts)
    assert true + false > 100, "the corpus should give enough judged findings to measure"
    assert true / (true + false) >= 0.9
    for rule in {r for r, _ in verdicts}:
        rule_true = sum(r == rule and v == "true" for r, v in verdicts)
        rule_false = sum(r == rule and v == "false" for r, v in verdicts)
        if rule_true + rule_false:
            assert rule_false / (rule_true + rule_false) <= 0.2, rule
