#!/usr/bin/env python3
"""A "performed" copy of a score MIDI file: the same notes played with human timing.

What a recording of a player through a MIDI keyboard or a DAW export looks like, and
what a notation program's file does not: no time or key signature events, one arbitrary
tempo (the clock of the sequencer, unrelated to the music's beat), and note times that
follow the player, not the grid:
- tempo: the piece's own speed times a random factor (0.85-1.15), with rubato (two slow
  sine waves of +-4 % and +-2 %), a ritardando into every 4-bar phrase end (up to 12 %)
  and a final one (up to 30 %);
- onsets: Gaussian jitter, sigma drawn per piece in 10-30 ms (clipped at 2.5 sigma);
- articulation: sounding length = written length x a per-piece ratio (0.75-1.0) x a
  per-note factor (log-normal, sigma 0.1), at least 40 ms, never reaching the next note
  of the same pitch on the same channel;
- velocity: a slow dynamic curve (55-95), accents on downbeats (+10) and beats (+4),
  per-note noise (sigma 6).
Track names, channels and programs are kept. Deterministic for a given seed.

Usage as a script: performed.py SCORE.mid OUT.mid [--seed S]
"""

import argparse
import bisect
import math
import random
from pathlib import Path

import mido

OUT_TPQ = 480


def read_score(path):
    """(tpq, tempo map [(tick, us/quarter)], bar length in ticks, tracks).

    Each track is (name/program/channel meta messages, notes [(channel, pitch, velocity,
    on tick, off tick)]).
    """
    mid = mido.MidiFile(path)
    tempos, bar = [], None
    tracks = []
    for track in mid.tracks:
        now, meta, notes, sounding = 0, [], [], {}
        for msg in track:
            now += msg.time
            if msg.type == "set_tempo":
                tempos.append((now, msg.tempo))
            elif msg.type == "time_signature" and bar is None:
                bar = mid.ticks_per_beat * 4 * msg.numerator // msg.denominator
            elif msg.type in ("track_name", "instrument_name") or (msg.type == "program_change"):
                meta.append(msg)
            elif msg.type == "note_on" and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append((now, msg.velocity))
            elif msg.type in ("note_on", "note_off"):
                started = sounding.get((msg.channel, msg.note))
                if started:
                    on, velocity = started.pop(0)
                    if now > on:
                        notes.append((msg.channel, msg.note, velocity, on, now))
        tracks.append((meta, notes))
    tempos = sorted(tempos) or [(0, 500000)]
    if tempos[0][0] != 0:
        tempos.insert(0, (0, 500000))
    return mid.ticks_per_beat, tempos, bar or mid.ticks_per_beat * 4, tracks


def seconds_at(tick, tpq, tempos):
    """Score time of a tick under the tempo map."""
    seconds, last_tick, last_tempo = 0.0, 0, tempos[0][1]
    for t, tempo in tempos:
        if t >= tick:
            break
        seconds += (t - last_tick) * last_tempo / tpq / 1e6
        last_tick, last_tempo = t, tempo
    return seconds + (tick - last_tick) * last_tempo / tpq / 1e6


class Clock:
    """Maps score ticks to performed seconds: the score's tempo map bent by rubato."""

    def __init__(self, tpq, tempos, bar, end, rng):
        self.step = max(1, tpq // 24)
        speed = rng.uniform(0.85, 1.15)
        phases = (rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi))
        periods = (bar * rng.uniform(3, 5), bar * rng.uniform(0.8, 1.6))
        phrase, beat = 4 * bar, tpq
        self.ticks, self.times = [0], [0.0]
        tick, t = 0, 0.0
        while tick <= end + self.step:
            stretch = 1 + 0.04 * math.sin(2 * math.pi * tick / periods[0] + phases[0])
            stretch += 0.02 * math.sin(2 * math.pi * tick / periods[1] + phases[1])
            to_phrase_end = phrase - (tick % phrase)
            if to_phrase_end < beat:
                stretch += 0.12 * (1 - to_phrase_end / beat)
            if end - tick < 2 * bar:
                stretch += 0.30 * (1 - max(0, end - tick) / (2 * bar))
            ds = seconds_at(tick + self.step, tpq, tempos) - seconds_at(tick, tpq, tempos)
            t += ds * stretch * speed
            tick += self.step
            self.ticks.append(tick)
            self.times.append(t)

    def __call__(self, tick):
        i = min(bisect.bisect_right(self.ticks, tick) - 1, len(self.ticks) - 2)
        frac = (tick - self.ticks[i]) / self.step
        return self.times[i] + frac * (self.times[i + 1] - self.times[i])

    def tick_at(self, seconds):
        """The score tick played at `seconds`: the inverse of calling the clock."""
        i = min(max(bisect.bisect_right(self.times, seconds) - 1, 0), len(self.times) - 2)
        frac = (seconds - self.times[i]) / (self.times[i + 1] - self.times[i])
        return self.ticks[i] + frac * self.step


