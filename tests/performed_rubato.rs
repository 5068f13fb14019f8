//! A performance whose tempo wanders from beat to beat (the generated pieces under an
//! expressive tempo curve, played with 10 ms jitter, no metre or key events) through
//! `prep midi2abc`'s path: the ABC's inline `[Q:]` fields must reproduce the timing, read
//! by prep's reader and rendered by abcMIDI's abc2midi, with every onset within 50 ms of
//! the performance (mir_eval's onset tolerance, as benches/abc_fidelity.sh scores it).

mod abcmidi;
mod analysis_gen;

use std::path::Path;

use abcmidi::{ABC2MIDI, midi_onset_seconds, render};
use analysis_gen::{PieceSpec, expressive, perform, tonal_piece};
use prep::abc::read::parse;
use prep::abc::write::{AbcOptions, to_abc};
use prep::analysis::{QuantizeMode, prepare};
use prep::midi;
use prep::score::Score;

/// Onset tolerance in seconds.
const TOLERANCE: f64 = 0.05;

/// (pitch, onset seconds) of every note, sorted by time.
fn onsets(score: &Score) -> Vec<(u8, f64)> {
    let mut out: Vec<(u8, f64)> =
        score.parts.iter().flat_map(|p| p.notes.iter().map(|n| (n.pitch, score.seconds_at(n.start)))).collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out
}

/// Share of `reference` onsets matched one to one by an onset of the same pitch in
/// `played` within `TOLERANCE` (greedy in time order).
fn matched_share(reference: &[(u8, f64)], played: &[(u8, f64)]) -> f64 {
    let mut used = vec![false; played.len()];
    let mut matched = 0;
    for &(pitch, t) in reference {
        let hit = played
            .iter()
            .enumerate()
            .filter(|(i, p)| !used[*i] && p.0 == pitch && (p.1 - t).abs() <= TOLERANCE)
            .min_by(|a, b| (a.1.1 - t).abs().total_cmp(&(b.1.1 - t).abs()));
        if let Some((i, _)) = hit {
            used[i] = true;
            matched += 1;
        }
    }
    matched as f64 / reference.len() as f64
}

/// The performances: 4/4, 3/4 and 6/8 pieces under a tempo wandering within 25 % from beat
/// to beat, each as MIDI bytes read back as a new user's file is.
fn performances() -> Vec<(String, Score, String)> {
    [(4, 4, 96), (3, 4, 120), (6, 8, 84)]
        .into_iter()
        .enumerate()
        .map(|(i, (numerator, denominator, bpm))| {
            let spec = PieceSpec { bpm, bars: 16, ..PieceSpec::new(i as u8 * 2, i == 1, numerator, denominator) };
            let performed = perform(&expressive(&tonal_piece(&spec, 300 + i as u64), 7 + i as u64), 0.01, i as u64);
            let bytes = midi::to_bytes(&performed);
            let name = format!("rubato-{numerator}-{denominator}");
            let (read, stated) = midi::read_bytes_with_events(&bytes, Path::new(&name)).expect("read back");
            let (quantized, _) = prepare(&read, QuantizeMode::Auto, stated).expect("quantized");
            let abc = to_abc(&quantized, &AbcOptions::default());
            (name, read, abc)
        })
        .collect()
}

#[test]
fn the_rubato_is_written_as_inline_tempi_that_prep_reads_back() {
    for (name, performed, abc) in performances() {
        assert!(abc.contains("[Q:"), "{name}: no inline tempo\n{abc}");
        let parsed = parse(&abc);
        assert!(parsed.diagnostics.is_empty(), "{name}: {:?}", parsed.diagnostics);
        let share = matched_share(&onsets(&performed), &onsets(&parsed.score));
        assert!(share >= 0.95, "{name}: {share} of onsets within 50 ms\n{abc}");
    }
}

#[test]
fn abc2midi_plays_the_rubato_within_50_ms() {
    if !Path::new(ABC2MIDI).exists() {
        println!("skipped: {ABC2MIDI} is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, performed, abc) in performances() {
        let (bytes, messages) = render(&abc, dir.path(), &name);
        let bytes = bytes.unwrap_or_else(|| panic!("{name}: abc2midi wrote nothing: {messages}"));
        let played = midi_onset_seconds(&bytes);
        let share = matched_share(&onsets(&performed), &played);
        assert!(share >= 0.95, "{name}: {share} of onsets within 50 ms\n{abc}");
        let chars_per_note = abc.len() as f64 / performed.note_count() as f64;
        println!("{name}: {share:.3} within 50 ms, {chars_per_note:.1} chars per note");
    }
}
