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

from make_corpus import archived_files, export_musicxml, source_arguments, write_pairs

COMMIT = "e1b7001"


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
    args = source_arguments(__doc__, "/work/.mirror/huispaty+batik_plays_mozart/repo")
    target = args.out / "batik"
    (target / "performance").mkdir(parents=True, exist_ok=True)
    pairs = []
    url = "https://github.com/huispaty/batik_plays_mozart"
    for path, data in archived_files(args.repo, url, COMMIT, "midi", "scores"):
        if path.parent.name == "scores" and path.suffix == ".musicxml":
            export_musicxml(repaired(data), path.name, target / "score" / (path.stem + ".mid"), expanded)
        if path.parent.name == "midi" and path.suffix == ".mid":
            (target / "performance" / path.name).write_bytes(data)
            pairs.append((path.name, path.name))
    write_pairs(target, pairs)
    print(f"{len(pairs)} performances in {target}")


if __name__ == "__main__":
    main()
