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


def test_reports_a_requirements_file_once_at_its_first_unpinned_line(check, messages):
    assert check("CTR004", {"requirements.txt": REQUIREMENTS}) == [("requirements.txt", 3)]
    assert messages("CTR004", {"requirements.txt": REQUIREMENTS}) == [
        "requirement 'uvicorn[standard]>=0.30' and 1 more not pinned with =="
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


# The shapes of the real cases: a uv workspace member checked on its own (the lock sits at the
# workspace root, above the checked folder), per-service requirement files, docs requirements.
WORKSPACE_ROOT = """
[project]
name = "platform"
version = "1"

[tool.uv.workspace]
members = ["services/*"]
"""


def test_a_workspace_member_is_locked_by_the_lock_file_at_the_workspace_root(tmp_path):
    from checkkit import run_rule, write

    write(
        tmp_path,
        {
            "pyproject.toml": WORKSPACE_ROOT,
            "uv.lock": "version = 1\n",
            "services/orders/app.py": "import fastapi\n",
        },
    )
    (tmp_path / ".git").mkdir()
    found = run_rule(tmp_path / "services" / "orders", "CTR004", {"pyproject.toml": PYPROJECT})
    assert found == []


def test_per_service_requirement_files_are_checked_and_pin_the_project(check):
    pinned = "fastapi==0.115.0\nuvicorn==0.30.6\n"
    files = {
        "pyproject.toml": PYPROJECT,
        "services/api/requirements.txt": pinned,
        "services/worker/requirements/base.txt": "celery>=5\n",
        "app.py": "import fastapi\n",
    }
    assert check("CTR004", files) == [("services/worker/requirements/base.txt", 1)]


def test_docs_and_dev_requirements_are_not_what_the_image_installs(check):
    files = {
        "requirements.txt": "fastapi==0.115.0\n",
        "requirements-docs.txt": "sphinx>=3.2\n",
        "requirements/dev.txt": "pytest\n",
    }
    assert check("CTR004", files) == []
