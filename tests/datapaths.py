"""Where the third-party test data lives: ``../shared/data`` beside the checkout (read in
place, never copied into the repo), or ``$BACKLINKS_SHARED_DATA``. Tests skip with a reason
when a folder is absent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

SHARED_DATA: Final = Path(
    os.environ.get("BACKLINKS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
