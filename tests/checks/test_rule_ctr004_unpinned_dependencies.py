PYPROJECT = """
[project]
name = "shop"
version = "1.0"
dependencies = [
    "fastapi>=0.110",
    "httpx>=0.27",
]
"""

REQUIREMENTS = """
# runtime
fastapi==0.115.0
uvicorn[standard]>=0.30
requests
-r base.txt
"""


def test_reports_dependency_ranges_without_a_lock_file(check):
    assert check("CTR004", {"pyproject.toml": PYPROJECT, "app.py": "import fastapi\n"}) == [
        ("pyproject.toml", 4)
    ]


def test_a_lock_file_pins_the_ranges(check):
    files = {"pyproject.toml": PYPROJECT, "uv.lock": "version = 1\n", "app.py": "import fastapi\n"}
    assert check("CTR004", files) == []


def test_reports_each_unpinned_requirement(check):
    assert check("CTR004", {"requirements.txt": REQUIREMENTS}) == [
        ("requirements.txt", 3),
        ("requirements.txt", 4),
    ]


def test_fully_pinned_requirements_pass(check):
    pinned = "fastapi==0.115.0 \\\n    --hash=sha256:abc\nuvicorn==0.30.6\n"
    assert check("CTR004", {"requirements.txt": pinned, "pyproject.toml": PYPROJECT}) == []


def test_reports_third_party_imports_with_no_dependency_file(check, messages):
    files = {
        "app.py": "import os\n\nimport redis\nfrom flask import Flask\nfrom app2 import x\n",
        "app2.py": "x = 1\n",
    }
    assert check("CTR004", files) == [("app.py", 3)]
    assert messages("CTR004", files) == [
        "imports flask, redis but the project declares no dependencies"
    ]
