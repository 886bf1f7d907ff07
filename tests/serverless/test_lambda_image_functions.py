"""Functions from a container image (package = "image"), the ownership tag in every template, and
the timeout of functions behind an HTTP API.

One image (what `aloft build --target lambda` pushes) serves every function, each passing its
handler as ImageConfig.Command. The SAM template is linted in both forms, the serverless.yml is
read back and compiled by the Serverless Framework itself, and deploy runs against a moto server
whose Lambda checks that the image exists in its ECR (MOTO_LAMBDA_STUB_ECR=false), so the images
are pushed there first, by digest, as a real account needs.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from aloft.config import load_config
from aloft.exceptions import ConfigError
from aloft.serverless import serverless_yml
from aloft.serverless.deploy import deploy
from aloft.serverless.model import Stack, build_stack
from aloft.serverless.template import sam_template
from lambdakit import aws_state, cfn_lint, moto, point_boto3_at, sls, translate
from testkit import ALOFT

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
DIGEST = "sha256:" + "a" * 64
IMAGE = f"{REGISTRY}/orders@{DIGEST}"

PROJECT = """
[project]
name = "{name}"
requires-python = "==3.12.*"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.tags]
team = "payments"

[tool.aloft.lambda]
architecture = "arm64"
package = "image"
{image}
[tool.aloft.lambda.functions.api]
memory = 1024

