"""The image record: one type that `aloft build` writes and `aloft k8s` / `aloft lambda` read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from imagehelpers import aloft
from lambdaimagekit import make_lambda_project

from aloft.exceptions import ConfigError
from aloft.image.base import BaseImage
from aloft.image.record import ImageRecord, image_reference

DIGEST = "sha256:" + "d" * 64
REGISTRY_REF = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/shop@{DIGEST}"
ALOFT = str(Path(sys.executable).with_name("aloft"))


def _record(target: str = "container") -> ImageRecord:
    return ImageRecord(
        reference=REGISTRY_REF,
        digest=DIGEST,
        target=target,  # type: ignore[arg-type]
        platforms=({"platform": "linux/amd64", "digest": DIGEST},),
        functions=({"name": "shop-api", "key": "api", "cmd": ["h"]},) if target == "lambda" else (),
    )


@pytest.mark.parametrize("target", ["container", "lambda"])
def test_a_written_record_reads_back_as_the_same_value(tmp_path: Path, target: str) -> None:
    path = tmp_path / "build.json"
    _record(target).write(path)
    assert ImageRecord.read(path) == _record(target)
    assert json.loads(path.read_text()) == _record(target).to_json()
    assert [p.name for p in tmp_path.iterdir()] == ["build.json"]


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("not json", "not a JSON build record"),
        ("[]", "not a JSON build record"),
        (json.dumps({"digest": DIGEST}), '"reference"'),
        (json.dumps({"reference": "shop:latest"}), '"reference"'),
        (json.dumps({"reference": REGISTRY_REF, "digest": "sha256:" + "e" * 64}), '"digest"'),
        (json.dumps({"reference": REGISTRY_REF, "target": "zip"}), '"target"'),
        (json.dumps({"reference": REGISTRY_REF, "platforms": "linux/amd64"}), '"platforms"'),
    ],
)
def test_a_bad_record_is_one_line_naming_the_file_and_the_field(
    tmp_path: Path, content: str, named: str
) -> None:
    path = tmp_path / "build.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        ImageRecord.read(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"--image-record {path}: ")
    assert named in message


def test_a_missing_record_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--image-record .*nope\.json: not a JSON build record"):
        ImageRecord.read(tmp_path / "nope.json")


def test_the_reference_comes_from_one_of_image_or_record_for_the_right_target(
    tmp_path: Path,
) -> None:
    path = tmp_path / "build.json"
    _record("lambda").write(path)
    assert image_reference(None, path, target="lambda") == REGISTRY_REF
    assert image_reference("x@" + DIGEST, None, target="container") == "x@" + DIGEST
    assert image_reference(None, None, target="container") is None
    with pytest.raises(ConfigError, match="pass --image-uri or --image-record, not both"):
        image_reference(REGISTRY_REF, path, target="lambda", flag="--image-uri")
    with pytest.raises(ConfigError, match=r'built for "lambda".*aloft build --target container'):
        image_reference(None, path, target="container")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALOFT, *args], capture_output=True, text=True, timeout=120, check=False)


def _image_project(folder: Path) -> Path:
    folder.mkdir()
    (folder / "app.py").write_text("def app(environ, start_response):\n    return []\n")
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nrequires-python = ">=3.12"\n'
        '[tool.aloft]\napp = "app:app"\n[tool.aloft.lambda]\npackage = "image"\n'
    )
    return folder


def test_lambda_template_runs_the_image_of_a_lambda_record(tmp_path: Path) -> None:
    project = _image_project(tmp_path / "shop")
    record = tmp_path / "build.json"
    _record("lambda").write(record)
    result = _cli("lambda", "template", "--project", str(project), "--image-record", str(record))
    assert result.returncode == 0, result.stderr
    assert f"ImageUri: {REGISTRY_REF}" in result.stdout


def test_a_container_record_is_refused_by_lambda_and_a_lambda_record_by_k8s(
    tmp_path: Path,
) -> None:
    project = _image_project(tmp_path / "shop")
    container, function = tmp_path / "container.json", tmp_path / "lambda.json"
    _record("container").write(container)
    _record("lambda").write(function)
    refused = [
        _cli("lambda", "template", "--project", str(project), "--image-record", str(container)),
        _cli("k8s", "render", "--project", str(project), "--image-record", str(function)),
    ]
    for result in refused:
        assert result.returncode == 2, result.stdout + result.stderr
        [line] = result.stderr.strip().splitlines()
        assert "--image-record" in line and "aloft build --target" in line


def test_build_writes_the_record_it_prints_and_a_failed_build_writes_none(
    tmp_path: Path, tiny_template: Path, cache_dir: Path, base_amd64: BaseImage
) -> None:
    project = make_lambda_project(Path(shutil.copytree(tiny_template, tmp_path / "tiny")))
    record = tmp_path / "build.json"
    args = ["build", "--project", str(project), "--target", "lambda", "--image-record"]
    failed = aloft(*args, str(record), "--platform", "linux/s390x", cache=cache_dir)
    assert failed.returncode == 2
    assert not record.exists()
    layout = tmp_path / "oci"
    built = aloft(*args, str(record), "--layout", str(layout), "-o", "json", cache=cache_dir)
    assert built.returncode == 0, built.stderr
    assert json.loads(record.read_text()) == json.loads(built.stdout)
    read = ImageRecord.read(record)
    assert read.target == "lambda" and read.reference.endswith(read.digest)
    assert [f["key"] for f in read.functions] == ["api", "worker"]
