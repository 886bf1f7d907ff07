BAD = """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["python", "-m", "app"]
"""

BAD_BACK_TO_ROOT = """\
FROM python:3.12-slim
RUN useradd -u 10001 app
USER app
USER root
CMD ["python", "-m", "app"]
"""

GOOD = """\
FROM python:3.12-slim AS build
RUN pip wheel -w /wheels fastapi

FROM python:3.12-slim
COPY --from=build /wheels /wheels
RUN useradd --uid 10001 app
USER 10001
CMD ["python", "-m", "app"]
"""


def test_reports_a_final_stage_without_user(check):
    assert check("CTR005", {"Dockerfile": BAD}) == [("Dockerfile", 1)]


def test_reports_switching_back_to_root(check):
    assert check("CTR005", {"Dockerfile": BAD_BACK_TO_ROOT}) == [("Dockerfile", 4)]


def test_non_root_final_stage_passes(check):
    assert check("CTR005", {"Dockerfile": GOOD}) == []
