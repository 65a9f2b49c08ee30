"""voxaudit: audit voice-cloning training sets.

Per clip: signal quality measured and judged against one thresholds table.
Per set: one voice or not (speaker embeddings), outlier takes, the best clips to keep.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
