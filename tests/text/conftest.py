import pytest


@pytest.fixture(scope="session")
def analyzer():
    from empathica.understand.text import TextAnalyzer

    return TextAnalyzer.default()
