#!/usr/bin/env python3
"""The note F1 a quantized transcription can reach on the corpus's performed copies.

performed.py plays every note of a score off its beat by a Gaussian jitter (sigma drawn
per piece in 10-30 ms, clipped at 2.5 sigma) and shortens it by an articulation (a
per-piece ratio of 0.75-1.0 times a per-note factor). A transcription that writes note
values puts each onset back on the beat, so a note jittered past fidelity.py's 50 ms
onset tolerance is missed however right the beat, the metre and the values are.

This script draws every note's timing again from the copy's random stream
(`performed.note_timing`, seeded as make_corpus.py and make_heldout.py seed: SEED-PIECE)
and scores the transcription a perfect quantizer on sixteenths would write, with the
copy's own tempo curve: each onset at the clock's time of its score tick, each end at
the sixteenth of the score nearest the played end (at least one after the onset).
- onset ceiling: the share of notes whose onset is within the tolerance, a bound for any
  transcription that writes note values;
- offset reference: the share whose onset is, and whose end is within max(50 ms, 20 % of
  the played note), as fidelity.py's offset F1 asks. Not a bound: a transcription that
  ends notes on finer values, or at the next onset where the player joined them, does
  better.
Each is averaged over files, as fidelity.py averages F1. With a fidelity.py JSON it puts
each tool's onset and offset F1 beside them.

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


def ceilings(score_file, seed):
    """(onset ceiling, offset reference, jitter sigma) of one performed copy, None without notes."""
    tpq, clock, notes = performed.note_timing(score_file, seed)
    if not notes:
        return None
    sixteenth = tpq / 4
    onsets = offsets = 0
    jitters = []
    for tick, on_time, played_on, played_end in notes:
        jitters.append(played_on - on_time)
        if abs(played_on - on_time) > TOLERANCE:
            continue
        onsets += 1
        end_tick = max(tick + sixteenth, round(clock.tick_at(played_end) / sixteenth) * sixteenth)
        if abs(clock(end_tick) - played_end) <= max(TOLERANCE, 0.2 * (played_end - played_on)):
            offsets += 1
    return onsets / len(notes), offsets / len(notes), statistics.pstdev(jitters)


def tool_f1(results, set_name):
    """{tool: {file name: (onset F1, offset F1)}} for a set's performed variant in fidelity.py's JSON."""
    tools = {}
    for group in results:
        if group["set"] == set_name and group["variant"] == "performed":
            tools[group["tool"]] = {Path(f["file"]).name: (f.get("onset_f1", 0.0), f.get("offset_f1", 0.0))
                                    for f in group["per_file"]}
    return tools


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--fidelity", type=Path, help="fidelity.py --json output for the same corpus")
    args = parser.parse_args()
    results = json.loads(args.fidelity.read_text()) if args.fidelity else []
    tools = sorted({g["tool"] for g in results if g["variant"] == "performed"})
    print("| set | files | jitter sigma (ms, median) | onset ceiling | offset, sixteenths on the true beat |"
          + "".join(f" {t} onset / offset F1 |" for t in tools))
    print("|---" * (5 + len(tools)) + "|")
    for set_dir in sorted(p for p in args.corpus.iterdir() if (p / "performed").is_dir()):
        rows = {}
        for copy in sorted((set_dir / "performed").glob("*.mid")):
            score_file = set_dir / "score" / copy.name
            measured = ceilings(score_file, f"{args.seed}-{copy.stem}") if score_file.exists() else None
            if measured:
                rows[copy.name] = measured
        if not rows:
            continue
        mean = lambda i: statistics.mean(r[i] for r in rows.values())
        line = (f"| {set_dir.name} | {len(rows)} | {1000 * statistics.median(r[2] for r in rows.values()):.0f} | "
                f"{mean(0):.3f} | {mean(1):.3f} |")
        scores = tool_f1(results, set_dir.name)
        for tool in tools:
            scored = [scores.get(tool, {})[name] for name in rows if name in scores.get(tool, {})]
            line += (f" {statistics.mean(s[0] for s in scored):.3f} / {statistics.mean(s[1] for s in scored):.3f} |"
                     if scored else " |")
        print(line)


if __name__ == "__main__":
    main()