[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
timeout = 60
events = [{{ type = "sqs", queue = "orders", batch_size = 10 }}]

[tool.aloft.lambda.functions.nightly]
handler = "orders.jobs.nightly"
events = [{{ type = "schedule", expression = "rate(1 day)" }}]

[tool.aloft.lambda.functions.hook]
events = [{{ type = "function_url" }}]
"""


def project(folder: Path, name: str = "orders", image: str = IMAGE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    line = f'image_uri = "{image}"\n' if image else ""
    (folder / "pyproject.toml").write_text(PROJECT.format(name=name, image=line))
    return folder


def stack_of(folder: Path, image_uri: str | None = None) -> Stack:
    return build_stack(load_config(folder, environ={}), image_uri, require_image=True)


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["FunctionName"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }


def lint_errors(template: dict[str, Any], folder: Path) -> list[str]:
    return [
        f"{f['Rule']['Id']} {f['Message']}"
        for f in cfn_lint(template, folder)
        if f["Level"] in ("Error", "Warning")
    ]


@pytest.fixture(scope="module")
def sam(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return sam_template(stack_of(project(tmp_path_factory.mktemp("sam"))))


# --- the SAM template --------------------------------------------------------------------------


def test_image_functions_run_the_one_image_with_their_handler_as_the_command(
    sam: dict[str, Any],
) -> None:
    found = functions(sam)
    assert set(found) == {"orders-api", "orders-worker", "orders-nightly", "orders-hook"}
    app_handler = "aloft.runtime.aws_lambda.entry.handler"
    commands = {name: props["ImageConfig"]["Command"] for name, props in found.items()}
    assert commands == {
        "orders-api": [app_handler],
        "orders-worker": ["orders.jobs.handler"],
        "orders-nightly": ["orders.jobs.nightly"],
        "orders-hook": [app_handler],
    }
    for props in found.values():
        assert props["PackageType"] == "Image" and props["ImageUri"] == IMAGE
        assert props["Architectures"] == ["arm64"]
        assert not {"Handler", "Runtime", "Layers", "CodeUri"} & set(props)
    assert "DependenciesLayer" not in sam["Resources"]  # the image holds the dependencies
    assert found["orders-api"]["Environment"]["Variables"]["ALOFT_APP"] == "orders.main:app"


def test_image_sam_template_passes_cfn_lint_in_both_forms(
    sam: dict[str, Any], tmp_path: Path
) -> None:
    assert lint_errors(sam, tmp_path) == []
    cloudformation = translate(sam)
    assert lint_errors(cloudformation, tmp_path) == []
    translated = functions(cloudformation)
    assert len(translated) == 4
    for props in translated.values():
        assert props["PackageType"] == "Image"
        assert props["Code"] == {"ImageUri": IMAGE}
        assert "Handler" not in props and "Layers" not in props
    assert translated["orders-worker"]["ImageConfig"] == {"Command": ["orders.jobs.handler"]}


def test_the_lint_of_the_translated_form_catches_a_wrong_image_architecture(
    sam: dict[str, Any], tmp_path: Path
) -> None:
    broken = json.loads(json.dumps(sam))
    broken["Resources"]["WorkerFunction"]["Properties"]["Architectures"] = ["i386"]
    assert any("i386" in e for e in lint_errors(translate(broken), tmp_path))


def test_image_uri_comes_from_the_environment_and_the_command_line_overrides_it(
    tmp_path: Path,
) -> None:
    folder = project(tmp_path / "p", image="")
    other = f"{REGISTRY}/orders@sha256:{'b' * 64}"
    from_env = load_config(folder, environ={"ALOFT_LAMBDA__IMAGE_URI": other})
    assert build_stack(from_env, require_image=True).image_uri == other
    third = f"{REGISTRY}/orders@sha256:{'c' * 64}"
    assert build_stack(from_env, third, require_image=True).image_uri == third
    with pytest.raises(ConfigError, match=r"--image-uri 'not a ref'"):
        build_stack(from_env, "not a ref")


def test_without_an_image_uri_rendering_is_one_config_error_but_the_image_build_reads_the_model(
    tmp_path: Path,
) -> None:
    folder = project(tmp_path / "p", image="")
    resolved = load_config(folder, environ={})
    with pytest.raises(ConfigError) as raised:
        build_stack(resolved, require_image=True)
    message = str(raised.value)
    assert "\n" not in message
    assert "[tool.aloft.lambda] image_uri" in message and "aloft build --target lambda" in message
    # `aloft build --target lambda` reads the handlers from the model before any image exists.
    assert [f.handler for f in build_stack(resolved).functions][1] == "orders.jobs.handler"


def test_an_image_uri_for_zip_functions_is_refused_on_the_command_line_and_warned_in_config(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "z"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "z"\n[tool.aloft]\napp = "a:app"\n'
        f'[tool.aloft.lambda]\nimage_uri = "{IMAGE}"\n'
    )
    resolved = load_config(folder, environ={})
    with pytest.raises(ConfigError, match=r'--image-uri: .*package is "zip"; set package'):
        build_stack(resolved, IMAGE)
    stack = build_stack(resolved, require_image=True)
    assert not stack.image and stack.image_uri == ""
    assert any('image_uri is set but package = "zip"' in w for w in stack.warnings)


def test_a_tag_reference_gets_a_warning_a_digest_none(tmp_path: Path) -> None:
    tagged = stack_of(project(tmp_path / "t", image=f"{REGISTRY}/orders:v1"))
    assert any("a tag, not a digest" in w for w in tagged.warnings)
    assert stack_of(project(tmp_path / "d")).warnings == ()


# --- ownership tag and HTTP timeouts (zip and image alike) --------------------------------------


def test_every_template_carries_the_ownership_tag_deploy_prunes_by(
    sam: dict[str, Any], tmp_path: Path
) -> None:
    from tagcheck import check_tags

    check_tags(sam["Resources"], {"aloft:stack": "orders", "team": "payments"})
    config = serverless_yml.serverless_config(stack_of(project(tmp_path / "s")))
    assert config["provider"]["stackTags"]["aloft:stack"] == "orders"
    assert config["provider"]["tags"]["aloft:stack"] == "orders"
    assert "aloft:managed-tags" not in config["provider"]["tags"]  # deploy's own bookkeeping


def test_http_api_functions_default_to_29_seconds_and_others_keep_30(sam: dict[str, Any]) -> None:
    found = functions(sam)
    assert found["orders-api"]["Timeout"] == 29  # behind an HTTP API: under its 30 s
    assert found["orders-hook"]["Timeout"] == 30  # a Function URL allows 15 minutes
    assert found["orders-nightly"]["Timeout"] == 30
    assert found["orders-worker"]["Timeout"] == 60  # set by the user


def test_a_user_timeout_over_the_http_api_limit_is_kept_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "slow"\n[tool.aloft]\napp = "a:app"\n'
        "[tool.aloft.lambda.functions.api]\ntimeout = 45\n"
        '[tool.aloft.lambda.functions.quick]\ntimeout = 30\nhandler = "a.h"\n'
    )
    stack = build_stack(load_config(folder, environ={}))
    assert [f.timeout for f in stack.functions] == [45, 30]
    (warning,) = stack.warnings
    assert "[tool.aloft.lambda.functions.api] timeout = 45" in warning and "29" in warning
    run = subprocess.run(
        [*ALOFT, "lambda", "template", "--project", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Timeout: 45" in run.stdout
    assert run.stderr.strip() == f"aloft: warning: {warning}"


# --- serverless.yml, read back and compiled by the framework ------------------------------------


@pytest.fixture(scope="module")
def serverless_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = project(tmp_path_factory.mktemp("sls") / "orders")
    config = serverless_yml.serverless_config(stack_of(folder))
    (folder / "serverless.yml").write_text(serverless_yml.to_yaml(config))
    return folder


def test_serverless_print_shows_each_function_running_the_image_with_its_command(
    serverless_folder: Path, serverless: Path, sls_env: dict[str, str], sam: dict[str, Any]
) -> None:
    run = sls(serverless, serverless_folder, sls_env, "print", "--format", "json")
    assert run.returncode == 0, run.stderr[-3000:]
    assert [line for line in run.stderr.splitlines() if line.strip().startswith("at '")] == []
    printed = {f["name"]: f for f in json.loads(run.stdout)["functions"].values()}
    for name, props in functions(sam).items():
        assert printed[name]["image"] == {"uri": IMAGE, "command": props["ImageConfig"]["Command"]}
        assert "handler" not in printed[name] and "layers" not in printed[name]
        assert printed[name]["timeout"] == props["Timeout"]


def test_serverless_package_compiles_image_functions_like_the_translated_sam_template(
    serverless_folder: Path,
    serverless: Path,
    sls_env: dict[str, str],
    sam: dict[str, Any],
    tmp_path: Path,
) -> None:
    folder = serverless_folder
    run = sls(serverless, folder, sls_env, "package")
    assert run.returncode == 0, run.stderr[-3000:]
    # The framework warns about functions whose timeout does not fit the HTTP API's.
    assert "timeout setting" not in run.stderr
    packaged = json.loads(
        (folder / ".serverless" / "cloudformation-template-update-stack.json").read_text()
    )
    keys = ("PackageType", "Code", "ImageConfig", "Architectures", "Timeout", "MemorySize")
    compiled = functions(packaged)
    translated = functions(translate(sam))
    assert set(compiled) == set(translated)
    for name, props in translated.items():
        assert {k: compiled[name].get(k) for k in keys} == {k: props.get(k) for k in keys}
        assert "Runtime" not in compiled[name]
    errors = [
        e
        for e in lint_errors(packaged, tmp_path)
        # The framework's own HTTP API route names its integration twice (Ref and DependsOn).
        if not e.startswith("W3005")
    ]
    assert errors == []


# --- deploy, to a moto whose Lambda requires the image in its ECR -------------------------------


@pytest.fixture(scope="module")
def ecr_moto() -> Iterator[str]:
    """A moto server of its own: Lambda there refuses an ImageUri its ECR does not hold."""
    with moto(MOTO_LAMBDA_STUB_ECR="false") as url:
        yield url


@pytest.fixture
def ecr_env(ecr_moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    return point_boto3_at(ecr_moto, monkeypatch)


def push(repository: str, content: str) -> str:
    """An image manifest in moto's ECR, by its digest as a registry computes it; its reference."""
    ecr = boto3.client("ecr")
    try:
        uri = ecr.create_repository(repositoryName=repository)["repository"]["repositoryUri"]
    except ecr.exceptions.RepositoryAlreadyExistsException:
        uri = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0][
            "repositoryUri"
        ]
    layer = "sha256:" + hashlib.sha256(content.encode()).hexdigest()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:" + hashlib.sha256(b"config" + content.encode()).hexdigest(),
                "size": 1234,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer,
                    "size": 100,
                }
            ],
        }
    )
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    ecr.put_image(
        repositoryName=repository, imageManifest=manifest, imageTag=content, imageDigest=digest
    )
    return f"{uri}@{digest}"


