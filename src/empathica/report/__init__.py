"""The self-contained HTML report: sections made of blocks, rendered into one file."""

from empathica.report.blocks import Figure, FindingsTable, Metric, Paragraph, Section, TableBlock, figure_from_matplotlib
from empathica.report.i18n import Finding
from empathica.report.html import render_report, write_report

__all__ = [
    "Figure",
    "Finding",
    "FindingsTable",
    "Metric",
    "Paragraph",
    "Section",
    "TableBlock",
    "figure_from_matplotlib",
    "render_report",
    "write_report",
]
