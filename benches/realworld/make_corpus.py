#!/usr/bin/env python3
"""Builds the real-world MIDI corpus for benches/abc_fidelity.sh and tests/fixtures/realworld.

Score MIDI: public-domain scores from music21's bundled corpus (it ships inside the
music21 wheel, nothing is downloaded), exported to MIDI by music21 the way notation
software exports them: one track per part with its name, every part on channel 0 with
one program, tempo, time and key signatures on the first track, 10080 ticks per quarter.
Performed MIDI: a copy of every score file played "by a human" (performed.py): one
arbitrary tempo, no metre or key events, rubato, onset jitter, articulation, dynamics.

Sets (name: music21 collections):
  renaissance: palestrina (sample), josquin, lusitano, luca: 3-6 voice vocal polyphony
  trecento:    trecento (sample), ciconia: 2-3 voice medieval polyphony, 6/8, 9/8, 3/4
  folk:        essenFolksong, ryansMammoth, oneills1850, airdsAirs (samples): melodies,
               pickups, 6/8, 9/8, 2/4, 3/8, modal keys
  ensemble:    corelli, johnson_j_r, liliuokalani, beach, handel, weber: songs, choirs
               with piano and a trio sonata

Held out, never read here (they are the independent acceptance sets): music21's bach,
mozart, haydn, beethoven, monteverdi and the keyboard composers (chopin, cpebach, joplin,
schubert, schumann_*, schoenberg, webern, verdi's piano score), MusicNet, ASAP/MAESTRO.

Deterministic: the same --seed gives the same files, byte for byte.
Usage: make_corpus.py OUT [--seed 1] [--scale 1.0]
"""

import argparse
import collections
import csv
import io
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import warnings
from pathlib import Path

from music21 import converter, corpus, midi

import performed

HELD_OUT = (
    "bach", "mozart", "haydn", "beethoven", "monteverdi", "chopin", "cpebach", "joplin",
    "schubert", "schumann", "schoenberg", "webern", "verdi", "scarlatti", "clementi",
)

# set name -> list of (collection, files to take (None = all), tunes per opus file)
SETS = {
    "renaissance": [("palestrina", 40, None), ("josquin", None, None), ("lusitano", None, None), ("luca", None, None)],
    "trecento": [("trecento", 40, None), ("ciconia", None, None)],
    "folk": [("essenFolksong", 12, 3), ("ryansMammoth", 30, None), ("oneills1850", 6, 2), ("airdsAirs", 3, 2)],
    "ensemble": [("corelli", None, None), ("johnson_j_r", None, None), ("liliuokalani", None, None),
                 ("beach", None, None), ("handel", None, None), ("weber", None, None)],
}


def collection_paths(name):
    """Score files of one music21 collection, sorted (no analysis files)."""
    paths = sorted(p for p in corpus.getComposer(name) if p.suffix in (".krn", ".xml", ".mxl", ".musicxml", ".abc"))
    for p in paths:
        top = str(p).split("corpus/", 1)[1].split("/")[0].lower()
        assert not top.startswith(HELD_OUT), f"held-out file selected: {p}"
    return paths


def pieces(collection, take, tunes_per_file, rng):
    """(id, music21 stream) for the chosen pieces of a collection."""
    paths = collection_paths(collection)
    if take is not None and take < len(paths):
        paths = sorted(rng.sample(paths, take))
    for path in paths:
        stem = f"{collection}-{path.stem}".replace(" ", "_")
        numbers, titles = abc_tunes(path)
        try:
            if len(numbers) > 1 and len(titles) > 1:  # an opus of tunes: parse only those taken
                chosen = numbers
                if tunes_per_file is not None and tunes_per_file < len(numbers):
                    chosen = sorted(rng.sample(numbers, tunes_per_file))
                for number in chosen:
                    yield f"{stem}-{number}", converter.parse(path, number=number), path
                continue
            parsed = converter.parse(path)
        except Exception as error:  # a corpus file music21 cannot read: report, go on
            print(f"skip {path}: {error}", file=sys.stderr)
            continue
        if hasattr(parsed, "scores"):
            # Tunes that share one title are the voices of one piece (josquin's ABC files).
            parsed = parsed.mergeScores()
        yield stem, parsed, path


