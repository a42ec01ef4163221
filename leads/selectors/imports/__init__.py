"""Reads for imports: batches (matches, preview, scope, progress). Reading the
uploaded file itself (format, mapping, conversion, other products' exports) is
leads/imports/."""

from leads.selectors.imports.batches import (
    PREVIEW_CHECK_LIMIT,
    PREVIEW_ERRORS,
    STALE_SECONDS,
    STEP_TASKS,
    WORKER_WAIT_SECONDS,
    Preview,
    find_matches,
    get_batch,
    import_preview,
    is_interrupted,
    list_batches,
    lost_tasks,
    not_imported_rows,
    progress,
    progress_context,
    worker_wait,
)

__all__ = [
    "PREVIEW_CHECK_LIMIT",
    "PREVIEW_ERRORS",
    "STALE_SECONDS",
    "STEP_TASKS",
    "WORKER_WAIT_SECONDS",
    "Preview",
    "find_matches",
    "get_batch",
    "import_preview",
    "is_interrupted",
    "list_batches",
    "lost_tasks",
    "not_imported_rows",
    "progress",
    "progress_context",
    "worker_wait",
]
