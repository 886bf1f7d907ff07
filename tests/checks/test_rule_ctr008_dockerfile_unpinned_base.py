BAD = """\
FROM python AS build
FROM --platform=linux/amd64 python:latest
"""

GOOD = """\
ARG BASE=python:3.12-slim
FROM python:3.12-slim AS build
FROM build
FROM registry.example.com:5000/python:3.12
FROM python@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
FROM ${BASE}
FROM scratch
"""


def test_reports_untagged_and_latest_bases(check):
    assert check("CTR008", {"Dockerfile": BAD}) == [("Dockerfile", 1), ("Dockerfile", 2)]


def test_tags_digests_stages_and_variables_pass(check):
    assert check("CTR008", {"Dockerfile": GOOD}) == []
