"""Settings the shop borrowed from a Django project."""

ALLOWED_HOSTS = ["*"]
