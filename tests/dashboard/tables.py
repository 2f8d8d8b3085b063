"""Reading what a dashboard page shows: the cells of a table view (standard-library HTML parser)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.headers: dict[str, list[str]] = {}
        self.links: dict[str, list[str]] = {}
        self._key: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-panel" in attrs:
            self._key = attrs["data-panel"]
            self.tables[self._key], self.headers[self._key], self.links[self._key] = [], [], []
        elif self._key and tag == "tr":
            self._row = []
        elif self._key and tag in ("td", "th"):
            self._cell, self._head = [], tag == "th"
        elif self._key and tag == "a" and attrs.get("href"):
            self.links[self._key].append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "table":
            self._key = None
        elif self._key and tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            (self.headers[self._key] if self._head else self._row).append(text)
            self._cell = None
        elif self._key and tag == "tr" and self._row is not None:
            if self._row:
                self.tables[self._key].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> _Tables:
    """The table views of a page: ``.tables[key]`` rows of cell texts, ``.headers[key]``, ``.links[key]``."""
    parser = _Tables()
    parser.feed(html)
    return parser
