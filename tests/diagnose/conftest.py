"""The served demo store of the serve tests, for the diagnose API test."""

from tests.serve.conftest import demo_store_file, served  # noqa: F401
