#!/usr/bin/env python3
"""MIDI from the wild as MIDI toolkits test on it: MidiTok's and symusic's test files.

MidiTok (Natooz/MidiTok, MIT) and symusic (Yikai-Liao/symusic, MIT) test their readers
and tokenizers on MIDI files collected from the web: pop songs sequenced in a DAW (one
tempo, a dozen tracks, drums, track delays, swing, humanize), a piano etude and a waltz
with tempo maps, POP909 songs, an empty file, and files they keep as corrupted.

Taken, at the pinned commits: every `.mid`/`.midi` of MidiTok's `tests/` and symusic's
`tests/testcases/` but the MAESTRO performances (issue 9 keeps MAESTRO aside for the
independent check) and the copies symusic shares with MidiTok, into
OUT/toolkits/songs/score/ (names prefixed `miditok-` or `symusic-`, folders joined with
`__`). The files both projects keep as corrupted that mido cannot read either go to
OUT/toolkits-corrupted/, for checking that prep refuses them with a reason: `fidelity.py OUT/toolkits WORK --prep BIN`
measures the round trip of the rest (the "score" variant: the file's own notes, stated
metre and key). The files are not redistributed here; symusic's issue90.mid ships as
tests/fixtures/realworld/symusic/.

Sources: --miditok and --symusic, git directories or clones (default: the session's
fetch mirrors, else `git clone`).
Usage: toolkit_songs.py OUT [--miditok DIR] [--symusic DIR]
"""

import io
import re

import mido

from make_corpus import archived_files, copy_selected, source_arguments

MIDITOK = ("https://github.com/Natooz/MidiTok", "bbc6c80", "tests")
SYMUSIC = ("https://github.com/Yikai-Liao/symusic", "2314700", "tests/testcases")


def mido_reads(data):
    """Whether mido reads the bytes of a MIDI file."""
    try:
        mido.MidiFile(file=io.BytesIO(data))
        return True
    except (OSError, ValueError, EOFError, KeyError, IndexError):
        return False


def main():
    args = source_arguments(__doc__, None, extra=lambda parser: (
        parser.add_argument("--miditok", default="/work/.mirror/Natooz+MidiTok/repo"),
        parser.add_argument("--symusic", default="/work/.mirror/Yikai-Liao+symusic/repo")))
    songs = args.out / "toolkits" / "songs" / "score"
    corrupted = args.out / "toolkits-corrupted"
    seen = set()

    def placer(prefix, folder):
        def place(path, data):
            inside = path.relative_to(folder).as_posix()
            if not re.search(r"\.midi?$", inside, re.I) or "maestro" in inside.lower():
                return None
            name = re.sub(r"\.midi$", ".mid", inside.replace("/", "__").replace(" ", "_"))
            if path.name in seen:
                return None
            seen.add(path.name)
            if "corrupted" in inside.lower() and not mido_reads(data):
                return "corrupted", corrupted / f"{prefix}-{name}"
            return "songs", songs / f"{prefix}-{name}"
        return place

    counts = {}
    for prefix, repo, (url, commit, folder) in (("miditok", args.miditok, MIDITOK),
                                                ("symusic", args.symusic, SYMUSIC)):
        files = list(archived_files(repo, url, commit, folder))
        place = placer(prefix, folder)
        placed = {path: place(path, data) for path, data in files}
        for kind, count in copy_selected(files, placed.get).items():
            counts[kind] = counts.get(kind, 0) + count
    print(f"{counts.get('songs', 0)} files in {songs}, {counts.get('corrupted', 0)} in {corrupted}")


if __name__ == "__main__":
    main()
