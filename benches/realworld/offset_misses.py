#!/usr/bin/env python3
"""Diagnostic: where the performed sets' offset F1 is lost.

For each performed set, matches the notes of prep's renderings (left by `fidelity.py` in
its work folder) with the input's by onset and pitch (mir_eval, 50 ms, 50 cents), and
counts the matched notes whose offset misses the offset-F1 tolerance (50 ms or a fifth
of the played length, whichever is larger): how many, whether the rendering is longer or
shorter, how many of the missed notes were played shorter than 0.3 s (where the tolerance
is below half a sixteenth at most tempi) and how many were rendered at more than twice
their played length (notes shorter than the sixteenth grid's smallest unit).

Usage: offset_misses.py CORPUS WORK [SET...]   (default sets: ensemble folk renaissance trecento)
"""

import sys
from pathlib import Path

import numpy as np
from mir_eval import transcription

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fidelity  # noqa: E402


def misses(played, heard):
    """(matched notes, [(played length, rendered end - played end)] of the offset misses)."""
    ref_i, ref_p = played.mir_eval_arrays()
    est_i, est_p = heard.mir_eval_arrays()
    if not len(ref_p) or not len(est_p):
        return 0, []
    matched = transcription.match_notes(ref_i, ref_p, est_i, est_p, onset_tolerance=0.05, pitch_tolerance=50.0,
                                        offset_ratio=None)
    out = []
    for i, j in matched:
        length = ref_i[i, 1] - ref_i[i, 0]
        error = est_i[j, 1] - ref_i[i, 1]
        if abs(error) > max(0.05, 0.2 * length):
            out.append((length, error))
    return len(matched), out


def main():
    corpus, work = Path(sys.argv[1]), Path(sys.argv[2])
    sets = sys.argv[3:] or ["ensemble", "folk", "renaissance", "trecento"]
    print("| set | matched notes | offset misses | share | rendered longer | played < 0.3 s | rendered > 2x played | median error (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in sets:
        matched, missed = 0, []
        for path in sorted((corpus / name / "performed").glob("*.mid")):
            rendered = work / "render" / "prep" / name / "performed" / path.name
            if rendered.exists():
                count, found = misses(fidelity.Midi(path), fidelity.Midi(rendered))
                matched += count
                missed += found
        lengths = np.array([m[0] for m in missed])
        errors = np.array([m[1] for m in missed])
        print(f"| {name} | {matched} | {len(missed)} | {len(missed) / max(matched, 1):.3f} | {int(np.sum(errors > 0))} | "
              f"{int(np.sum(lengths < 0.3))} | {int(np.sum(errors > lengths))} | {np.median(np.abs(errors)):.3f} |")


if __name__ == "__main__":
    main()
