#!/usr/bin/env python3
"""The onset F1 a quantized transcription can reach on the corpus's performed copies.

performed.py plays every note of a score off its beat by a Gaussian jitter (sigma drawn
per piece in 10-30 ms, clipped at 2.5 sigma). A transcription that writes note values
puts each onset back on the beat (at best exactly where the copy's tempo curve puts the
beat), so a note jittered by more than fidelity.py's 50 ms onset tolerance is missed
however right the beat, the metre and the note values are. This script draws every
note's jitter again from the copy's random stream (`performed.onset_jitters`, seeded as
make_corpus.py and make_heldout.py seed: SEED-PIECE) and reports, per set, the mean over
files of the share of notes within the tolerance: the onset F1 of a perfect quantized
transcription. With a fidelity.py JSON it puts each tool's onset F1 beside it.

Usage: jitter_ceiling.py CORPUS [--seed 1] [--fidelity RESULTS.json]
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import performed  # noqa: E402

TOLERANCE = 0.05


def ceiling(score_file, seed):
    """(share of notes whose jitter is within the tolerance, the piece's jitter sigma)."""
    jitters = performed.onset_jitters(score_file, seed)
    if not jitters:
        return None
    within = sum(1 for j in jitters if abs(j) <= TOLERANCE) / len(jitters)
    return within, statistics.pstdev(jitters)


def tool_f1(results, set_name):
    """{tool: {file name: onset F1}} for a set's performed variant in fidelity.py's JSON."""
    tools = {}
    for group in results:
        if group["set"] == set_name and group["variant"] == "performed":
            tools[group["tool"]] = {Path(f["file"]).name: f.get("onset_f1", 0.0) for f in group["per_file"]}
    return tools


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--fidelity", type=Path, help="fidelity.py --json output for the same corpus")
    args = parser.parse_args()
    results = json.loads(args.fidelity.read_text()) if args.fidelity else []
    header = "| set | files | jitter sigma (ms, median) | notes beyond 50 ms | ceiling onset F1 |"
    tools = sorted({g["tool"] for g in results if g["variant"] == "performed"})
    print(header + "".join(f" {t} onset F1 |" for t in tools))
    print("|---" * (5 + len(tools)) + "|")
    for set_dir in sorted(p for p in args.corpus.iterdir() if (p / "performed").is_dir()):
        rows = {}
        for copy in sorted((set_dir / "performed").glob("*.mid")):
            score_file = set_dir / "score" / copy.name
            measured = ceiling(score_file, f"{args.seed}-{copy.stem}") if score_file.exists() else None
            if measured:
                rows[copy.name] = measured
        if not rows:
            continue
        shares = [share for share, _ in rows.values()]
        sigmas = [sigma for _, sigma in rows.values()]
        line = (f"| {set_dir.name} | {len(rows)} | {1000 * statistics.median(sigmas):.0f} | "
                f"{1 - statistics.mean(shares):.3f} | {statistics.mean(shares):.3f} |")
        for tool, scores in ((t, tool_f1(results, set_dir.name).get(t, {})) for t in tools):
            scored = [scores[name] for name in rows if name in scores]
            line += f" {statistics.mean(scored):.3f} |" if scored else " |"
        print(line)


if __name__ == "__main__":
    main()
