"""Reading an uploaded import file, no database writes: files (format, encoding,
rows, mapping), sources (the exports of other products: headers, values, dates,
names) and rows (conversion and validation). leads/services/imports/ runs the
import; leads/selectors/imports/ reads its batches."""

from leads.imports.files import (
    ALIASES,
    REQUIRED_FIELDS,
    TARGET_FIELDS,
    TARGETS,
    ImportLimits,
    TableError,
    TableInfo,
    aliases,
    auto_fills,
    auto_mapping,
    import_limits,
    inspect_table,
    iter_rows,
    sniff_upload,
)
from leads.imports.rows import (
    CHUNK_ROWS,
    ConvertedRow,
    Lookups,
    convert_row,
    converted_chunks,
    render_fill,
)
from leads.imports.sources import SYSTEM_NAMES, detect_system

__all__ = [
    "ALIASES",
    "CHUNK_ROWS",
    "ConvertedRow",
    "ImportLimits",
    "Lookups",
    "REQUIRED_FIELDS",
    "SYSTEM_NAMES",
    "TARGETS",
    "TARGET_FIELDS",
    "TableError",
    "TableInfo",
    "aliases",
    "auto_fills",
    "auto_mapping",
    "convert_row",
    "converted_chunks",
    "detect_system",
    "import_limits",
    "inspect_table",
    "iter_rows",
    "render_fill",
    "sniff_upload",
]
