#!/usr/bin/env python3
"""Real human piano performances for the corpus: the Vienna 4x22 Piano Corpus.

Werner Goebl's corpus (doi:10.21939/4X22; CC BY 4.0, as distributed by CPJKU/vienna4x22
on GitHub): 22 professional pianists each play 4 excerpts on a Bösendorfer SE computer-
monitored grand; the repository has the performance MIDI and the MusicXML scores. Not
ASAP/MAESTRO competition MIDI (those are the independent check).

Taken: Chopin op. 10 no. 3 (bars 1-22), Chopin op. 38 (bars 1-46) and Schubert D783 no. 15
(bars 1-33), 22 performances each -> OUT/vienna4x22/performance/; their scores exported to
MIDI by music21 like the other sets -> OUT/vienna4x22/score/; pairs.csv says which score
each performance plays. Left out: Mozart K331 (Mozart is a held-out composer), the
"average" performances (computed, not played) and the op. 38 "1st-3rd" copies.

Source: REPO, a git directory or clone of CPJKU/vienna4x22 (default: the session's fetch
mirror, else `git clone`). Pinned to COMMIT.
Usage: vienna4x22.py OUT [--repo DIR]
"""

import re

from make_corpus import archived_files, export_musicxml, source_arguments, write_pairs

COMMIT = "decce45"
PIECES = ("Chopin_op10_no3", "Chopin_op38", "Schubert_D783_no15")


def main():
    args = source_arguments(__doc__, "/work/.mirror/CPJKU+vienna4x22/repo")
    target = args.out / "vienna4x22"
    (target / "performance").mkdir(parents=True, exist_ok=True)
    pairs = []
    url = "https://github.com/CPJKU/vienna4x22"
    for path, data in archived_files(args.repo, url, COMMIT, "midi", "musicxml"):
        name = path.name
        if path.parts[0] == "musicxml" and name.endswith(".musicxml") and path.stem in PIECES:
            export_musicxml(data, name, target / "score" / (path.stem + ".mid"))
        match = re.fullmatch(r"(.+)_p(\d\d)\.mid", name)
        if path.parts[0] == "midi" and match and match.group(1) in PIECES:
            (target / "performance" / name).write_bytes(data)
            pairs.append((name, f"{match.group(1)}.mid"))
    write_pairs(target, pairs)
    print(f"{len(pairs)} performances of {len(PIECES)} pieces in {target}")

if __name__ == "__main__":
    main()
