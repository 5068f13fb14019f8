#!/usr/bin/env python3
"""Pop songs arranged for piano, as a symbolic-music dataset ships them: POP909.

POP909 (Wang, Chen et al., ISMIR 2020; music-x-lab/POP909-Dataset, MIT) holds 909
Chinese pop songs arranged for piano in three tracks (MELODY, BRIDGE, PIANO) by
professional musicians. The files are quantized to sixteenths and then moved, note for
note, to the timing of the song's recording: in most songs every onset lies a fixed
number of ticks (16 to 463 at 480 per quarter) after the file's beat, and some notes
were left as played. Their metre is often a placeholder (1/4, or 4/4 and 2/4 at tick 0)
and a third state a key.

Taken: POP909/NNN/NNN.mid -> OUT/pop909/pop/score/pop-NNN.mid (the first SONGS songs,
all 909 by default; the `versions/` variants are left out). `fidelity.py OUT/pop909 WORK
--prep BIN` measures the round trip against the file's own notes (the "score" variant:
notes, stated metre and key). The songs are not redistributed here; one excerpt ships as
tests/fixtures/realworld/pop909/.

Source: REPO, a git directory or clone of music-x-lab/POP909-Dataset (default: the
session's fetch mirror, else `git clone`). Pinned to COMMIT.
Usage: pop909.py OUT [--repo DIR] [--songs N]
"""

import re

from make_corpus import archived_files, copy_selected, source_arguments

COMMIT = "d83e6ed"


def main():
    args = source_arguments(__doc__, "/work/.mirror/music-x-lab+POP909-Dataset/repo",
                            extra=lambda parser: parser.add_argument("--songs", type=int, default=909))
    url = "https://github.com/music-x-lab/POP909-Dataset"
    target = args.out / "pop909" / "pop" / "score"

    def place(path):
        song = re.fullmatch(r"POP909/(\d{3})/\1\.mid", path.as_posix())
        if not song or int(song.group(1)) > args.songs:
            return None
        return "songs", target / f"pop-{song.group(1)}.mid"

    count = copy_selected(archived_files(args.repo, url, COMMIT, "POP909"), place)["songs"]
    print(f"{count} songs in {target}")


if __name__ == "__main__":
    main()
