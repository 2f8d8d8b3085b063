"""The building blocks of a report section: paragraphs, metrics, tables and figures."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any, Union

import pandas as pd


#: Text a reader sees: a ``Finding`` (rendered in the report's language) or plain text (names, numbers).
Text = Any


@dataclass
class Paragraph:
    """A paragraph: a finding (or plain text, escaped when rendered)."""

    text: Text


@dataclass
class Metric:
    """A headline number with its label and where it comes from."""

    label: Text
    value: Text  # a finding such as Finding("value.int", {"v": 1234}) formats the number per locale
    note: Text = ""  # shown under the value; a note starting "result"/"table"/"canonical" names the source (a tooltip)


@dataclass
class TableBlock:
    """A table of figures; ``source`` says which stored result it shows, so every number is traceable.
    Headers are the columns' display names (``column.<name>`` in the catalogues)."""

    frame: pd.DataFrame
    caption: Text
    source: str = ""
    max_rows: int = 25
    headers: dict[str, str] = field(default_factory=dict)  # column → message id, where not ``column.<name>``


@dataclass
class Figure:
    """A picture (PNG bytes) with a caption; ``localized``: the picture drawn in each report language (its words from
    the catalogues, see ``report.figures``), ``words``: the texts drawn in each language (texts that are only a data
    name left out), ``names``: the names from the client's data drawn in each language."""

    png: bytes
    caption: Text
    localized: dict[str, bytes] = field(default_factory=dict)
    words: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)  # the data names drawn (inside ``words`` too)

    @property
    def data_uri(self) -> str:
        return self.data_uri_in("en")

    def data_uri_in(self, lang: str) -> str:
        """The picture drawn in ``lang`` (the English one for a figure stored before figures had languages)."""
        return "data:image/png;base64," + base64.b64encode(self.localized.get(lang, self.png)).decode("ascii")


@dataclass
class FindingsTable:
    """A table rendered in the report's language: ``columns`` maps a column of ``frame`` to its kind
    (``finding``: a message id column ``message_id`` with JSON ``values``; ``message``: a message id without
    values; ``money``, ``interval``
    (``revenue_low``/``revenue_high``), ``pct``, ``int``, ``num2``, ``text``, ``grade``, ``trend``);
    headers come from the catalogue (``column.<name>``)."""

    frame: pd.DataFrame
    columns: dict[str, str]
    caption_id: str
    source: str = ""
    max_rows: int = 25
    headers: dict[str, str] = field(default_factory=dict)  # column → message id, where not ``column.<name>``


Block = Union[Paragraph, Metric, TableBlock, Figure, FindingsTable]


@dataclass
class Section:
    """One section of the report, produced by one analysis step."""

    key: str
    title: str
    summary: list = field(default_factory=list)  # one-line findings (a Finding, or plain text), also printed by the CLI
    blocks: list[Block] = field(default_factory=list)
    skipped: Any = ""  # why the analysis could not run on this data, when it could not (a Finding, or the code's message)
    data: dict[str, Any] = field(default_factory=dict)  # for tests only: later steps read the store, not this
    appendix: list[Block] = field(default_factory=list)  # methods and model diagnostics, shown after the main text

    def add(self, *blocks: Block) -> "Section":
        self.blocks.extend(blocks)
        return self


def figure_from_matplotlib(fig: Any, caption: str, *, dpi: int = 110) -> Figure:
    """Render a Matplotlib figure to a PNG ``Figure`` block and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return Figure(png=buffer.getvalue(), caption=caption)
