"""The project shapes users have, generated fresh with uv (and django-admin) the way users make
them, then given aloft exactly as the README says (`aloft init --runtime .../aloft_runtime-*.whl`).

Each builder returns a Project: where aloft runs, the app `aloft init` must find, and a marker
the app's `/` answers with, so a step that serves the wrong code (or another shape's) fails.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from acceptkit import Installed, Project, readme_install_commands, sh


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def readme_init(installed: Installed) -> str:
    """The README's `aloft init --runtime ...` line, pointing at this session's wheels."""
    line = next(c for c in readme_install_commands() if c.startswith("aloft init"))
    return installed.command(line)


def init(project: Project, installed: Installed) -> Project:
    done = sh(readme_init(installed), project.root, installed.env, timeout=300)
    project.init_output = done.stdout + done.stderr
    return project


def uv_init(root: Path, installed: Installed, *args: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    sh(f"uv init --vcs none --no-readme {' '.join(args)}", root, installed.env)


STARLETTE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def home(request):
    return JSONResponse({{"shape": "{marker}"}})

app = Starlette(routes=[Route("/", home)])
"""


def flat(folder: Path, installed: Installed) -> Project:
    """`uv init --app`: one module, main.py, FastAPI."""
    root = folder / "flat-svc"
    uv_init(root, installed, "--app", "--no-package", "--name", "flat-svc")
    sh("uv add --quiet fastapi", root, installed.env)
    write(
        root,
        {
            "main.py": """
                from fastapi import FastAPI

                app = FastAPI()


                @app.get("/")
                def home() -> dict[str, str]:
                    return {"shape": "flat"}
            """
        },
    )
    return init(Project("flat", root, "main:app", "asgi", "flat"), installed)


def src_layout(folder: Path, installed: Installed) -> Project:
    """`uv init --package`: src/srcsvc/, installed into the environment by uv."""
    root = folder / "srcsvc"
    uv_init(root, installed, "--package", "--name", "srcsvc")
    sh("uv add --quiet starlette", root, installed.env)
    write(root, {"src/srcsvc/web.py": STARLETTE_APP.format(marker="src-layout")})
    return init(Project("src-layout", root, "srcsvc.web:app", "asgi", "src-layout"), installed)


def dist_name_differs(folder: Path, installed: Installed) -> Project:
    """Distribution acme-orders-service, import package `orders` (uv_build's module-name)."""
    root = folder / "acme-orders-service"
    uv_init(root, installed, "--package", "--name", "acme-orders-service")
    (root / "src" / "acme_orders_service").rename(root / "src" / "orders")
    with (root / "pyproject.toml").open("a") as file:
        file.write('\n[tool.uv.build-backend]\nmodule-name = "orders"\n')
    sh("uv add --quiet flask", root, installed.env)
    write(
        root,
        {
            "src/orders/app.py": """
                from flask import Flask

                app = Flask(__name__)


                @app.get("/")
                def home():
                    return {"shape": "dist-name-differs"}
            """
        },
    )
    project = Project("dist-name-differs", root, "orders.app:app", "wsgi", "dist-name-differs")
    return init(project, installed)


def namespace_package(folder: Path, installed: Installed) -> Project:
    """acme/billing/api.py with no __init__.py anywhere (a PEP 420 namespace package)."""
    root = folder / "ns-svc"
    uv_init(root, installed, "--app", "--no-package", "--name", "ns-svc")
    (root / "main.py").unlink()
    sh("uv add --quiet starlette", root, installed.env)
    write(root, {"acme/billing/api.py": STARLETTE_APP.format(marker="namespace")})
    project = Project("namespace", root, "acme.billing.api:app", "asgi", "namespace")
    return init(project, installed)


def flask_factory(folder: Path, installed: Installed) -> Project:
    """A Flask application factory, create_app(), with a blueprint."""
    root = folder / "blog-svc"
    uv_init(root, installed, "--app", "--no-package", "--name", "blog-svc")
    (root / "main.py").unlink()
    sh("uv add --quiet flask", root, installed.env)
    write(
        root,
        {
            "blog/__init__.py": """
                from flask import Flask


                def create_app(test_config=None):
                    app = Flask(__name__)
                    from blog.views import pages

                    app.register_blueprint(pages)
                    return app
            """,
            "blog/views.py": """
                from flask import Blueprint

                pages = Blueprint("pages", __name__)


                @pages.get("/")
                def home():
                    return {"shape": "flask-factory"}


                @pages.get("/posts/<int:number>")
                def post(number):
                    return {"post": number}
            """,
        },
    )
    project = Project(
        "flask-factory",
        root,
        "blog:create_app()",
        "wsgi",
        "flask-factory",
        extra_requests=(("/posts/7", '"post":7'),),
    )
    return init(project, installed)


