#!/usr/bin/env python3
"""Round-trip fidelity of `prep midi2abc` and abcMIDI's `midi2abc` on the real-world corpus.

For every set of the corpus (make_corpus.py, vienna4x22.py) and each of its variants
(`score`: notation-software MIDI; `performed`: the same with human timing; `performance`:
real human performances), every tool converts every file to ABC, abcMIDI's abc2midi
renders every ABC back to MIDI, and the rendered notes are compared with the input's:

- rendering: plain abc2midi, with its chord staggering (`%%MIDI chordattack`) off, as
  tests/abc_realworld.rs renders;
- notes of a MIDI file: paired as pretty_midi pairs them (a note-off ends every note of
  its pitch on its track and channel that started at an earlier tick; a note never turned
  off is dropped), which is also what a synthesizer plays, with prep's reader's one
  exception: a note-off one tick after a re-strike of a key that an older note holds
  ends the older note only (music21's rounded triplets; a synthesizer plays the re-struck
  note for that one tick);
- onset F1: mir_eval.transcription.precision_recall_f1_overlap, pitch within 50 cents
  (= same MIDI pitch), onset within 50 ms, offsets ignored;
- offset F1: the same with offset_ratio 0.2 (offset within max(50 ms, 20 % of the note));
- metre / key: the ABC's first M: / K: against the first time / key signature the score
  file states (for performed copies: their score's); files that state none are left out;
  key = same tonic and mode (major/minor); key signature = same sharps or flats, whatever
  the mode (music21 states most modal pieces' signatures as major keys);
- abc2midi: files it rejects (no MIDI written) and its Error/Warning lines;
- voices: distinct V: per part of the input (a part = track + channel + program with
  notes), files with more voices than parts, files with more voices than the parts'
  polyphony bound (sum over parts of the most notes sounding at once in that part), and
  `&` overlays;
- invented tuplets: tuplet groups (`(3`, `(5`...) the ABC writes where the score (the
  input, or a performed copy's score) has no note on or off the binary grid of 64ths:
  files and groups; a beat tracked at the wrong level or division writes them;
- chars per note: ABC characters per input note;
- stated tempo: the share of renderings whose stated tempo (in force at tick 0, or after
  a lead-in of one sixteenth: what a clip's tempo label and the reward read) is within
  15 % of the tempo in force for the greater part of the music;
- MV2H (McLeod & Steedman 2018), for performed variants: non-aligned mode against the
  score MIDI, both converted by MV2H's own MIDI converter (BoundedAlignment.java).

A file a tool fails on, or whose ABC abc2midi cannot render, scores 0 on F1 and metre/key.
Timing: `prep midi2abc` on all of a variant's folders in one process against one midi2abc
process per file, median of RUNS.

Usage: fidelity.py CORPUS WORK --prep BIN [--mv2h CLASSPATH] [--runs 3] [--json OUT]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import mido
import numpy as np
from mir_eval import transcription

warnings.filterwarnings("ignore")
TOOLS_SCORE = {"prep": None, "midi2abc": []}
TOOLS_PERFORMED = {"prep": None, "midi2abc": [], "midi2abc -ga -gk": ["-ga", "-gk"]}
PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


# ---------------------------------------------------------------- reading MIDI


class Midi:
    """What the comparison needs from one MIDI file."""

    def __init__(self, path):
        mid = mido.MidiFile(path, clip=True)
        tpq = mid.ticks_per_beat
        events = []  # (tick, order, track, msg)
        for number, track in enumerate(mid.tracks):
            now = 0
            for msg in track:
                now += msg.time
                events.append((now, 0 if msg.is_meta else 1, number, msg))
        events.sort(key=lambda e: (e[0], e[1]))
        tempo, last_tick, seconds = 500000, 0, 0.0
        self.tpq, self.tempi = tpq, []  # (tick, microseconds per quarter), in file order
        programs, sounding = {}, {}
        self.notes = []  # (pitch, on s, off s, part, on tick, off tick)
        self.time_signature = self.key = None
        for tick, _, number, msg in events:
            seconds += (tick - last_tick) * tempo / tpq / 1e6
            last_tick = tick
            if msg.type == "set_tempo":
                tempo = msg.tempo
                self.tempi.append((tick, tempo))
            elif msg.type == "time_signature" and self.time_signature is None:
                self.time_signature = (msg.numerator, msg.denominator)
            elif msg.type == "key_signature" and self.key is None:
                self.key = midi_key(msg.key)
            elif msg.type == "program_change":
                programs[(number, msg.channel)] = msg.program
            elif msg.type == "note_on" and msg.velocity > 0:
                sounding.setdefault((number, msg.channel, msg.note), []).append((seconds, tick))
            elif msg.type in ("note_on", "note_off"):
                # pretty_midi's rule: a note-off ends every note of its pitch (track,
                # channel) that started at an earlier tick; notes never ended are dropped.
                # prep's reader's one exception: one tick after a re-strike of a key an
                # older note holds, the note-off ends the older notes only (a writer's
                # rounding; src/midi/read.rs).
                started = sounding.get((number, msg.channel, msg.note), [])
                part = (number, msg.channel, programs.get((number, msg.channel), 0))
                older = [s for s in started if s[1] < tick]
                rounded_late = len(older) >= 2 and older[-1][1] + 1 == tick
                for on, on_tick in older[:-1] if rounded_late else older:
                    self.notes.append((msg.note, on, seconds, part, on_tick, tick))
                kept = older[-1:] if rounded_late else []
                started[:] = kept + [s for s in started if s[1] == tick]
        self.parts = sorted({n[3] for n in self.notes})
        # Binary note values down to a 64th: a score off this grid holds tuplets (or grace
        # notes placed off it); one on it holds none.
        self.binary_only = all(t % max(1, tpq // 16) == 0 for n in self.notes for t in (n[4], n[5]))

    def polyphony_bound(self):
        """Sum over parts of the most notes sounding at once in the part."""
        total = 0
        for part in self.parts:
            edges = sorted([(n[4], 1) for n in self.notes if n[3] == part] + [(n[5], -1) for n in self.notes if n[3] == part])
            level = peak = 0
            for _, step in edges:
                level += step
                peak = max(peak, level)
            total += max(peak, 1)
        return total

    def stated_and_median_bpm(self):
        """The quarter-note tempo the file states (in force at tick 0, or after a lead-in
        of exactly one sixteenth, as prep's `TempoMap::stated`) and the tempo in force for
        the greater part of the time up to the last note's end (the median by time)."""
        changes = []
        for tick, micros in self.tempi or [(0, 500000)]:
            if changes and changes[-1][0] == tick:
                changes[-1] = (tick, micros)  # of two at one tick, the later is in force
            else:
                changes.append((tick, micros))
        if changes[0][0] > 0:
            changes.insert(0, (0, 500000))
        lead_in = len(changes) > 1 and self.tpq % 4 == 0 and changes[1][0] == self.tpq // 4
        stated = changes[1][1] if lead_in else changes[0][1]
        end = max((n[5] for n in self.notes), default=0)
        spans = sorted((micros, (min(nxt, end) - tick) * micros)
                       for (tick, micros), nxt in zip(changes, [c[0] for c in changes[1:]] + [end]) if min(nxt, end) > tick)
        total, acc, median = sum(w for _, w in spans), 0, stated
        for micros, weight in spans:
            acc += weight
            if acc >= total / 2:
                median = micros
                break
        return 60e6 / stated, 60e6 / median

    def mir_eval_arrays(self):
        notes = [n for n in self.notes if n[2] > n[1]]
        intervals = np.array([[n[1], n[2]] for n in notes]).reshape(-1, 2)
        pitches = np.array([440.0 * 2 ** ((n[0] - 69) / 12) for n in notes])
        return intervals, pitches


def midi_key(name):
    """mido's key name ('Bb', 'F#m') -> (tonic pitch class, mode)."""
    minor = name.endswith("m")
    tonic = name[:-1] if minor else name
    return pitch_class(tonic), "minor" if minor else "major"


def pitch_class(name):
    pc = PITCH_CLASS[name[0].upper()]
    for accidental in name[1:]:
        pc += {"#": 1, "b": -1}.get(accidental, 0)
    return pc % 12


# ---------------------------------------------------------------- reading ABC


def abc_metre(text):
    match = re.search(r"^M:\s*(\S+)", text, re.M)
    if not match:
        return None
    value = match.group(1)
    if value == "C":
        return (4, 4)
    if value == "C|":
        return (2, 2)
    frac = re.match(r"(\d+)/(\d+)", value)
    return (int(frac.group(1)), int(frac.group(2))) if frac else None


def abc_key(text):
    match = re.search(r"^K:[ \t]*([A-G])([#b]?)[ \t]*([A-Za-z]*)", text, re.M)
    if not match:
        return None
    word = match.group(3).lower()
    if word == "" or word.startswith(("maj", "ion")):
        mode = "major"
    elif word == "m" or word.startswith(("min", "aeo")):
        mode = "minor"
    else:
        mode = word[:3]
    return pitch_class(match.group(1) + match.group(2)), mode


def abc_voices(text):
    ids = set(re.findall(r"^V:\s*(\S+)", text, re.M)) | set(re.findall(r"\[V:\s*([^\]\s]+)", text))
    return max(1, len(ids))


def abc_body(text):
    """The tune's music lines, without header fields, directives and comments."""
    return [line.split("%")[0] for line in text.splitlines() if not re.match(r"^[A-Za-z]:|^%", line)]


def abc_tuplets(text):
    """Tuplet groups written: `(3`, `(3:2:2`, `(5`..."""
    return sum(len(re.findall(r"\(\d", line)) for line in abc_body(text))


def abc_overlays(text):
    return sum(line.count("&") for line in abc_body(text))


# ---------------------------------------------------------------- scoring one file


def score_file(job):
    """All measures of one (input, ABC) pair. Runs abc2midi; returns a dict."""
    input_path, truth_path, abc_path, render_path, mv2h = job
    out = {"file": str(input_path)}
    try:
        played = Midi(input_path)
        truth = played if truth_path == input_path else Midi(truth_path)
    except Exception as error:
        out["unreadable"] = str(error)
        return out
    out["notes"] = len(played.notes)
    out["parts"] = len(played.parts)
    out["polyphony"] = played.polyphony_bound()
    out["stated_metre"] = truth.time_signature
    out["stated_key"] = truth.key
    out["score_binary_only"] = truth.binary_only
    if not abc_path.exists() or "K:" not in abc_path.read_text(errors="replace"):
        out["converted"] = False
        return out
    out["converted"] = True
    text = abc_path.read_text(errors="replace")
    out["chars"] = len(text)
    out["voices"] = abc_voices(text)
    out["overlays"] = abc_overlays(text)
    out["tuplets"] = abc_tuplets(text)
    out["metre"] = abc_metre(text)
    out["key"] = abc_key(text)
    render_path.parent.mkdir(parents=True, exist_ok=True)
    render_path.unlink(missing_ok=True)
    unstaggered = render_path.with_suffix(".abc")
    unstaggered.write_text(without_chord_attack(text))
    run = subprocess.run(["abc2midi", str(unstaggered), "-o", str(render_path)], capture_output=True, text=True,
                         errors="replace", timeout=120)
    # Not the line naming the file written: a file named "...RunTimeError..." is no error.
    messages = [line for line in (run.stdout + run.stderr).splitlines() if not line.startswith("writing ")]
    out["abc2midi_errors"] = sum(1 for line in messages if re.search(r"error", line, re.I))
    out["abc2midi_warnings"] = sum(1 for line in messages if re.search(r"warning", line, re.I))
    try:
        heard = Midi(render_path)
    except Exception:
        out["rendered"] = False
        return out
    out["rendered"] = True
    stated, median = heard.stated_and_median_bpm()
    out["stated_tempo_ratio"] = stated / median
    ref_i, ref_p = played.mir_eval_arrays()
    est_i, est_p = heard.mir_eval_arrays()
    if len(ref_p) and len(est_p):
        out["onset_f1"] = transcription.precision_recall_f1_overlap(
            ref_i, ref_p, est_i, est_p, onset_tolerance=0.05, pitch_tolerance=50.0, offset_ratio=None)[2]
        out["offset_f1"] = transcription.precision_recall_f1_overlap(
            ref_i, ref_p, est_i, est_p, onset_tolerance=0.05, pitch_tolerance=50.0, offset_ratio=0.2,
            offset_min_tolerance=0.05)[2]
    if mv2h:
        out["mv2h"] = run_mv2h(mv2h, truth_path, render_path)
    return out


def without_chord_attack(text):
    """The ABC as abc2midi should play it for this comparison: abc2midi staggers the notes
    of a chord by 10 of its 480 ticks per quarter each (`%%MIDI chordattack`), a
    performance effect of the player that puts the third note of a chord 70 ms late at
    36 BPM; the directive after the first line turns it off for both tools."""
    first, _, rest = text.partition("\n")
    return f"{first}\n%%MIDI chordattack 0\n{rest}"


def without_unison_overlaps(source, target):
    """A copy of a MIDI file that MV2H's converter accepts: a note that starts while the
    same pitch sounds on the same track and channel ends that one first (as a re-struck
    key does), and note-offs that match nothing are dropped. No track ends after the last
    of those that hold notes: abc2midi 4.84 ends the tempo track of a many-voice tune with
    tempo changes at its last change plus the whole tune's length (an 80-second piece
    lasts 156 s), and MV2H lays its beats and bars out to the file's last tick."""
    mid = mido.MidiFile(source, clip=True)
    tracks = []
    for track in mid.tracks:
        sounding, owed, now, kept = set(), {}, 0, []
        for msg in track:
            now += msg.time
            key = (msg.channel, msg.note) if msg.type in ("note_on", "note_off") else None
            if key and msg.type == "note_on" and msg.velocity > 0:
                if key in sounding:  # re-struck: end it now, skip its own note-off later
                    kept.append((now, mido.Message("note_off", channel=msg.channel, note=msg.note)))
                    owed[key] = owed.get(key, 0) + 1
                sounding.add(key)
            elif key:
                if owed.get(key):
                    owed[key] -= 1
                    continue
                if key not in sounding:
                    continue
                sounding.discard(key)
            kept.append((now, msg))
        tracks.append(kept)
    with_notes = [kept for kept in tracks if any(msg.type == "note_on" for _, msg in kept)]
    end = max((kept[-1][0] for kept in with_notes), default=None)
    for track, kept in zip(mid.tracks, tracks):
        track[:] = []
        last = 0
        for tick, msg in kept:
            if end is not None and msg.type == "end_of_track":
                tick = max(last, min(tick, end))
            track.append(msg.copy(time=tick - last))
            last = tick
    mid.save(target)


def run_mv2h(classpath, truth_midi, rendered_midi):
    """MV2H components (non-aligned) of a rendered file against its score, or None."""
    try:
        with_txt = []
        for path in (truth_midi, rendered_midi):
            txt = rendered_midi.with_suffix(f".{len(with_txt)}.mv2h.txt")
            clean = rendered_midi.with_suffix(f".{len(with_txt)}.mv2h.mid")
            without_unison_overlaps(path, clean)
            subprocess.run(["java", "-cp", classpath, "mv2h.tools.Converter", "-i", str(clean), "-o", str(txt)],
                           capture_output=True, check=True, timeout=120)
            with_txt.append(txt)
        run = subprocess.run(["java", "-cp", classpath, "BoundedAlignment", str(with_txt[0]), str(with_txt[1]), "20"],
                             capture_output=True, text=True, check=True, timeout=300)
        values = dict(re.findall(r"^([\w-]+): ([0-9.]+)$", run.stdout, re.M))
        return {k: float(v) for k, v in values.items()}
    except (subprocess.SubprocessError, OSError):
        return None


# ---------------------------------------------------------------- running the tools


def midi_files(folder):
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".mid", ".midi"))


