#!/usr/bin/env python3
"""Exports music21's held-out collections to score MIDI for an independent check.

make_corpus.py never reads these collections: they are issue 9's acceptance sets, kept
out of every choice made while tuning `prep midi2abc`. This script exports a fixed sample
of them the same way (music21's MIDI export: one named track per part, channel 0, 10080
ticks per quarter), score MIDI only, into its own corpus folder, so that
`benches/realworld/fidelity.py HELDOUT WORK --sets ...` measures prep on music it was
never tuned on. Run it once, after the work it checks; do not tune on what it shows.

Sets: bach (chorales), quartets (mozart, haydn, beethoven), monteverdi (madrigals),
keyboard (chopin, cpebach, joplin, schubert, schumann, scarlatti, clementi): SAMPLE files
of each (default 20), chosen by --seed.
With --performed, each exported file also gets a performed copy (performed.py, seeded as
make_corpus.py seeds its own: SEED-PIECE), as the issue's "quartets/chorales with human
timing" row measured.
Usage: make_heldout.py OUT [--seed 1] [--sample 20] [--performed]
"""

import argparse
import random
import sys
import warnings
from pathlib import Path

from music21 import converter, corpus

import performed
from make_corpus import export

SETS = {
    "bach": ["bach"],
    "quartets": ["mozart", "haydn", "beethoven"],
    "monteverdi": ["monteverdi"],
    "keyboard": ["chopin", "cpebach", "joplin", "schubert", "schumann", "scarlatti", "clementi"],
}
SUFFIXES = (".krn", ".xml", ".mxl", ".musicxml", ".mid")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--performed", action="store_true", help="also write a performed copy of each file")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    for set_name, composers in SETS.items():
        paths = sorted(p for c in composers for p in corpus.getComposer(c) if p.suffix in SUFFIXES)
        rng = random.Random(f"{args.seed}-{set_name}")
        chosen = sorted(rng.sample(paths, min(args.sample, len(paths))))
        for path in chosen:
            rel = str(path).split("corpus/", 1)[-1]
            target = args.out / set_name / "score" / (rel.replace("/", "-").rsplit(".", 1)[0] + ".mid")
            if not target.exists():
                try:
                    export(converter.parse(path), target)
                    print(f"{set_name}: {rel}", file=sys.stderr)
                except Exception as error:  # a corpus file music21 cannot read or write
                    print(f"skip {rel}: {error}", file=sys.stderr)
                    continue
            copy = args.out / set_name / "performed" / target.name
            if args.performed and not copy.exists():
                performed.perform_file(target, copy, seed=f"{args.seed}-{target.stem}")


if __name__ == "__main__":
    main()
