#!/usr/bin/env python3
"""Where prep's written beats fall in real piano performances, against the score's beats.

MV2H's Meter (fidelity.py --mv2h) says how much of the score's metrical grid a rendering
matches, not why it misses. This script says why, on Vienna 4x22 (vienna4x22.py), whose
match files align every performed note with its score note: the score's beats (a quarter
in 2/4 and 3/4, a dotted quarter in 6/8) are placed in each performance by interpolating
between matched notes, and prep's beats are read from abc2midi's rendering of prep's ABC
(which keeps the performance's timing: onset F1 0.96). Per piece, over its 22 players:
- level: the score's beat over prep's (median; 1 = the score's beat, 2 = prep writes the
  score's half beats as beats, 1.5 = a compound beat heard as simple);
- beat recall / precision: the score's beats with one of prep's within 70 ms, and prep's
  beats with one of the score's;
- F at prep's level: the same against the score's grid divided by the whole level nearest
  to it, 50 ms: how well prep follows the rubato, whatever level it writes.

Usage: vienna_beats.py WORK --prep BIN [--repo DIR] [--corpus DIR]
(WORK is scratch: prep's ABC and abc2midi's renderings go there.)
"""

import argparse
import bisect
import re
import statistics
import subprocess
from pathlib import Path

import mido

from fidelity import without_chord_attack

PIECES = ("Chopin_op10_no3", "Chopin_op38", "Schubert_D783_no15")
PLAYERS = 22
# snote(id,[step,alter],octave,bar:beat,offset,duration,onset in beats,offset in beats,[...])
#   -note(id,pitch,onset tick,offset tick,...)
MATCHED = re.compile(r"snote\([^,]+,\[[^\]]+\],-?\d+,[^,]+,[^,]+,[^,]+,(-?[\d.]+),-?[\d.]+,\[[^\]]*\]\)"
                     r"-note\([^,]+,\d+,(\d+),")


def score_beats_in_performance(repo, name):
    """(score beat in the match file's units -> performance seconds, monotone points;
    units per notated beat)."""
    text = subprocess.run(["git", "--git-dir", str(repo), "show", f"HEAD:match/{name}.match"],
                          capture_output=True, text=True, check=True).stdout
    units = int(re.search(r"midiClockUnits,(\d+)", text).group(1))
    rate = int(re.search(r"midiClockRate,(\d+)", text).group(1))
    numerator, denominator = map(int, re.search(r"timeSignature,(\d+)/(\d+)", text).groups())
    onsets = {}
    for match in MATCHED.finditer(text):
        onsets.setdefault(float(match.group(1)), []).append(int(match.group(2)) / units * rate / 1e6)
    points = []
    for beat, seconds in sorted((b, statistics.median(s)) for b, s in onsets.items()):
        if not points or seconds > points[-1][1]:
            points.append((beat, seconds))
    compound = denominator == 8 and numerator % 3 == 0
    return points, 3 if compound else 1


def at(points, beat):
    """Seconds of a score beat by linear interpolation, None outside the matched notes."""
    beats = [b for b, _ in points]
    i = bisect.bisect_left(beats, beat)
    if i < len(points) and beats[i] == beat:
        return points[i][1]
    if i == 0 or i == len(points):
        return None
    (b0, t0), (b1, t1) = points[i - 1], points[i]
    return t0 + (t1 - t0) * (beat - b0) / (b1 - b0)


def first_onset(path):
    seconds = 0.0
    for msg in mido.MidiFile(path):
        seconds += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            return seconds
    return 0.0


