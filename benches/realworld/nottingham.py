#!/usr/bin/env python3
"""Folk tunes with chords, as a machine learning dataset ships them: the Nottingham set.

jukedeck/nottingham-dataset (GPL-3.0) holds the Nottingham Music Database's 1,034 folk
tunes (jigs, reels, hornpipes, waltzes, slip jigs, Christmas carols) cleaned and turned
into MIDI by Jukedeck's own converter, the form in which music-generation papers have
used them. Its files are not a notation program's export and have quirks of their own:
a melody track and a chord track, both on channel 0 with no program change and no tempo
event (the default 120 BPM); every time signature written on both tracks, and a signature
change for each shorter bar of a first ending; a pickup padded with rests to a whole bar;
1,024 ticks per quarter.

Taken: MIDI/*.mid (melody and chords) -> OUT/nottingham/combined/score/, and
MIDI/melody/*.mid -> OUT/nottingham/melody/score/ with a `melody-` prefix (one prep run
over both folders needs distinct output names). `fidelity.py OUT/nottingham WORK --prep
BIN` measures the round trip as for the other score sets. The files are not
redistributed here (GPL-3.0): the script builds the copy locally.

Source: REPO, a git directory or clone of jukedeck/nottingham-dataset (default: the
session's fetch mirror, else `git clone`). Pinned to COMMIT.
Usage: nottingham.py OUT [--repo DIR]
"""

from make_corpus import archived_files, copy_selected, source_arguments

COMMIT = "0992bb6"


def main():
    args = source_arguments(__doc__, "/work/.mirror/jukedeck+nottingham-dataset/repo")
    url = "https://github.com/jukedeck/nottingham-dataset"

    def place(path):
        if path.suffix.lower() != ".mid" or path.parent.name not in ("MIDI", "melody"):
            return None
        kind, name = ("combined", path.name) if path.parent.name == "MIDI" else ("melody", f"melody-{path.name}")
        return kind, args.out / "nottingham" / kind / "score" / name

    counts = copy_selected(archived_files(args.repo, url, COMMIT, "MIDI"), place)
    print(f"{counts['combined']} tunes with chords and {counts['melody']} melodies in {args.out / 'nottingham'}")


if __name__ == "__main__":
    main()
