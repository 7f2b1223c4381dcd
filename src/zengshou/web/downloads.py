"""Files built for one download (exports, templates, reports) live only as long as the answer.

A file is written into a private temporary folder, opened, and the folder removed before the
response leaves: on the POSIX servers the system runs on (gunicorn), an open file stays readable
after its name is gone, and closing the response frees the disk space. So an unmasked export
never remains in ``/tmp``, not even when the client breaks off the download or the build fails.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.http import FileResponse


def file_download(build: Callable[[Path], Path], filename: str, prefix: str = "zs-download-") -> FileResponse:
    """Send the file ``build(folder)`` writes into a fresh temporary folder, which is gone afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        handle = build(folder).open("rb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return FileResponse(handle, as_attachment=True, filename=filename)