def run_prep(prep, inputs, out):
    subprocess.run(["rm", "-rf", str(out)], check=True)
    run = subprocess.run([prep, "midi2abc", *map(str, inputs), "-o", str(out)], capture_output=True, text=True)
    return run.stderr


def run_midi2abc(files, out, flags):
    out.mkdir(parents=True, exist_ok=True)
    for f in files:
        subprocess.run(["midi2abc", "-f", str(f), *flags, "-o", str(out / (f.stem + ".abc"))], capture_output=True)


def timed(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def truth_of(corpus_set, variant, input_path):
    """The score file that states the truth of an input: pairs.csv, else the same name."""
    if variant == "score":
        return input_path
    pairs = corpus_set / "pairs.csv"
    if pairs.exists():
        for line in pairs.read_text().splitlines()[1:]:
            performed, score = line.split(",")
            if performed == input_path.name:
                return corpus_set / "score" / score
    return corpus_set / "score" / input_path.name


# ---------------------------------------------------------------- summarising


def signature(key):
    """The key signature of a (tonic pitch class, mode) key, as its major tonic's pitch class."""
    tonic, mode = key
    above_major_tonic = {"major": 0, "dor": 2, "phr": 4, "lyd": 5, "mix": 7, "minor": 9, "loc": 11}
    return (tonic - above_major_tonic.get(mode, 0)) % 12


def summarise(results):
    n = len(results)
    read = [r for r in results if "unreadable" not in r]
    conv = [r for r in read if r.get("converted")]
    rendered = [r for r in conv if r.get("rendered")]
    metre_files = [r for r in read if r["stated_metre"]]
    key_files = [r for r in read if r["stated_key"]]
    vpp = [r["voices"] / max(1, r["parts"]) for r in conv]
    mv2h = [r["mv2h"] for r in rendered if r.get("mv2h")]
    s = {
        "files": n,
        "readable": len(read),
        "converted": len(conv),
        "onset_f1": sum(r.get("onset_f1", 0.0) for r in read) / max(1, len(read)),
        "offset_f1": sum(r.get("offset_f1", 0.0) for r in read) / max(1, len(read)),
        "metre": sum(1 for r in metre_files if r.get("metre") and tuple(r["metre"]) == tuple(r["stated_metre"])) / max(1, len(metre_files)),
        "metre_files": len(metre_files),
        "key": sum(1 for r in key_files if r.get("key") and tuple(r["key"]) == tuple(r["stated_key"])) / max(1, len(key_files)),
        "key_files": len(key_files),
        "signature": sum(1 for r in key_files if r.get("key") and signature(r["key"]) == signature(r["stated_key"])) / max(1, len(key_files)),
        "rejected": len(conv) - len(rendered),
        "files_with_errors": sum(1 for r in conv if r.get("abc2midi_errors", 0) or not r.get("rendered")),
        "error_lines": sum(r.get("abc2midi_errors", 0) for r in conv),
        "warning_lines": sum(r.get("abc2midi_warnings", 0) for r in conv),
        "voices_per_part_max": max(vpp, default=0),
        "voices_per_part_median": statistics.median(vpp) if vpp else 0,
        "over_parts": sum(1 for r in conv if r["voices"] > r["parts"]),
        "over_polyphony": sum(1 for r in conv if r["voices"] > r["polyphony"]),
        "overlays": sum(r["overlays"] for r in conv),
        # Tuplets the ABC writes where the score (the input, or a copy's score) has none.
        "invented_tuplet_files": sum(1 for r in conv if r["score_binary_only"] and r["tuplets"]),
        "invented_tuplets": sum(r["tuplets"] for r in conv if r["score_binary_only"]),
        "chars_per_note": sum(r["chars"] for r in conv) / max(1, sum(r["notes"] for r in conv)),
        # The tempo a clip's label and the reward read, against the one in force most of the time.
        "tempo_label_steady": sum(1 for r in rendered if abs(r["stated_tempo_ratio"] - 1) <= 0.15) / max(1, len(rendered)),
    }
    if mv2h:
        for key in ("MV2H", "Multi-pitch", "Voice", "Meter", "Value", "Harmony"):
            s[f"mv2h_{key}"] = statistics.mean(m.get(key, 0.0) for m in mv2h)
        s["mv2h_files"] = len(mv2h)
    return s


def table(rows):
    lines = [
        "| set | variant | tool | files | converted | onset F1 | offset F1 | metre | key | key signature | abc2midi rejects | files with abc2midi errors (error / warning lines) | V: per part max / median | files V: > parts | files V: > polyphony | `&` overlays | files with tuplets the score lacks (groups) | chars/note | stated tempo within 15 % of the median |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (set_name, variant, tool), s in rows:
        lines.append(
            f"| {set_name} | {variant} | {tool} | {s['files']} | {s['converted']} | {s['onset_f1']:.3f} | {s['offset_f1']:.3f} | "
            f"{s['metre']:.3f} | {s['key']:.3f} | {s['signature']:.3f} | {s['rejected']} | {s['files_with_errors']} ({s['error_lines']} / {s['warning_lines']}) | "
            f"{s['voices_per_part_max']:.1f} / {s['voices_per_part_median']:.1f} | {s['over_parts']} | {s['over_polyphony']} | "
            f"{s['overlays']} | {s['invented_tuplet_files']} ({s['invented_tuplets']}) | {s['chars_per_note']:.1f} | "
            f"{s['tempo_label_steady']:.3f} |")
    return "\n".join(lines)


def ratio_table(rows):
    by = {(a, b, c): s for (a, b, c), s in rows}
    lines = ["| set | variant | vs | onset F1 ratio | offset F1 ratio | metre (prep - it) | key (prep - it) | chars/note ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for (set_name, variant, tool), s in rows:
        if tool == "prep":
            continue
        p = by[(set_name, variant, "prep")]
        ratio = lambda a, b: f"{a / b:.3f}" if b else "-"
        lines.append(f"| {set_name} | {variant} | {tool} | {ratio(p['onset_f1'], s['onset_f1'])} | "
                     f"{ratio(p['offset_f1'], s['offset_f1'])} | {p['metre'] - s['metre']:+.3f} | {p['key'] - s['key']:+.3f} | "
                     f"{ratio(p['chars_per_note'], s['chars_per_note'])} |")
    return "\n".join(lines)


def mv2h_table(rows):
    keys = ("MV2H", "Multi-pitch", "Voice", "Meter", "Value", "Harmony")
    lines = ["| set | variant | tool | files scored | " + " | ".join(keys) + " |", "|---|---|---|---|" + "---|" * len(keys)]
    for (set_name, variant, tool), s in rows:
        if "mv2h_MV2H" in s:
            lines.append(f"| {set_name} | {variant} | {tool} | {s['mv2h_files']} | " + " | ".join(f"{s['mv2h_' + k]:.3f}" for k in keys) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--prep", required=True)
    parser.add_argument("--mv2h", help="class path of MV2H + BoundedAlignment (benches/realworld/mv2h.sh)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sets", help="comma-separated set names (default: every set in CORPUS)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    sets = [args.corpus / s for s in args.sets.split(",")] if args.sets else sorted(p for p in args.corpus.iterdir() if p.is_dir())
    variants = {}
    for s in sets:
        for v in sorted(p.name for p in s.iterdir() if p.is_dir()):
            variants.setdefault(v, []).append(s)

    # Timing: one prep process per variant (all sets) vs one midi2abc process per file.
    timing_lines = ["| variant | files | prep midi2abc DIR... (s) | midi2abc, 1 process per file (s) | speed ratio |", "|---|---|---|---|---|"]
    for variant, owners in variants.items():
        inputs = [s / variant for s in owners]
        files = [f for i in inputs for f in midi_files(i)]
        prep_s = timed(lambda: run_prep(args.prep, inputs, args.work / "timing" / "prep"), args.runs)
        # A run that converted fewer files (two inputs writing one output name) timed nothing.
        written = sum(1 for _ in (args.work / "timing" / "prep").rglob("*.abc"))
        if written < len(files):
            sys.exit(f"prep wrote {written} of {len(files)} ABC files in the timing run of {variant}: "
                     "inputs whose outputs share a name cannot be timed together")
        m2a_s = timed(lambda: run_midi2abc(files, args.work / "timing" / "midi2abc", []), args.runs)
        timing_lines.append(f"| {variant} | {len(files)} | {prep_s:.3f} | {m2a_s:.3f} | {m2a_s / prep_s:.1f}x |")
        print(timing_lines[-1], file=sys.stderr)

    rows = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for s in sets:
            for variant in sorted(p.name for p in s.iterdir() if p.is_dir()):
                files = midi_files(s / variant)
                tools = TOOLS_SCORE if variant == "score" else TOOLS_PERFORMED
                for tool, flags in tools.items():
                    out = args.work / "abc" / tool.replace(" ", "") / s.name / variant
                    if flags is None:
                        log = run_prep(args.prep, [s / variant], out)
                        if re.search(r"[1-9]\d* failed", log):
                            print(f"{s.name}/{variant} prep: {log.strip().splitlines()[-1]}", file=sys.stderr)
                    else:
                        subprocess.run(["rm", "-rf", str(out)], check=True)
                        run_midi2abc(files, out, flags)
                    render = args.work / "render" / tool.replace(" ", "") / s.name / variant
                    mv2h = args.mv2h if variant != "score" and args.mv2h else None
                    jobs = [(f, truth_of(s, variant, f), out / f.relative_to(s / variant).with_suffix(".abc"),
                             render / f.relative_to(s / variant), mv2h) for f in files]
                    results = list(pool.map(score_file, jobs))
                    summary = summarise(results)
                    summary["per_file"] = results
                    rows.append(((s.name, variant, tool), summary))
                    print(f"{s.name}/{variant}/{tool}: onset {summary['onset_f1']:.3f}", file=sys.stderr)

    print("## Fidelity (abc2midi round trip)\n")
    print(table(rows))
    print("\n## prep against each midi2abc variant\n")
    print(ratio_table(rows))
    if any("mv2h_MV2H" in s for _, s in rows):
        print("\n## MV2H (non-aligned, against the score)\n")
        print(mv2h_table(rows))
    print("\n## Speed\n")
    print("\n".join(timing_lines))
    if args.json:
        args.json.write_text(json.dumps([{"set": a, "variant": b, "tool": c, **s} for (a, b, c), s in rows], indent=1, default=str))


if __name__ == "__main__":
    main()
