#!/usr/bin/env python3
"""Diagnostic: MV2H of prep's rendered real performances with each channel's tracks merged.

abc2midi writes every voice overlay (`&`) of an ABC voice to a MIDI track of its own, and
MV2H's converter takes each track (x channel) as a voice; the Vienna 4x22 scores hold the
whole piano in one track. This re-scores the renderings that `fidelity.py` left in its
work folder with all tracks of a channel merged into one (each prep voice has its own
`%%MIDI channel`, so that is one track per ABC voice), to show how much of the Voice gap
to midi2abc is that mapping alone. It measures a rendering convention, not prep: the
fidelity table's numbers stay the ones to quote.

Usage: mv2h_one_track.py CORPUS WORK CLASSPATH
  CORPUS     the fidelity corpus (reads vienna4x22/pairs.csv and vienna4x22/score/)
  WORK       fidelity.py's work folder (reads render/prep/vienna4x22/performance/*.mid)
  CLASSPATH  MV2H + BoundedAlignment (benches/realworld/mv2h.sh)
"""

import csv
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mido

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fidelity  # noqa: E402


def one_track_per_channel(source, target):
    """A copy of a MIDI file with all tracks' events of each channel in one track (meta
    events go to the first)."""
    mid = mido.MidiFile(source)
    merged = mido.merge_tracks(mid.tracks)
    out = mido.MidiFile(ticks_per_beat=mid.ticks_per_beat)
    tracks, now = {}, 0
    for msg in merged:
        now += msg.time
        channel = getattr(msg, "channel", None)
        tracks.setdefault(channel, []).append((now, msg))
    for events in tracks.values():
        track, last = mido.MidiTrack(), 0
        for tick, msg in events:
            track.append(msg.copy(time=tick - last))
            last = tick
        out.tracks.append(track)
    out.save(target)


def main():
    corpus, work, classpath = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    rendered = work / "render" / "prep" / "vienna4x22" / "performance"
    scratch = work / "one_track"
    scratch.mkdir(exist_ok=True)
    pairs = list(csv.DictReader(open(corpus / "vienna4x22" / "pairs.csv")))

    def score(row):
        stem = Path(row["performance"]).stem
        merged = scratch / f"{stem}.mid"
        one_track_per_channel(rendered / f"{stem}.mid", merged)
        return fidelity.run_mv2h(classpath, corpus / "vienna4x22" / "score" / row["score"], merged)

    with ThreadPoolExecutor(2) as pool:
        results = [r for r in pool.map(score, pairs) if r]
    keys = ("MV2H", "Multi-pitch", "Voice", "Meter", "Value", "Harmony")
    print(f"files: {len(results)}")
    for key in keys:
        print(f"{key}: {statistics.mean(r[key] for r in results):.3f}")


if __name__ == "__main__":
    main()
