BAD = """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install \\
    -r requirements.txt
CMD ["gunicorn", "app:app"]
"""

GOOD = """\
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN pip install --no-deps .
CMD ["gunicorn", "app:app"]
"""


def test_reports_source_copied_before_dependency_install(check, messages):
    assert check("CTR007", {"Dockerfile": BAD}) == [("Dockerfile", 3)]
    assert messages("CTR007", {"Dockerfile": BAD}) == [
        "the whole source is copied (line 3) before dependencies are installed (line 4), "
        "so every code change reinstalls them"
    ]


def test_dependencies_first_then_code_passes(check):
    assert check("CTR007", {"Dockerfile": GOOD}) == []
