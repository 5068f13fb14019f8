#!/usr/bin/env python3
"""The metre prep infers for score MIDI read without its time signature.

A performance and a sequencer file without a time-signature event get their metre from
`analysis::metre`, which sees the notes on a beat grid. Score MIDI with its time
signatures taken out shows what that estimator does when the grid is exact: the beat
is right by construction, so what is left is the beat's family (quarter or dotted
quarter) and the bar (how many beats, where the downbeat is).

For each SET=DIR, every `.mid` under DIR that states a time signature is copied to
WORK/unstated/SET/ without its time-signature events; `prep midi2abc` converts each
folder; the first `M:` of each ABC is compared with the first stated signature:
- exact: the same signature;
- bar: a bar of the same length (2/2 for 4/4 counts; 2/4 for 4/4 does not);
- triple: grouping by three where the file's is by three (3/4, 9/8, 3/8, 3/2), and not
  where it is not;
- family: a compound signature (6/8, 9/8, 12/8) where the file's is compound.

Usage: unstated_metre.py WORK --prep BIN SET=DIR [SET=DIR ...] [--confusions N]
"""

import argparse
import collections
import pathlib
import subprocess

import mido

from fidelity import abc_metre


def first_signature(midi):
    """The (numerator, denominator) of the earliest time signature, or None."""
    first = None
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "time_signature" and (first is None or tick < first[0]):
                first = (tick, message.numerator, message.denominator)
    return first and first[1:]


def without_signatures(midi):
    """The file with its time-signature events removed, their delta times carried on."""
    for track in midi.tracks:
        carried, kept = 0, []
        for message in track:
            if message.type == "time_signature":
                carried += message.time
                continue
            kept.append(message.copy(time=message.time + carried))
            carried = 0
        track[:] = kept
    return midi


def is_compound(signature):
    numerator, denominator = signature
    return denominator >= 8 and numerator % 3 == 0 and numerator > 3


def is_triple(signature):
    numerator = signature[0]
    return (numerator // 3 if is_compound(signature) else numerator) == 3


def bar_quarters(signature):
    return signature[0] * 4 / signature[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=pathlib.Path)
    parser.add_argument("sets", nargs="+", help="SET=DIR")
    parser.add_argument("--prep", required=True)
    parser.add_argument("--confusions", type=int, default=10, help="most common misses shown per set")
    args = parser.parse_args()
    print("| set | files | exact | bar | triple | family | most common misses (stated -> written) |")
    print("|---|---|---|---|---|---|---|")
    for spec in args.sets:
        name, folder = spec.split("=", 1)
        unstated = args.work / "unstated" / name
        abc_dir = args.work / "abc" / name
        unstated.mkdir(parents=True, exist_ok=True)
        stated = {}
        for path in sorted(pathlib.Path(folder).rglob("*.mid")):
            try:
                midi = mido.MidiFile(path)
            except (OSError, ValueError, EOFError, KeyError, IndexError) as error:
                print(f"skipped {path}: {error}")
                continue
            signature = first_signature(midi)
            if signature is None:
                continue
            copy = unstated / path.relative_to(folder).as_posix().replace("/", "__")
            without_signatures(midi).save(copy)
            stated[copy.stem] = signature
        subprocess.run([args.prep, "midi2abc", str(unstated), "-o", str(abc_dir)], capture_output=True, check=False)
        counts = collections.Counter()
        misses = collections.Counter()
        for stem, truth in stated.items():
            abc = abc_dir / f"{stem}.abc"
            written = abc_metre(abc.read_text(errors="replace")) if abc.exists() else None
            counts["files"] += 1
            if written is None:
                counts["unconverted"] += 1
                continue
            counts["exact"] += written == truth
            counts["bar"] += bar_quarters(written) == bar_quarters(truth)
            counts["triple"] += is_triple(written) == is_triple(truth)
            counts["family"] += is_compound(written) == is_compound(truth)
            if written != truth:
                misses[f"{truth[0]}/{truth[1]} -> {written[0]}/{written[1]}"] += 1
        files = max(counts["files"], 1)
        shares = " | ".join(f"{counts[k] / files:.3f}" for k in ("exact", "bar", "triple", "family"))
        common = ", ".join(f"{m} ({n})" for m, n in misses.most_common(args.confusions))
        unconverted = f" ({counts['unconverted']} not converted)" if counts["unconverted"] else ""
        print(f"| {name} | {counts['files']}{unconverted} | {shares} | {common} |")


if __name__ == "__main__":
    main()
