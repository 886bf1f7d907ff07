from checkkit import marked

BAD = """
import configparser
import json
from pathlib import Path

import yaml

config = configparser.ConfigParser()
config.read("config.ini")  # <-

with open("settings.yaml") as fh:  # <-
    SETTINGS = yaml.safe_load(fh)

SECRETS = json.loads(Path("/etc/myapp/secrets.json").read_text())  # <-
"""

GOOD = """
import json
import os
from pathlib import Path

import yaml

with open(os.environ["APP_CONFIG"]) as fh:
    SETTINGS = yaml.safe_load(fh)

SCHEMA = json.loads((Path(__file__).parent / "schema.json").read_text())
PAGE = Path("templates/index.html").read_text()
"""


def test_reports_config_read_from_fixed_local_paths(check):
    assert check("CTR003", BAD) == marked(BAD)


def test_paths_from_environment_package_data_and_non_config_files_stay_quiet(check):
    assert check("CTR003", GOOD) == []
