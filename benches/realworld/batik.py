#!/usr/bin/env python3
"""Real piano performances for an independent check: the Batik-plays-Mozart corpus.

Hu and Widmer's corpus (arXiv:2309.02399; huispaty/batik_plays_mozart on GitHub): Roland
Batik plays 12 complete Mozart piano sonatas (36 movements, 223 minutes, 102,421 notes) on
a computer-monitored Bösendorfer grand; the repository has the performance MIDI and the
New Mozart Edition scores in MusicXML. Whole movements, minutes long, where Vienna 4x22
has 22 pianists on three short excerpts. Mozart is one of issue 9's held-out composers:
this set checks the work and is never used to choose anything.

Taken: every performance -> OUT/batik/performance/; its score exported to MIDI by
music21 like the other sets, with its repeats written out where music21 can expand them
(the performances play them) -> OUT/batik/score/; pairs.csv says which score each
performance plays. The files are not redistributed: the corpus is published for research
(see its repository), and this script builds the copy locally.

Source: REPO, a git directory or clone of huispaty/batik_plays_mozart (default: the
session's fetch mirror, else `git clone`). Pinned to COMMIT.
Usage: batik.py OUT [--repo DIR]
"""

import argparse
import io
import subprocess
import tarfile
import tempfile
import warnings
from pathlib import Path

from music21 import converter

from make_corpus import export

COMMIT = "e1b7001"


def git_dir(repo):
    if repo and (Path(repo) / ".git").is_dir():
        return Path(repo) / ".git"
    if repo and Path(repo).is_dir():
        return Path(repo)
    clone = Path(tempfile.mkdtemp()) / "batik_plays_mozart"
    subprocess.run(["git", "clone", "--quiet", "https://github.com/huispaty/batik_plays_mozart", str(clone)],
                   check=True)
    return clone / ".git"


def repaired(xml):
    """The MusicXML with the one misspelt note type of the corpus (`eigth`, which music21
    refuses) corrected."""
    return xml.replace(b"<type>eigth</type>", b"<type>eighth</type>")


def expanded(score):
    """The score with its repeats written out, or as it is where music21 cannot."""
    try:
        return score.expandRepeats()
    except Exception:  # music21 raises several kinds on irregular repeat marks
        return score


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--repo", default="/work/.mirror/huispaty+batik_plays_mozart/repo")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    git = git_dir(args.repo)
    archive = subprocess.run(["git", "--git-dir", str(git), "archive", COMMIT, "midi", "scores"],
                             capture_output=True, check=True).stdout
    target = args.out / "batik"
    pairs = ["performance,score"]
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            path = Path(member.name)
            if path.parent.name == "scores" and path.suffix == ".musicxml":
                score_file = target / "score" / (path.stem + ".mid")
                if not score_file.exists():
                    xml = Path(tempfile.mkdtemp()) / path.name
                    xml.write_bytes(repaired(tar.extractfile(member).read()))
                    export(expanded(converter.parse(xml)), score_file)
                    print(f"score {path.stem}", flush=True)
            if path.parent.name == "midi" and path.suffix == ".mid":
                performance = target / "performance" / path.name
                performance.parent.mkdir(parents=True, exist_ok=True)
                performance.write_bytes(tar.extractfile(member).read())
                pairs.append(f"{path.name},{path.name}")
    (target / "pairs.csv").write_text("\n".join(pairs) + "\n")
    print(f"{len(pairs) - 1} performances in {target}")


if __name__ == "__main__":
    main()