def abc_tunes(path):
    """The X: numbers and the distinct first titles of an ABC file (nothing for others)."""
    if path.suffix != ".abc":
        return [], set()
    text = path.read_text(errors="replace")
    numbers = sorted({int(n) for n in re.findall(r"^X:\s*(\d+)", text, re.M)})
    titles = set(re.findall(r"^X:.*\n(?:[^T].*\n)*?T:(.*)$", text, re.M))
    return numbers, titles


def git_dir(repo, url):
    """The git directory of a source repository: `repo` when it is a clone or a bare git
    directory (such as a fetch mirror), else a fresh clone of `url`."""
    if repo and (Path(repo) / ".git").is_dir():
        return Path(repo) / ".git"
    if repo and Path(repo).is_dir():
        return Path(repo)
    clone = Path(tempfile.mkdtemp()) / url.rstrip("/").split("/")[-1]
    subprocess.run(["git", "clone", "--quiet", url, str(clone)], check=True)
    return clone / ".git"


def source_arguments(doc, default_repo, extra=None):
    """The command line of a script that builds a set from a source repository: OUT and
    --repo (default `default_repo`; none when that is None, for scripts that name their
    repositories in `extra`), and what `extra` adds to the parser; music21's warnings are
    silenced."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("out", type=Path)
    if default_repo is not None:
        parser.add_argument("--repo", default=default_repo)
    if extra:
        extra(parser)
    warnings.filterwarnings("ignore")
    return parser.parse_args()


def archived_files(repo, url, commit, *folders):
    """(path, bytes) of every file under `folders` of the repository at `commit`, by path
    (see `git_dir` for `repo` and `url`)."""
    git = git_dir(repo, url)
    archive = subprocess.run(["git", "--git-dir", str(git), "archive", commit, *folders],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if member.isfile():
                yield Path(member.name), tar.extractfile(member).read()


def copy_selected(files, place):
    """Writes each (path, bytes) of `files` where `place(path)` puts it, a (kind, target
    path) pair, or leaves it out where that is None; returns the count of each kind."""
    counts = collections.Counter()
    for path, data in files:
        placed = place(path)
        if placed:
            kind, target = placed
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            counts[kind] += 1
    return counts


def export_musicxml(data, name, target, prepare=lambda score: score):
    """Exports the MusicXML `data` (file `name`) to MIDI at `target` as `export` does,
    after `prepare`; a target that exists is kept (the export is slow)."""
    if target.exists():
        return
    xml = Path(tempfile.mkdtemp()) / name
    xml.write_bytes(data)
    export(prepare(converter.parse(xml)), target)


def write_pairs(target, pairs):
    """Writes `target`/pairs.csv: which score (the second of each pair) each performance
    file (the first) plays, as `fidelity.py` reads it."""
    lines = ["performance,score", *(f"{performance},{score}" for performance, score in pairs)]
    (target / "pairs.csv").write_text("\n".join(lines) + "\n")


def export(score, target):
    mf = midi.translate.music21ObjectToMidiFile(score)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    mf.open(str(tmp), "wb")
    mf.write()
    mf.close()
    tmp.rename(target)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    rows = []
    for set_name in args.sets.split(","):
        rng = random.Random(f"{args.seed}-{set_name}")
        for collection, take, tunes in SETS[set_name]:
            for piece_id, score, path in pieces(collection, take, tunes, rng):
                score_file = args.out / set_name / "score" / f"{piece_id}.mid"
                try:
                    if not score_file.exists():
                        export(score, score_file)
                    performed_file = args.out / set_name / "performed" / f"{piece_id}.mid"
                    if not performed_file.exists():
                        performed.perform_file(score_file, performed_file, seed=f"{args.seed}-{piece_id}")
                except Exception as error:
                    print(f"skip {piece_id} ({path}): {error}", file=sys.stderr)
                    score_file.unlink(missing_ok=True)
                    continue
                rel = str(path).split("corpus/", 1)[-1]
                rows.append((set_name, piece_id, f"music21 corpus: {rel}"))
                print(f"{set_name}/{piece_id}", file=sys.stderr)
    with open(args.out / "manifest.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["set", "id", "source"])
        writer.writerows(rows)
    print(f"{len(rows)} pieces x (score, performed) in {args.out}")


if __name__ == "__main__":
    main()
