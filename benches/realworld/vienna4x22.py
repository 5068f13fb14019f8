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

import argparse
import io
import re
import subprocess
import tarfile
import tempfile
import warnings
from pathlib import Path

from music21 import converter

from make_corpus import export

COMMIT = "decce45"
PIECES = ("Chopin_op10_no3", "Chopin_op38", "Schubert_D783_no15")


def git_dir(repo):
    if repo and (Path(repo) / ".git").is_dir():
        return Path(repo) / ".git"
    if repo and Path(repo).is_dir():
        return Path(repo)
    clone = Path(tempfile.mkdtemp()) / "vienna4x22"
    subprocess.run(["git", "clone", "--quiet", "https://github.com/CPJKU/vienna4x22", str(clone)], check=True)
    return clone / ".git"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--repo", default="/work/.mirror/CPJKU+vienna4x22/repo")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    git = git_dir(args.repo)
    archive = subprocess.run(["git", "--git-dir", str(git), "archive", COMMIT, "midi", "musicxml"],
                             capture_output=True, check=True).stdout
    target = args.out / "vienna4x22"
    pairs = ["performance,score"]
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            name = Path(member.name).name
            if member.name.startswith("musicxml/") and name.endswith(".musicxml") and Path(name).stem in PIECES:
                score_file = target / "score" / (Path(name).stem + ".mid")
                if not score_file.exists():
                    xml = Path(tempfile.mkdtemp()) / name
                    xml.write_bytes(tar.extractfile(member).read())
                    export(converter.parse(xml), score_file)
            match = re.fullmatch(r"(.+)_p(\d\d)\.mid", name)
            if member.name.startswith("midi/") and match and match.group(1) in PIECES:
                performance = target / "performance" / name
                performance.parent.mkdir(parents=True, exist_ok=True)
                performance.write_bytes(tar.extractfile(member).read())
                pairs.append(f"{name},{match.group(1)}.mid")
    (target / "pairs.csv").write_text("\n".join(pairs) + "\n")
    print(f"{len(pairs) - 1} performances of {len(PIECES)} pieces in {target}")


if __name__ == "__main__":
    main()