def perform(tpq, tempos, bar, tracks, rng, timing=None):
    """Performed tracks: (meta, notes [(channel, pitch, velocity, on s, off s)]).

    `timing`, when given a list, receives (score onset tick, the clock's time of it,
    played onset s, played end s) for every note, and the clock itself first: what a
    quantized transcription can and cannot give back (see jitter_ceiling.py)."""
    end = max((n[4] for _, notes in tracks for n in notes), default=0)
    clock = Clock(tpq, tempos, bar, end, rng)
    if timing is not None:
        timing.append(clock)
    sigma = rng.uniform(0.010, 0.030)
    articulation = rng.uniform(0.75, 1.0)
    dyn_period, dyn_phase = bar * rng.uniform(4, 8), rng.uniform(0, 2 * math.pi)
    played = []
    for meta, notes in tracks:
        out = []
        ordered = sorted(notes, key=lambda n: (n[3], n[1]))
        for channel, pitch, velocity, on, off in ordered:
            jitter = max(-2.5 * sigma, min(2.5 * sigma, rng.gauss(0, sigma)))
            start = max(0.0, clock(on) + jitter)
            length = (clock(off) - clock(on)) * articulation * math.exp(rng.gauss(0, 0.1))
            loud = 75 + 20 * math.sin(2 * math.pi * on / dyn_period + dyn_phase)
            loud += 10 if on % bar == 0 else 4 if on % tpq == 0 else 0
            loud += rng.gauss(0, 6)
            out.append([channel, pitch, max(1, min(127, round(loud))), start, start + max(0.04, length)])
        # A note never reaches the next onset of its pitch on its channel.
        last = {}
        for note in sorted(out, key=lambda n: n[3], reverse=True):
            nxt = last.get((note[0], note[1]))
            if nxt is not None and note[4] > nxt - 0.005:
                note[4] = max(note[3] + 0.01, nxt - 0.005)
            last[(note[0], note[1])] = note[3]
        if timing is not None:
            timing.extend((n[3], clock(n[3]), played_note[3], played_note[4]) for n, played_note in zip(ordered, out))
        played.append((meta, out))
    return played


def write(path, tracks, bpm):
    """A type-1 file: a tempo track, then one track per part (name, program, notes)."""
    mid = mido.MidiFile(type=1, ticks_per_beat=OUT_TPQ)
    head = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0)])
    mid.tracks.append(head)
    per_second = OUT_TPQ * bpm / 60
    for meta, notes in tracks:
        if not notes:
            continue
        events = []
        for channel, pitch, velocity, on, off in notes:
            t_on, t_off = round(on * per_second), round(off * per_second)
            t_off = max(t_off, t_on + 1)
            events.append((t_on, 1, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
            events.append((t_off, 0, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
        events.sort(key=lambda e: (e[0], e[1], e[2].note))
        track = mido.MidiTrack()
        seen = set()
        for msg in meta:  # the name once, the first program per channel
            key = msg.type if msg.is_meta else (msg.type, msg.channel)
            if key not in seen:
                seen.add(key)
                track.append(msg.copy(time=0))
        now = 0
        for tick, _, msg in events:
            track.append(msg.copy(time=tick - now))
            now = tick
        mid.tracks.append(track)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    mid.save(tmp)
    tmp.rename(path)


def perform_file(score_path, out_path, seed):
    rng = random.Random(str(seed))
    tpq, tempos, bar, tracks = read_score(score_path)
    played = perform(tpq, tempos, bar, tracks, rng)
    write(Path(out_path), played, bpm=rng.randint(80, 140))


def note_timing(score_path, seed):
    """(ticks per quarter, the clock, [(score onset tick, clock time of it, played onset s,
    played end s)] for every note) of the performed copy `perform_file` makes of
    `score_path` with `seed`, drawn again from the same random stream."""
    timing = []
    tpq, tempos, bar, tracks = read_score(score_path)
    perform(tpq, tempos, bar, tracks, random.Random(str(seed)), timing)
    return tpq, timing[0], timing[1:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("score", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", default="1")
    args = parser.parse_args()
    perform_file(args.score, args.out, args.seed)


if __name__ == "__main__":
    main()
