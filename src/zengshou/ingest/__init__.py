"""Import and export in the interchange format: read and check, load all-or-nothing, export.

``read`` needs no database (the file alone is the universe); ``validate`` adds the checks against the
registry and writes nothing; ``load`` validates, then writes in one transaction; ``export`` writes the
same format back. Department feeds are in :mod:`zengshou.ingest.feeds`.
"""

from zengshou.ingest.export import ExportSummary, export
from zengshou.ingest.load import ImportSummary, TableCounts, load, validate
from zengshou.ingest.problems import ImportRejected, Problem, write_error_report
from zengshou.ingest.reader import ReadResult, read

__all__ = [
    "ExportSummary",
    "ImportRejected",
    "ImportSummary",
    "Problem",
    "ReadResult",
    "TableCounts",
    "export",
    "load",
    "read",
    "validate",
    "write_error_report",
]
