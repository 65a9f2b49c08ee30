#!/usr/bin/env python
"""Fetch and verify the ECAPA-TDNN weights (speechbrain/spkrec-ecapa-voxceleb) for voxaudit.

Downloads ``embedding_model.ckpt``, ``mean_var_norm_emb.ckpt`` (and the upstream ``hyperparams.yaml``,
for reference) from the Hugging Face hub with ``huggingface_hub.hf_hub_download`` into a staging folder,
checks ``embedding_model.ckpt`` against the published size and SHA-256 (``models/checksums.json``),
and only then moves the files into the target folder. Nothing unverified is ever left in the target.

Usage::

    python scripts/fetch_models.py                     # into the user cache folder (found automatically)
    python scripts/fetch_models.py --dest DIR          # into DIR (then: voxaudit scan ... --model-dir DIR
                                                       #  or export VOXAUDIT_MODEL_DIR=DIR)
    python scripts/fetch_models.py --check DIR         # verify weights placed by hand; downloads nothing

On an offline machine (``HF_HUB_OFFLINE=1`` or no route to the hub), fetch on a connected machine and
copy the folder over, see ``models/README.md``. Exit status: 0 verified, 1 failed (the reason on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if (ROOT / "src" / "voxaudit").is_dir():
    sys.path.insert(0, str(ROOT / "src"))

from voxaudit.speaker.weights import (ECAPA_REPO_ID, WeightsError, default_model_dir,  # noqa: E402
                                      download_ecapa, hub_offline, verify_ecapa_dir)

HELP_OFFLINE = ("On a machine without access to the Hugging Face hub, run this script on a connected "
                "machine and copy the folder over; see models/README.md for the exact files, folders "
                "and checksums.")


def _report(weights) -> None:
    print(f"verified {ECAPA_REPO_ID} in {weights.folder}")
    for name, sha in sorted(weights.sha256.items()):
        size = (Path(weights.folder) / name).stat().st_size
        print(f"  {name}  {size} bytes  sha256 {sha}")
    print(f"  report.json will record summary.encoder_weights_sha256 = {weights.fingerprint}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=None,
                        help=f"target folder (default: the user cache folder, {default_model_dir()})")
    parser.add_argument("--check", type=Path, default=None, metavar="DIR",
                        help="only verify the weights in DIR (no download)")
    parser.add_argument("--force", action="store_true", help="download even when DEST already verifies")
    args = parser.parse_args(argv)

    try:
        if args.check is not None:
            _report(verify_ecapa_dir(args.check, memo=False))
            return 0
        dest = args.dest if args.dest is not None else default_model_dir()
        if not args.force and (dest / "embedding_model.ckpt").is_file():
            try:
                _report(verify_ecapa_dir(dest, memo=False))
                return 0
            except WeightsError as error:
                print(f"existing files do not verify ({error}); fetching again", file=sys.stderr)
        if hub_offline():
            print(f"error: HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE')} is set, so nothing was "
                  f"downloaded. Unset it to fetch. {HELP_OFFLINE}", file=sys.stderr)
            return 1
        print(f"fetching {ECAPA_REPO_ID} into {dest} ...", file=sys.stderr)
        download_ecapa(dest)
        _report(verify_ecapa_dir(dest, memo=False))
        return 0
    except WeightsError as error:
        print(f"error: {error}", file=sys.stderr)
        if "download" in str(error).lower():
            print(HELP_OFFLINE, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
