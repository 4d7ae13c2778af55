"""The last Check labels result, kept in `.studio/label_check.json` so a health check (and a view
opened later) can say how many labels look wrong without fitting a single head again."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from desktop_app.ml.runs import now_iso

RECORD = "label_check.json"

log = logging.getLogger(__name__)


def save_check(dataset, check) -> None:
    """check: a LabelCheck. Best effort: a dataset on read-only media keeps no record."""
    record = {"created": now_iso(), "fingerprint": dataset.fingerprint(), **check.to_dict()}
    path = Path(dataset.studio_dir) / RECORD
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".json.tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.replace(temporary, path)
    except OSError as error:
        log.info("label check not recorded: %s", error)


def last_check(dataset) -> dict | None:
    """The record as saved (with "fingerprint" and "created"), or None when never checked."""
    try:
        record = json.loads((Path(dataset.studio_dir) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("suspects"), list) else None