IMAGE_PROJECT = """
[project]
name = "{name}"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.lambda]
package = "image"
architecture = "arm64"

[tool.aloft.lambda.functions.api]
events = [{{ type = "function_url" }}]

[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
events = [{{ type = "sqs", queue = "orders" }}]
"""


def image_stack(folder: Path, name: str, image: str) -> Stack:
    folder.mkdir(exist_ok=True)
    (folder / "pyproject.toml").write_text(IMAGE_PROJECT.format(name=name))
    return stack_of(folder, image)


def test_deploy_creates_image_functions_and_a_rerun_changes_nothing(
    ecr_env: str, tmp_path: Path
) -> None:
    image = push("im-a", "v1")
    stack = image_stack(tmp_path, "im-a", image)
    first = deploy(stack, None)
    assert "function im-a-worker created" in first.changes
    lam = boto3.client("lambda")
    worker = lam.get_function(FunctionName="im-a-worker")
    conf = worker["Configuration"]
    assert conf["PackageType"] == "Image" and worker["Code"]["ImageUri"] == image
    assert conf["ImageConfigResponse"]["ImageConfig"]["Command"] == ["orders.jobs.handler"]
    assert conf["Architectures"] == ["arm64"] and not conf.get("Layers")
    assert worker["Tags"]["aloft:stack"] == "im-a"
    api = lam.get_function(FunctionName="im-a-api")["Configuration"]
    assert api["ImageConfigResponse"]["ImageConfig"]["Command"] == [
        "aloft.runtime.aws_lambda.entry.handler"
    ]
    assert lam.list_layers()["Layers"] == []  # nothing to share: the image holds it
    before = aws_state("im-a")
    again = deploy(stack, None)
    assert again.changes == []
    assert aws_state("im-a") == before


