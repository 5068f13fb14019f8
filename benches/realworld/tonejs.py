#!/usr/bin/env python3
"""MIDI from the wild as a web MIDI library tests on it: Tone.js/Midi's test files.

Tone.js/Midi (MIT) tests its parser on MIDI files collected from classical MIDI sites:
piano pieces sequenced in notation software (Bach's WTC, Debussy, Joplin), orchestral
scores of one track per instrument with string parts that switch programs for pizzicato
and tremolo (Beethoven's 7th, ii, also as a format-0 copy; Bartok's Concerto for
Orchestra, i, 36 tracks), a piano piece played in by hand over a 120 BPM click
(Tchaikovsky's June), a drum beat and a pitch-bend test.

Taken, at the pinned commit: every `.mid` of `test/midi/`, into OUT/tonejs/score/ (folders
joined with `_`). `fidelity.py OUT WORK --prep BIN` then measures the round trip (the
"score" variant: the file's own notes, stated metre and key). The files are not
redistributed here: some carry their sites' terms.

Source: --repo, a git directory or clone (default: the session's fetch mirror, else
`git clone`).
Usage: tonejs.py OUT [--repo DIR]
"""

from make_corpus import archived_files, copy_selected, source_arguments

TONEJS = ("https://github.com/Tonejs/Midi", "1d3a1f5", "test/midi")


def main():
    args = source_arguments(__doc__, "/work/.mirror/Tonejs+Midi/repo")
    url, commit, folder = TONEJS
    target = args.out / "tonejs" / "score"

    def place(path):
        inside = path.relative_to(folder).as_posix()
        return ("score", target / inside.replace("/", "_")) if inside.endswith(".mid") else None

    counts = copy_selected(archived_files(args.repo, url, commit, folder), place)
    print(f"{counts.get('score', 0)} files in {target}")


if __name__ == "__main__":
    main()
