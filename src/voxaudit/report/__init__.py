"""Report writers: JSON (the canonical record), CSV and Parquet, ``.list`` files, HTML, terminal summary.

Read a scan's report back, whatever its size, with :func:`load_report` or :func:`load_clips`.
"""

from .clips_table import load_clips, load_report

__all__ = ["load_clips", "load_report"]