def test_a_new_image_digest_updates_the_code_and_publishes_a_version(
    ecr_env: str, tmp_path: Path
) -> None:
    first = push("im-b", "v1")
    deploy(image_stack(tmp_path, "im-b", first), None)
    second = push("im-b", "v2")
    result = deploy(image_stack(tmp_path, "im-b", second), None)
    assert "function im-b-worker code updated" in result.changes
    assert "function im-b-worker version 2 published" in result.changes
    lam = boto3.client("lambda")
    assert lam.get_function(FunctionName="im-b-worker")["Code"]["ImageUri"] == second
    assert lam.get_alias(FunctionName="im-b-worker", Name="live")["FunctionVersion"] == "2"
    assert result.versions == {"im-b-api": "2", "im-b-worker": "2"}


def test_moto_lambda_refuses_an_image_its_ecr_does_not_hold(ecr_env: str, tmp_path: Path) -> None:
    """The check that makes the two tests above prove the digest reference deploy sends."""
    from aloft.exceptions import OperationFailed

    push("im-c", "v1")
    missing = f"{REGISTRY}/im-c@sha256:{'d' * 64}"
    with pytest.raises(OperationFailed, match="deploy failed"):
        deploy(image_stack(tmp_path, "im-c", missing), None, prune=False)


def test_a_zip_function_is_not_silently_turned_into_an_image_one(
    ecr_env: str, tmp_path: Path
) -> None:
    from aloft.exceptions import OperationFailed
    from lambdakit import deployable

    zipped, function_zip, layer_zip = deployable(
        tmp_path, IMAGE_PROJECT.format(name="im-d").replace('package = "image"\n', "")
    )
    deploy(zipped, function_zip, layer_zip)
    image = push("im-d", "v1")
    with pytest.raises(OperationFailed, match=r"im-d-api: it is a Zip function.*delete"):
        deploy(image_stack(tmp_path, "im-d", image), None)


# --- the command line ---------------------------------------------------------------------------


def aloft(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ALOFT, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_package_with_package_image_has_no_zip_to_make_and_says_what_builds_the_image(
    tmp_path: Path,
) -> None:
    folder = project(tmp_path / "p")
    run = aloft("lambda", "package", "--project", str(folder))
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert 'package = "image": there is no zip to make' in line
    assert "aloft build --target lambda" in line
    assert not (folder / "dist").exists()


def test_template_and_deploy_without_an_image_uri_exit_2_naming_the_key_and_the_fix(
    tmp_path: Path,
) -> None:
    folder = project(tmp_path / "p", image="")
    for verb in ("template", "deploy"):
        run = aloft("lambda", verb, "--project", str(folder))
        assert run.returncode == 2, run.stderr
        (line,) = run.stderr.strip().splitlines()
        assert "[tool.aloft.lambda] image_uri: not set" in line
        assert "aloft build --target lambda" in line and "--image-uri" in line


def test_cli_template_takes_the_image_from_the_option_or_the_environment(tmp_path: Path) -> None:
    folder = project(tmp_path / "p", image="")
    run = aloft("lambda", "template", "--project", str(folder), "--image-uri", IMAGE)
    assert run.returncode == 0, run.stderr
    assert f"ImageUri: {IMAGE}" in run.stdout and "Handler:" not in run.stdout
    other = f"{REGISTRY}/orders@sha256:{'e' * 64}"
    run = aloft(
        "lambda",
        "template",
        "--format",
        "serverless",
        "--project",
        str(folder),
        env={"ALOFT_LAMBDA__IMAGE_URI": other},
    )
    assert run.returncode == 0, run.stderr
    assert f"uri: {other}" in run.stdout


def test_cli_deploy_of_an_image_packages_nothing_and_reruns_as_a_no_op(
    ecr_env: str, tmp_path: Path
) -> None:
    image = push("im-e", "v1")
    folder = tmp_path / "p"
    image_stack(folder, "im-e", image)  # no uv.lock: nothing may be packaged
    first = aloft("lambda", "deploy", "--project", str(folder), "--image-uri", image, "-o", "json")
    assert first.returncode == 0, first.stderr
    assert "function im-e-api" in json.loads(first.stdout)["created"]
    again = aloft("lambda", "deploy", "--project", str(folder), "--image-uri", image)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0].strip() == "no changes"
    assert "resources:" not in again.stdout
    assert not (folder / "dist").exists()
