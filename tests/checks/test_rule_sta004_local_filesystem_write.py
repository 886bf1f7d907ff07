from checkkit import marked

BAD = """
import os
import sqlite3
from pathlib import Path

from flask import Flask, request
from sqlalchemy import create_engine

app = Flask(__name__)
UPLOAD_FOLDER = "uploads"
BASE_DIR = Path(__file__).resolve().parent
engine = create_engine("sqlite:///./app.db")  # <-


@app.post("/upload")
def upload():
    f = request.files["file"]
    f.save(os.path.join(UPLOAD_FOLDER, f.filename))  # <-
    return "ok"


@app.post("/export")
def export():
    path = BASE_DIR / "exports" / "latest.csv"
    path.write_text(request.get_data(as_text=True))  # <-
    with open("audit.log", "a") as fh:  # <-
        fh.write("exported\\n")
    db = sqlite3.connect("cache.db")  # <-
    return "ok"
"""

GOOD = """
import os
import tempfile
from pathlib import Path

from flask import Flask, request

app = Flask(__name__)
MEDIA_ROOT = os.environ["MEDIA_ROOT"]


@app.post("/thumbnail")
def thumbnail():
    with tempfile.NamedTemporaryFile(suffix=".png") as tmp:
        tmp.write(request.get_data())
    scratch = Path(tempfile.gettempdir()) / "work.bin"
    scratch.write_bytes(b"x")
    with open("/tmp/last-request", "w") as fh:
        fh.write("x")
    with open(os.path.join(MEDIA_ROOT, "a.txt"), "w") as fh:
        fh.write("x")
    return "ok"


def save_report(path, rows):
    with open(path, "w") as fh:
        fh.write(rows)


def read_template():
    with open("templates/page.html") as fh:
        return fh.read()
"""

DJANGO = """
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",  # <-
        "NAME": "db.sqlite3",
    }
}
"""


def test_reports_uploads_exports_logs_and_sqlite_on_local_disk(check):
    assert check("STA004", BAD) == marked(BAD)


def test_temp_dirs_configured_paths_parameters_and_reads_stay_quiet(check):
    assert check("STA004", GOOD) == []


def test_reports_django_sqlite_in_production_settings(check):
    assert check("STA004", {"mysite/settings.py": DJANGO}) == marked(DJANGO, "mysite/settings.py")
