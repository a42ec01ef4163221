"""Writes for imports, by concern: batches (store an upload, check it in the worker,
map, start, resume), processing (the worker's import of the rows) and undo."""

from leads.services.imports.batches import (
    check_import_file,
    create_import_batch,
    resume_import,
    resume_stalled_imports,
    set_import_options,
    start_import,
)
from leads.services.imports.processing import process_import
from leads.services.imports.undo import process_undo, undo_import

__all__ = [
    "check_import_file",
    "create_import_batch",
    "process_import",
    "process_undo",
    "resume_import",
    "resume_stalled_imports",
    "set_import_options",
    "start_import",
    "undo_import",
]