def django_site(folder: Path, installed: Installed) -> Project:
    """django-admin startproject, then a settings package, static files (WhiteNoise), manage.py."""
    root = folder / "notes-site"
    uv_init(root, installed, "--app", "--no-package", "--name", "notes-site")
    (root / "main.py").unlink()
    sh("uv add --quiet django whitenoise", root, installed.env)
    sh(".venv/bin/django-admin startproject config .", root, installed.env)
    settings = root / "config" / "settings"
    settings.mkdir()
    base = (root / "config" / "settings.py").read_text()
    (root / "config" / "settings.py").unlink()
    base = base.replace(
        "Path(__file__).resolve().parent.parent", "Path(__file__).resolve().parent.parent.parent"
    )
    (settings / "base.py").write_text(
        base
        + textwrap.dedent(
            """
            DEBUG = False
            ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
            STATICFILES_DIRS = [BASE_DIR / "static"]
            STATIC_ROOT = BASE_DIR / "staticfiles"
            WHITENOISE_USE_FINDERS = True
            MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
            """
        )
    )
    write(
        root,
        {
            "config/settings/__init__.py": "from config.settings.base import *  # noqa: F403\n",
            "static/hello.txt": "hello static\n",
            "config/views.py": """
                from django.http import JsonResponse


                def home(request):
                    return JsonResponse({"shape": "django"})
            """,
        },
    )
    urls = (root / "config" / "urls.py").read_text()
    urls = urls.replace(
        "urlpatterns = [", "from config.views import home\n\nurlpatterns = [\n    path('', home),"
    )
    (root / "config" / "urls.py").write_text(urls)
    project = Project(
        "django",
        root,
        "config.wsgi:application",
        "wsgi",
        "django",
        extra_requests=(("/static/hello.txt", "hello static"),),
    )
    return init(project, installed)


def fastapi_routers(folder: Path, installed: Installed) -> Project:
    """FastAPI with routers in subpackages and orjson, a native dependency beyond pydantic."""
    root = folder / "routers-svc"
    uv_init(root, installed, "--app", "--no-package", "--name", "routers-svc")
    (root / "main.py").unlink()
    sh("uv add --quiet fastapi orjson", root, installed.env)
    write(
        root,
        {
            "svc/__init__.py": "",
            "svc/main.py": """
                import orjson
                from fastapi import FastAPI
                from fastapi.responses import ORJSONResponse

                from svc.routers import items
                from svc.routers.admin import stats

                app = FastAPI(default_response_class=ORJSONResponse)
                app.include_router(items.router, prefix="/items")
                app.include_router(stats.router, prefix="/admin")


                @app.get("/")
                def home():
                    return {"shape": "fastapi-routers", "native": orjson.dumps([1]).decode()}
            """,
            "svc/routers/__init__.py": "",
            "svc/routers/items.py": """
                from fastapi import APIRouter

                router = APIRouter()


                @router.get("/{item_id}")
                def item(item_id: int):
                    return {"item": item_id}
            """,
            "svc/routers/admin/__init__.py": "",
            "svc/routers/admin/stats.py": """
                from fastapi import APIRouter

                router = APIRouter()


                @router.get("/stats")
                def stats():
                    return {"stats": "ok"}
            """,
        },
    )
    project = Project(
        "fastapi-routers",
        root,
        "svc.main:app",
        "asgi",
        "fastapi-routers",
        extra_requests=(("/items/3", '"item":3'), ("/admin/stats", '"stats":"ok"')),
    )
    return init(project, installed)


