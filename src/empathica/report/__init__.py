"""The self-contained HTML report: sections made of blocks, rendered into one file."""

from empathica.report.blocks import Figure, Metric, Paragraph, Section, TableBlock, figure_from_matplotlib
from empathica.report.html import render_report, write_report

__all__ = [
    "Figure",
    "Metric",
    "Paragraph",
    "Section",
    "TableBlock",
    "figure_from_matplotlib",
    "render_report",
    "write_report",
]