def written_beats(path):
    """Prep's beats in a rendering, in seconds from its first note: every beat of its first
    time signature (a dotted quarter in compound metres), laid out from tick 0 as abc2midi
    starts the tune (a pickup bar included)."""
    mid = mido.MidiFile(path)
    tpq = mid.ticks_per_beat
    events = sorted(((tick, msg) for track in mid.tracks for tick, msg in ticks(track)
                     if msg.type in ("set_tempo", "time_signature") or (msg.type == "note_on" and msg.velocity > 0)),
                    key=lambda event: event[0])
    tempo_map, signature, notes = [(0, 0.0, 500000)], None, []
    for tick, msg in events:
        if msg.type == "set_tempo":
            t0, s0, tempo = tempo_map[-1]
            tempo_map.append((tick, s0 + (tick - t0) / tpq * tempo / 1e6, msg.tempo))
        elif msg.type == "time_signature":
            signature = signature or (msg.numerator, msg.denominator)
        else:
            notes.append(tick)

    def seconds(tick):
        t0, s0, tempo = next(entry for entry in reversed(tempo_map) if entry[0] <= tick)
        return s0 + (tick - t0) / tpq * tempo / 1e6

    numerator, denominator = signature or (4, 4)
    beat = tpq * 3 // 2 if denominator == 8 and numerator % 3 == 0 and numerator > 3 else tpq * 4 // denominator
    start = seconds(min(notes))
    return [seconds(t) - start for t in range(0, max(notes) + beat, beat)]


def ticks(track):
    now = 0
    for msg in track:
        now += msg.time
        yield now, msg


def hits(times, targets, tolerance):
    """How many of `times` have one of the sorted `targets` within `tolerance`."""
    count = 0
    for t in times:
        i = bisect.bisect_left(targets, t)
        count += any(abs(t - targets[j]) <= tolerance for j in (i - 1, i) if 0 <= j < len(targets))
    return count


def measure(points, unit, ours):
    """(level, beat recall, beat precision, F at prep's level) of one performance."""
    first, last = points[0][0], points[-1][0]
    grid = lambda step: [t for k in range(int(first // step) - 1, int(last // step) + 2) if (t := at(points, k * step)) is not None]
    truth = grid(unit)
    ours = [t for t in ours if truth[0] - 0.1 <= t <= truth[-1] + 0.1]
    if len(ours) < 2 or len(truth) < 2:
        return None
    level = (truth[-1] - truth[0]) / (len(truth) - 1) / statistics.median(b - a for a, b in zip(ours, ours[1:]))
    recall, precision = hits(truth, ours, 0.07) / len(truth), hits(ours, truth, 0.07) / len(ours)
    finer = grid(unit / max(1, round(level)))
    r, p = hits(finer, ours, 0.05) / len(finer), hits(ours, finer, 0.05) / len(ours)
    return level, recall, precision, 2 * r * p / (r + p) if r + p else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=Path)
    parser.add_argument("--prep", required=True)
    parser.add_argument("--repo", type=Path, default=Path("/work/.mirror/CPJKU+vienna4x22/repo"))
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus-data/corpus"))
    args = parser.parse_args()
    performances = args.corpus / "vienna4x22" / "performance"
    abc, render = args.work / "abc", args.work / "render"
    render.mkdir(parents=True, exist_ok=True)
    subprocess.run([args.prep, "midi2abc", str(performances), "-o", str(abc)], check=True, capture_output=True)
    print("| piece | level (median) | beat recall | beat precision | F at prep's level |\n|---|---|---|---|---|")
    for piece in PIECES:
        rows = []
        for player in range(1, PLAYERS + 1):
            name = f"{piece}_p{player:02d}"
            unstaggered = args.work / f"{name}.abc"
            unstaggered.write_text(without_chord_attack((abc / f"{name}.abc").read_text()))
            rendered = render / f"{name}.mid"
            subprocess.run(["abc2midi", str(unstaggered), "-o", str(rendered)], capture_output=True)
            points, unit = score_beats_in_performance(args.repo, name)
            shift = first_onset(performances / f"{name}.mid")
            row = measure(points, unit, [t + shift for t in written_beats(rendered)])
            if row:
                rows.append(row)
        mean = lambda i: statistics.mean(r[i] for r in rows)
        print(f"| {piece} | {statistics.median(r[0] for r in rows):.2f} | {mean(1):.3f} | {mean(2):.3f} | {mean(3):.3f} |")


if __name__ == "__main__":
    main()