def workspace_member(folder: Path, installed: Installed) -> Project:
    """A uv workspace (monorepo): packages/web depends on its sibling library packages/greeting;
    the lock and the environment are the workspace's."""
    mono = folder / "mono"
    write(
        mono,
        {
            "pyproject.toml": """
                [tool.uv.workspace]
                members = ["packages/*"]
            """
        },
    )
    uv_init(mono / "packages" / "greeting", installed, "--lib", "--name", "greeting")
    write(
        mono,
        {
            "packages/greeting/src/greeting/__init__.py": """
                def greet() -> str:
                    return "workspace"
            """
        },
    )
    web = mono / "packages" / "web"
    uv_init(web, installed, "--package", "--name", "web")
    sh("uv add --quiet greeting starlette", web, installed.env)
    write(
        web,
        {
            "src/web/app.py": """
                from greeting import greet
                from starlette.applications import Starlette
                from starlette.responses import JSONResponse
                from starlette.routing import Route


                async def home(request):
                    return JSONResponse({"shape": "workspace", "from": greet()})

                app = Starlette(routes=[Route("/", home)])
            """
        },
    )
    project = Project("workspace", web, "web.app:app", "asgi", '"from":"workspace"')
    project.venv = mono / ".venv"
    return init(project, installed)


def dev_dependency(folder: Path, installed: Installed) -> Project:
    """aloft-cli as a dev dependency of the app, used through `uv run aloft`."""
    root = folder / "devdep-svc"
    uv_init(root, installed, "--app", "--no-package", "--name", "devdep-svc")
    sh("uv add --quiet starlette", root, installed.env)
    write(root, {"main.py": STARLETTE_APP.format(marker="dev-dependency")})
    project = init(Project("dev-dependency", root, "main:app", "asgi", "dev-dependency"), installed)
    line = next(c for c in _readme_lines() if c.startswith("uv add --dev") and "path/to/clone" in c)
    sh(installed.command(line), root, installed.env, timeout=300)
    project.aloft = "uv run --frozen aloft"
    return project


def _readme_lines() -> list[str]:
    """The README's inline commands of the install section (the dev-dependency one)."""
    from acceptkit import README

    text = README.read_text(encoding="utf-8")
    section = text.split("## Use aloft in your project", 1)[1].split("\n## ", 1)[0]
    found = []
    for chunk in section.split("`")[1::2]:
        found.append(" ".join(chunk.split()))
    return found


def requirements_only(folder: Path, installed: Installed) -> Project:
    """Only requirements.txt: aloft init says, in one line, how to get pyproject.toml and
    uv.lock; following it word for word makes a project the pipeline takes."""
    root = folder / "reqs-svc"
    write(
        root,
        {
            "requirements.txt": "flask>=3\n",
            "app.py": """
                from flask import Flask

                app = Flask(__name__)


                @app.get("/")
                def home():
                    return {"shape": "requirements-only"}
            """,
        },
    )
    refused = sh(readme_init(installed), root, installed.env, check=False)
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 1, refused.stderr
    assert "`uv init --bare` then `uv add -r requirements.txt`" in lines[0], lines
    sh("uv init --bare --vcs none", root, installed.env)
    sh("uv add --quiet -r requirements.txt", root, installed.env)
    project = Project("requirements-only", root, "app:app", "wsgi", "requirements-only")
    project.notes.append(lines[0])
    return init(project, installed)


def path_dependency(folder: Path, installed: Installed) -> Project:
    """A library beside the app, added by path (a `path` source in uv.lock)."""
    base = folder / "pathdep"
    uv_init(base / "libs" / "shared", installed, "--lib", "--name", "shared-lib")
    write(
        base,
        {"libs/shared/src/shared_lib/__init__.py": 'def value() -> str:\n    return "shared"\n'},
    )
    root = base / "app"
    uv_init(root, installed, "--app", "--no-package", "--name", "pathdep-svc")
    sh("uv add --quiet ../libs/shared starlette", root, installed.env)
    write(
        root,
        {
            "main.py": """
                from shared_lib import value
                from starlette.applications import Starlette
                from starlette.responses import JSONResponse
                from starlette.routing import Route


                async def home(request):
                    return JSONResponse({"shape": "path-dependency", "lib": value()})

                app = Starlette(routes=[Route("/", home)])
            """
        },
    )
    project = Project("path-dependency", root, "main:app", "asgi", '"lib":"shared"')
    return init(project, installed)


SHAPES: dict[str, Callable[[Path, Installed], Project]] = {
    "flat": flat,
    "src-layout": src_layout,
    "dist-name-differs": dist_name_differs,
    "namespace": namespace_package,
    "flask-factory": flask_factory,
    "django": django_site,
    "fastapi-routers": fastapi_routers,
    "workspace": workspace_member,
    "dev-dependency": dev_dependency,
    "requirements-only": requirements_only,
    "path-dependency": path_dependency,
}
# The image step (build + unpack + runc) is the expensive one: run on these shapes only.
IMAGE_SHAPES = ("flat", "src-layout", "django", "workspace", "path-dependency")
