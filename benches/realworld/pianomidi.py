#!/usr/bin/env python3
"""Sequenced piano MIDI from piano-midi.de: a real-world set of score MIDI with expressive
tempo maps.

Bernd Krueger's piano-midi.de files (CC BY-SA 3.0 Germany) are scores entered by hand in
a sequencer and shaped for playback: a tempo change every few ticks through ritardandi,
agogic accents 14 ticks after the beat (at 480 per quarter), notes gated short, some
onsets moved by a few ticks. They state metre and key. The cleaned collection of
cheriell/ClassicalPianoMIDI-dataset (331 pieces, 25 composers) is taken at COMMIT.

Taken: every piece of a composer outside issue 9's held-out list -> OUT/pianomidi/
<composer>/score/ (the tuning set, 263 files); Bach, Mozart, Haydn and Beethoven ->
OUT/pianomidi-check/<composer>/score/ (74 files), an independent check run once and
never used to choose anything. `fidelity.py OUT/pianomidi WORK --prep BIN` measures the
round trip (the score variant: notes, stated metre and key). The files are not
redistributed here: the script builds the copy locally.

Source: REPO, a git directory or clone of cheriell/ClassicalPianoMIDI-dataset (default:
the session's fetch mirror, else `git clone`). Pinned to COMMIT.
Usage: pianomidi.py OUT [--repo DIR]
"""

from make_corpus import archived_files, copy_selected, source_arguments

COMMIT = "505aef5"
HELD_OUT = {"Bach", "Mozart", "Haydn", "Beethoven"}


def main():
    args = source_arguments(__doc__, "/work/.mirror/cheriell+ClassicalPianoMIDI-dataset/repo")
    url = "https://github.com/cheriell/ClassicalPianoMIDI-dataset"

    def place(path):
        if path.suffix.lower() != ".mid":
            return None
        composer = path.parent.name
        kind = "pianomidi-check" if composer in HELD_OUT else "pianomidi"
        return kind, args.out / kind / composer / "score" / path.name

    counts = copy_selected(archived_files(args.repo, url, COMMIT, "midis"), place)
    print(f"{counts['pianomidi']} tuning and {counts['pianomidi-check']} check files in {args.out}")


if __name__ == "__main__":
    main()
