"""Engines run the per-clip work of a scan (decode, measure, resample, embed) and move clips and results;
they decide nothing. The set analysis, selection and reports run afterwards on the driver, over metrics
and embeddings only.

- ``local`` (default): a process pool on this machine (:mod:`voxaudit.engine.local`) and the encoder in
  the main process (``identity.IdentityStage.embed``).
- ``ray``: Ray tasks measure on any node's CPUs, an actor pool embeds (GPUs where present); only results
  and vectors come back (:mod:`voxaudit.engine.ray`, ``pip install "voxaudit[ray]"``).
"""

ENGINES = ("local", "ray")
