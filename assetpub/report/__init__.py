"""`assetpub report`: what a build or a deploy ships, as one self-contained HTML page,
JSON or a short text summary: sizes (raw, gzip, brotli), a treemap, what changed against
an earlier build or deploy (and what each change cascaded to), the deploy history and the
budgets' use. See docs/report.md."""

from .diff import diff
from .html import render_html
from .model import build_report, history
from .snapshot import Snapshot, from_build_dir, from_record

__all__ = ["Snapshot", "build_report", "diff", "from_build_dir", "from_record", "history", "render_html"]
