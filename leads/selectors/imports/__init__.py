"""Reads for imports, by concern: files (format, encoding, rows, mapping), rows
(conversion and validation) and batches (matches, preview, scope, progress)."""

from leads.selectors.imports.batches import (
    PREVIEW_CHECK_LIMIT,
    PREVIEW_ERRORS,
    STALE_SECONDS,
    Preview,
    find_matches,
    get_batch,
    import_preview,
    is_interrupted,
    list_batches,
    not_imported_rows,
    progress,
    progress_context,
)
from leads.selectors.imports.files import (
    ALIASES,
    REQUIRED_FIELDS,
    TARGET_FIELDS,
    TARGETS,
    TableError,
    TableInfo,
    auto_mapping,
    inspect_table,
    iter_rows,
)
from leads.selectors.imports.rows import (
    CHUNK_ROWS,
    ConvertedRow,
    Lookups,
    convert_row,
    converted_chunks,
)

__all__ = [
    "ALIASES",
    "CHUNK_ROWS",
    "PREVIEW_CHECK_LIMIT",
    "PREVIEW_ERRORS",
    "REQUIRED_FIELDS",
    "STALE_SECONDS",
    "TARGETS",
    "TARGET_FIELDS",
    "ConvertedRow",
    "Lookups",
    "Preview",
    "TableError",
    "TableInfo",
    "auto_mapping",
    "convert_row",
    "converted_chunks",
    "find_matches",
    "get_batch",
    "import_preview",
    "inspect_table",
    "is_interrupted",
    "iter_rows",
    "list_batches",
    "not_imported_rows",
    "progress",
    "progress_context",
]
