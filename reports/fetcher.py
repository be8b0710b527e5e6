"""WeasyPrint's URL fetcher, locked to the report's own assets folder.

A report contains user text (comments, reasons, evidence). Whatever it holds, and whatever a
template asks for, the renderer may read only files under `reports/assets/`: `file:` paths
elsewhere, `http:`, `https:`, `data:` and every other scheme are refused and logged, so a
report can never read the server's files or reach into its network.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSETS = Path(__file__).resolve().parent / "assets"

log = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """A report asked for something outside its assets; WeasyPrint skips it and goes on."""


class AssetsOnlyFetcher(URLFetcher):
    """Serves files under ASSETS and refuses everything else."""

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        path = asset_path(url)
        if path is None:
            log.warning("Report refused to fetch %.200s", url)
            raise RefusedURL(f"not one of the report's assets: {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def asset_path(url: str) -> Path | None:
    """The file under ASSETS that `url` names, or None when it names anything else."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(ASSETS) or not path.is_file():
        return None
    return path
