BAD = """\
FROM python:3.12
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
"""

GOOD = """\
FROM python:3.12 AS build
COPY requirements.txt .
RUN pip wheel -r requirements.txt -w /wheels

FROM python:3.12-slim
COPY --from=build /wheels /wheels
RUN pip install --no-index /wheels/*
"""


def test_reports_a_single_stage_that_installs_packages(check):
    assert check("CTR006", {"Dockerfile": BAD}) == [("Dockerfile", 1)]


def test_multi_stage_build_passes(check):
    assert check("CTR006", {"Dockerfile": GOOD}) == []


def test_a_single_stage_that_installs_nothing_passes(check):
    assert check("CTR006", {"Dockerfile": "FROM scratch\nCOPY app /app\n"}) == []
