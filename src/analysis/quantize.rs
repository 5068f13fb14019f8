//! Quantization: put every note of a score on a notated grid, so the ABC writer can spell
//! its rhythm, while keeping every note's time in seconds.
//!
//! Score MIDI (exported from notation) is already on a grid, give or take a rounding
//! tick, and must come out exactly as it went in. Performed MIDI (human timing, one
//! arbitrary file tempo, no metre or key) needs its beat found first: see `beat`. The
//! modes:
//! - `Exact`: every onset and end must lie within a tick or two of a grid of `1/n`
//!   quarter (n among `SCORE_GRIDS`: binary, triplet and quintuplet subdivisions); they
//!   are snapped to the coarsest such grid, or an error names the first note off it;
//! - `Grid(n)`: snap to `n` steps per quarter at the file's own tempo;
//! - `Performed`: track the beat, snap onsets and ends to sixteenths of it (or to
//!   triplets, beat by beat, where those fit much better), write the result at 480
//!   ticks per quarter with a tempo map that keeps the seconds, and infer the metre;
//! - `Auto`: `Exact` when the onsets are on a grid (ends may be cut short, as notation
//!   programs and sequencers do for playback: such an end, on no grid or on a quintuplet
//!   or finer grid the onsets do not need, is a release, written at the note's value
//!   when it is within a fifth of the note's length of it, see `RELEASE_SLACK`, on the
//!   grid of 95 % of the onsets, see `rhythm_grid`); a score with ornaments when most
//!   onsets are (see below); a song sequenced on its file's beat, its tracks moved by
//!   their own delays and "humanized" by a few ticks, at its own ticks and tempo
//!   (`played_on_its_beat`, reported as `Grid(12)`); `Performed` otherwise;
//! - `Off`: the score as it is.
//!
//! Score or performance? A notation program writes ticks that mean note values, and a
//! tempo map (however expressive) that turns them into seconds; a performance recorded
//! as MIDI has ticks that only mean time. Grace notes, odd tuplets and hand-placed
//! ornaments put some onsets of a score off every grid, so "all onsets on a grid" is
//! too strict a test, and the tempo map says nothing either way. The test is how far
//! the onsets agree with a grid beyond chance: on a grid whose points (within the
//! rounding tolerance) cover a share `c` of all ticks, a share `s` of onsets on it
//! gives the agreement `(s - c) / (1 - c)` (Cohen's kappa against uniform onsets).
//! Human timing spreads onsets uniformly over the ticks, so its agreement is near 0 on
//! every grid; a score's is 1 less its ornaments. A file is a score when some grid
//! covering at most a quarter of the ticks reaches `SCORE_AGREEMENT` (more than half of
//! the onsets placed on it beyond chance), unless its onsets fit a coarser grid once
//! all are moved by one offset (`is_shifted_off_its_ticks`: MIDI aligned to a
//! recording), which makes it a performance whose ticks place no notated value. A file
//! on no grid whose parts, each moved back by its own offset, lie within a few ticks of
//! the file's sixteenths and sixteenth triplets under one tempo was sequenced to a
//! click (pop MIDI: track delays, swing, humanize): its beat is the file's, and only
//! its notes' play is snapped away. A score is quantized in its own ticks and tempo
//! map: each onset and end goes to the coarsest grid it lies on, the few on none to the
//! nearest point of the finest grid (but runs of 7, 9, 11 or 13 notes played in by
//! hand to a binary span go to that tuplet's points: `hand_placed_tuplets`), so its
//! seconds, metre and key stay as the file states them. Its releases are written at
//! their values as in `Exact`, each judged on the grid of its own note's onset (an
//! ornamented score has no one rhythm: see `Ends::OnsetReleases`). In both, a release
//! moved later stops at the next onset of its part: a held note must not sound under
//! the trill that follows it.
//!
//! Files coarser than `COARSE_TICKS_PER_QUARTER` (1 tick per quarter exists) cannot hold
//! human timing, and their grids are too coarse for the tests above: they are scaled to
//! a finer resolution first, which changes no time in seconds.
//!
//! Every mode that snaps keeps every note: two notes of one pitch in one part that land
//! on the same tick are pushed a step apart rather than merged (unless the file itself
//! doubles the note; in a performance, a grace note and its note go where they were
//! played, half a step apart: `place_grace_notes`), and every note lasts at least one
//! step; a note of one pitch ends where the next begins, unless both end together (a key
//! struck again while it sounds: see `separate_repeats`). Metre and key are inferred (see
//! `metre`, `key`) only where the source has no event for them (`SourceEvents`). A
//! performance stating a metre keeps it: its time signatures are carried into the new
//! ticks, and only where the bar starts, which the ticks of a performance do not say, is
//! inferred.

use std::collections::HashSet;

use num_integer::{gcd, lcm};

use crate::analysis::AnalysisError;
use crate::analysis::beat::{BeatGrid, CHORD_SPREAD, Onset, merge_chords, track_beat};
use crate::analysis::rubato::{self, follow_beat, written_beats};
use crate::analysis::key::estimate_key;
use crate::analysis::metre::{MetreEstimate, estimate_downbeat, estimate_metre, note_salience};
pub use crate::score::SourceEvents;
use crate::score::{Key, KeyChange, Note, Part, Score, TempoChange, TempoMap, TimeSignature};

/// How to put a score on a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuantizeMode {
    /// Score-like input exactly, anything else as a performance.
    #[default]
    Auto,
    /// Score-like input only; an error otherwise.
    Exact,
    /// `n` grid steps per quarter note at the file's tempo (4 = sixteenths, 12 = sixteenth triplets).
    Grid(u32),
    /// Human timing: track the beat and rewrite the tempo map.
    Performed,
    /// Leave the score as it is.
    Off,
}

impl QuantizeMode {
    /// Parses `auto`, `exact`, `performed`, `off` or `grid:N` (N > 0), as the command
    /// line and pipeline files write the mode.
    pub fn parse(text: &str) -> Result<QuantizeMode, String> {
        match text {
            "auto" => Ok(QuantizeMode::Auto),
            "exact" => Ok(QuantizeMode::Exact),
            "performed" => Ok(QuantizeMode::Performed),
            "off" => Ok(QuantizeMode::Off),
            _ => match text.strip_prefix("grid:").map(str::parse::<u32>) {
                Some(Ok(steps)) if steps > 0 => Ok(QuantizeMode::Grid(steps)),
                _ => Err(format!("expected auto, exact, performed, off or grid:N (N > 0), got {text:?}")),
            },
        }
    }
}

impl std::str::FromStr for QuantizeMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        QuantizeMode::parse(text)
    }
}

/// The text `parse` reads back.
impl std::fmt::Display for QuantizeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuantizeMode::Auto => f.write_str("auto"),
            QuantizeMode::Exact => f.write_str("exact"),
            QuantizeMode::Grid(steps) => write!(f, "grid:{steps}"),
            QuantizeMode::Performed => f.write_str("performed"),
            QuantizeMode::Off => f.write_str("off"),
        }
    }
}

/// What `prepare` did, for logs and dataset reports.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizeReport {
    /// The mode applied (`Auto` resolves to `Exact`, `Performed`, or `Grid(12)` for a song
    /// sequenced on its own beat).
    pub applied: QuantizeMode,
    /// Grid steps per quarter note (performances: 4, plus triplets where reported).
    pub steps_per_quarter: u32,
    /// Beats of a performance snapped to triplets instead of sixteenths.
    pub triplet_beats: usize,
    /// Quarter-note tempo of the output at its first note (BPM).
    pub bpm: f64,
    /// Largest and mean move of a note onset, in milliseconds.
    pub max_snap_ms: f64,
    pub mean_snap_ms: f64,
    /// The metre inferred, when it was.
    pub metre: Option<MetreEstimate>,
    /// The key inferred, when it was.
    pub key: Option<Key>,
}

/// Grids (steps per quarter) a score-like file may use, coarsest first: binary, triplet
/// and quintuplet subdivisions and their common multiples.
pub const SCORE_GRIDS: [u32; 17] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 80, 96];

/// Resolution of a quantized performance: ABC lengths down to 1/32 and triplets are whole.
pub const PERFORMED_TICKS_PER_QUARTER: u32 = 480;

/// Puts a score on a grid according to `mode`, infers what `given` says the source
/// lacked, and reports what was done. The input is not modified.
pub fn prepare(
    score: &Score,
    mode: QuantizeMode,
    given: SourceEvents,
) -> Result<(Score, QuantizeReport), AnalysisError> {
    let original = score;
    let fine;
    let score = if mode != QuantizeMode::Off && score.ticks_per_quarter < COARSE_TICKS_PER_QUARTER {
        fine = refined(score)?;
        &fine
    } else {
        score
    };
    let (mut out, mut report) = match mode {
        QuantizeMode::Off => return Ok((original.clone(), unchanged_report(original))),
        QuantizeMode::Exact => snap_score_like(score, true)?,
        QuantizeMode::Grid(n) => snap_to_grid(score, n, QuantizeMode::Grid(n), Ends::Nearest)?,
        QuantizeMode::Performed => return Ok(quantize_performance(score, given)),
        QuantizeMode::Auto => match snap_score_like(score, false) {
            Ok(done) => done,
            Err(AnalysisError::NotOnGrid { .. }) => {
                if is_shifted_off_its_ticks(score) {
                    return Ok(quantize_performance(score, given));
                }
                if has_score_timing(score) {
                    snap_ornamented(score)?
                } else if let Some(offsets) = played_on_its_beat(score) {
                    snap_to_its_beat(score, &offsets)?
                } else {
                    return Ok(quantize_performance(score, given));
                }
            }
            Err(other) => return Err(other),
        },
    };
    if !given.time_signature && out.note_count() > 0 {
        let metre = estimate_metre(&out);
        apply_metre(&mut out, &metre);
        report.metre = Some(metre);
    }
    if !given.key_signature && out.note_count() > 0 {
        let key = estimate_key(&out);
        out.key_signatures = vec![KeyChange { tick: 0, key }];
        report.key = Some(key);
    }
    Ok((out, report))
}

/// Files with fewer ticks per quarter are scaled up before quantizing (see the module doc).
pub const COARSE_TICKS_PER_QUARTER: u32 = 24;

/// The resolution coarse files are scaled to (or a multiple of theirs, for odd ones).
const REFINED_TICKS_PER_QUARTER: u64 = 480;

/// Agreement beyond chance with some grid above which a file's ticks are a score's.
pub const SCORE_AGREEMENT: f64 = 0.5;

/// Largest share of all ticks a grid may cover (within tolerance) to take part in the
/// score-or-performance test: on finer grids chance alone puts many onsets on points.
const MAX_GRID_CHANCE: f64 = 0.25;

/// Ticks of a rounding error still counted as on the grid: 0 below 240 ticks per
/// quarter, 1 up to 719, 2 at 720..1199 (960 is the common performed resolution).
pub fn grid_tolerance(ticks_per_quarter: u32) -> u64 {
    u64::from(ticks_per_quarter + 240) / 480
}

/// The coarsest of `SCORE_GRIDS` that every tick lies on within `grid_tolerance`, among
/// those whose step is wide enough for the test to mean anything.
fn coarsest_grid(ticks: &[u64], ticks_per_quarter: u32) -> Option<u32> {
    coarsest_grid_holding(&positions_in_quarter(ticks, ticks_per_quarter), ticks_per_quarter, ticks.len())
}

/// The coarsest of the usable `SCORE_GRIDS` that at least `count` of the ticks counted in
/// `positions` (`positions_in_quarter`) lie on within `grid_tolerance`.
fn coarsest_grid_holding(positions: &[(u64, usize)], ticks_per_quarter: u32, count: usize) -> Option<u32> {
    usable_grids(ticks_per_quarter).find(|&n| ticks_on_grid(positions, n, ticks_per_quarter) >= count)
}

/// The coarsest of the usable `SCORE_GRIDS` that `tick` lies on within `grid_tolerance`.
fn coarsest_grid_at(tick: u64, ticks_per_quarter: u32) -> Option<u32> {
    usable_grids(ticks_per_quarter).find(|&n| on_grid(tick, n, ticks_per_quarter))
}

/// The distinct positions of `ticks` within a quarter (`tick % ticks_per_quarter`), each
/// with how many of the ticks are there: whether a tick is on a grid depends on its
/// position alone, and a score's thousands of ticks take a few dozen positions.
fn positions_in_quarter(ticks: &[u64], ticks_per_quarter: u32) -> Vec<(u64, usize)> {
    let mut positions: Vec<u64> = ticks.iter().map(|&t| position_in_quarter(t, ticks_per_quarter)).collect();
    positions.sort_unstable();
    positions.chunk_by(|a, b| a == b).map(|same| (same[0], same.len())).collect()
}

/// Where `tick` lies within its quarter.
fn position_in_quarter(tick: u64, ticks_per_quarter: u32) -> u64 {
    tick % u64::from(ticks_per_quarter.max(1))
}

/// How many ticks of `positions_in_quarter` lie on the grid of `n` steps per quarter.
fn ticks_on_grid(positions: &[(u64, usize)], n: u32, ticks_per_quarter: u32) -> usize {
    positions.iter().filter(|&&(position, _)| on_grid(position, n, ticks_per_quarter)).map(|&(_, count)| count).sum()
}

/// Share of a score's onsets that the grid its releases are written on must hold: the
/// rhythm's grid, not that of a few onsets a sequencer or an ornament put off it.
const RELEASE_GRID_SHARE: f64 = 0.95;

/// The coarsest grid holding `RELEASE_GRID_SHARE` of `onsets` onsets, counted in
/// `positions` (`positions_in_quarter`).
fn rhythm_grid(positions: &[(u64, usize)], onsets: usize, ticks_per_quarter: u32) -> Option<u32> {
    let most = (onsets as f64 * RELEASE_GRID_SHARE).ceil() as usize;
    coarsest_grid_holding(positions, ticks_per_quarter, most)
}

/// The `SCORE_GRIDS` whose step is wide enough at this resolution for "on the grid" to
/// mean anything (at least two tolerances and two ticks), coarsest first.
fn usable_grids(ticks_per_quarter: u32) -> impl Iterator<Item = u32> {
    let tolerance = grid_tolerance(ticks_per_quarter);
    SCORE_GRIDS
        .into_iter()
        .filter(move |&n| u64::from(ticks_per_quarter) >= u64::from(n) * (2 * tolerance + 2))
}

/// Whether the onsets of a score agree with some grid far beyond chance: the ticks of a
/// notated score, not of a performance (see the module doc).
pub fn has_score_timing(score: &Score) -> bool {
    let tpq = score.ticks_per_quarter;
    let onsets: Vec<u64> = score.parts.iter().flat_map(|p| p.notes.iter().map(|n| n.start)).collect();
    if onsets.is_empty() {
        return true;
    }
    let positions = positions_in_quarter(&onsets, tpq);
    grid_agreements(&positions, onsets.len(), tpq).any(|(_, agreement)| agreement >= SCORE_AGREEMENT)
}

/// Each usable grid whose points (within `grid_tolerance`) cover at most `MAX_GRID_CHANCE`
/// of the ticks, coarsest first, with the agreement beyond chance of `count` onsets
/// counted in `positions` (`positions_in_quarter`): `(s - c) / (1 - c)` for a share `s`
/// of them on a grid covering a share `c` (see the module doc).
fn grid_agreements(
    positions: &[(u64, usize)],
    count: usize,
    ticks_per_quarter: u32,
) -> impl Iterator<Item = (u32, f64)> + '_ {
    let tolerance = grid_tolerance(ticks_per_quarter);
    usable_grids(ticks_per_quarter)
        .map(move |n| (n, (2 * tolerance + 1) as f64 * f64::from(n) / f64::from(ticks_per_quarter)))
        .filter(|&(_, chance)| chance <= MAX_GRID_CHANCE)
        .map(move |(n, chance)| {
            let share = ticks_on_grid(positions, n, ticks_per_quarter) as f64 / count.max(1) as f64;
            (n, (share - chance) / (1.0 - chance))
        })
}

/// Whether a file's notes are a score's moved off its ticks by one offset, as MIDI
/// aligned to a recording is (POP909's: sixteenths quantized, then shifted by a few
/// hundred ticks to the song's audio, with notes played in by hand among them). Its
/// onsets lie on a grid whose points fall some ticks after the file's: taken as the
/// commonest position of an onset within the quarter (the beat's), the onsets moved by it
/// fit a grid (`rhythm_fit`) as a score's do (`SCORE_AGREEMENT`), on a coarser grid than
/// at their own ticks or clearly better (sixteenths 40 ticks late at 480 per quarter lie
/// on the grid of sixteenth triplets, but they are sixteenths). A score on its own ticks
/// (one whose commonest onset is off the beat, on its own grid, included) is not.
///
/// Such a file is quantized as a performance: its ticks place no notated value, and the
/// beat found in its notes, not the file's bar lines, gives the notation. Written as a
/// score with ornaments instead, every hand-played onset and release of it was an exact
/// tuplet (`(5:4:2A/z/8`): 1.7 times the text, and noise for a reader to learn.
fn is_shifted_off_its_ticks(score: &Score) -> bool {
    let tpq = score.ticks_per_quarter;
    let onsets: Vec<u64> = score.parts.iter().flat_map(|p| p.notes.iter().map(|n| n.start)).collect();
    let positions = positions_in_quarter(&onsets, tpq);
    let Some(phase) = commonest_position(&positions) else {
        return false;
    };
    let quarter = u64::from(tpq);
    let shifted: Vec<(u64, usize)> =
        positions.iter().map(|&(position, count)| ((position + quarter - phase) % quarter, count)).collect();
    let Some((moved_grid, moved_agreement)) = rhythm_fit(&shifted, onsets.len(), tpq) else {
        return false;
    };
    let better = rhythm_fit(&positions, onsets.len(), tpq).is_none_or(|(own_grid, own_agreement)| {
        moved_grid < own_grid || moved_agreement > own_agreement + RHYTHM_AGREEMENT_SLACK
    });
    moved_agreement >= SCORE_AGREEMENT && better
}

/// Ticks within which an onset, moved by its part's offset, is on its file's beat
/// (`played_on_its_beat`): a 96th of the quarter, 5 ticks at 480 per quarter (10 ms at
/// 120 BPM), at least 1.
fn beat_tolerance(ticks_per_quarter: u32) -> u64 {
    u64::from(ticks_per_quarter / 96).max(1)
}

/// A part's offset beyond a quarter of a sixteenth (`tpq / 16`: 31 ms at 120 BPM) is no
/// track delay: moved back by it, the notes would be written that much off their time
/// (MIDI aligned to a recording, e.g. POP909's songs, shifted by half a sixteenth).
const MAX_TRACK_DELAY_DIVISOR: u64 = 16;

/// The grids a sequenced file's notes are played to: sixteenths, and sixteenth triplets
/// (swing, triplets), whose union holds 8 points a quarter.
const SEQUENCED_GRIDS: [u32; 2] = [4, 6];

/// A part's offset from its file's beat, in ticks: the commonest position within the
/// sixteenth of its onsets that are not on a sixteenth triplet (swing), taken as a delay
/// below half a sixteenth and as an advance above. Sequencers move whole tracks by a few
/// ticks (a pad started early for its slow attack), with every note of the track.
fn part_offset(part: &Part, ticks_per_quarter: u32) -> i64 {
    let quarter_ticks = u64::from(ticks_per_quarter.max(1));
    let tolerance = beat_tolerance(ticks_per_quarter);
    // Near a sixteenth triplet that is no eighth (the eighths' points are 48 tolerances away).
    let on_a_triplet = |tick: u64| {
        within_grid(tick, 6, ticks_per_quarter, tolerance) && !within_grid(tick, 2, ticks_per_quarter, tolerance)
    };
    // Positions in quarter-ticks, so that a sixteenth of any resolution is whole.
    let starts: Vec<u64> =
        part.notes.iter().map(|n| n.start).filter(|&t| !on_a_triplet(t)).map(|t| t * 4 % quarter_ticks).collect();
    let Some(position) = commonest_position(&positions_in_quarter(&starts, ticks_per_quarter)) else {
        return 0;
    };
    let position = position as i64;
    let quarter_ticks = quarter_ticks as i64;
    let offset = if 2 * position > quarter_ticks { position - quarter_ticks } else { position };
    (offset as f64 / 4.0).round() as i64
}

/// Where an onset or end of a sequenced file goes (`snap_to_its_beat`), moved back by its
/// part's `offset`: the nearest sixteenth triplet when it lies within `beat_tolerance` of
/// one that is nearer than every sixteenth (swing, triplets), else the nearest sixteenth.
/// Returns the grid (steps per quarter) and the tick of the point, at the file's resolution
/// times `scale` (`steps` per quarter must divide `ticks_per_quarter * scale`).
fn beat_point(tick: u64, offset: i64, ticks_per_quarter: u32, scale: u64) -> (u32, u64) {
    let tpq = u64::from(ticks_per_quarter.max(1));
    let moved = moved_back(tick, offset);
    // Distance to the nearest point of the grid of n steps, times n (exact), and that point.
    let nearest = |n: u64| (grid_distance(moved, n, tpq), (moved * n * 2 + tpq) / (2 * tpq) * (tpq * scale / n));
    let [binary, triplet] = SEQUENCED_GRIDS.map(u64::from);
    let ((to_binary, on_binary), (to_triplet, on_triplet)) = (nearest(binary), nearest(triplet));
    let tolerance = beat_tolerance(ticks_per_quarter);
    // Compare distances in ticks: to_x / x, cross-multiplied.
    if to_triplet <= tolerance * triplet && to_triplet * binary < to_binary * triplet {
        (SEQUENCED_GRIDS[1], on_triplet)
    } else {
        (SEQUENCED_GRIDS[0], on_binary)
    }
}

/// A tick of a part moved back by the part's offset (`part_offset`), not before tick 0.
fn moved_back(tick: u64, offset: i64) -> u64 {
    (tick as i64 - offset).max(0) as u64
}

/// Each part's offset (`part_offset`) when a file whose onsets are on no grid was
/// sequenced on its own beat, else `None`. Such a file was played to it by hand or with
/// a sequencer's "humanize", its parts moved by their own offsets: each
/// part's onsets, moved back, lie within `beat_tolerance` of a sixteenth or a sixteenth
/// triplet of the file's ticks far beyond chance (`SCORE_AGREEMENT`, as in
/// `has_score_timing`), under one tempo (`has_steady_tempo`), its parts not all moved
/// by one offset (`moved_as_one`). Its tempo map is then its music's, and only the
/// notes' few ticks of play are the performance's. A performance recorded at an
/// arbitrary file tempo puts its onsets anywhere on those ticks: agreement near 0 (at
/// most 0.09 on the performed copies, Vienna 4x22 and Batik), against 0.65-0.93 on
/// three pop songs sequenced with swing and track delays.
fn played_on_its_beat(score: &Score) -> Option<Vec<i64>> {
    if !has_steady_tempo(score) {
        return None;
    }
    let tpq = score.ticks_per_quarter;
    let tolerance = beat_tolerance(tpq);
    let offsets: Vec<i64> = score.parts.iter().map(|part| part_offset(part, tpq)).collect();
    if moved_as_one(score, &offsets, tolerance) {
        return None;
    }
    let (mut near, mut count) = (0usize, 0usize);
    for (part, &offset) in score.parts.iter().zip(&offsets) {
        if offset.unsigned_abs() > u64::from(tpq) / MAX_TRACK_DELAY_DIVISOR {
            return None;
        }
        for note in &part.notes {
            let moved = moved_back(note.start, offset);
            count += 1;
            near += usize::from(SEQUENCED_GRIDS.iter().any(|&n| within_grid(moved, n, tpq, tolerance)));
        }
    }
    if count == 0 {
        return None;
    }
    // The grids' union has 8 points a quarter, each covering 2 tolerances and its tick.
    let chance = (8 * (2 * tolerance + 1)) as f64 / f64::from(tpq.max(1));
    let share = near as f64 / count as f64;
    (chance < 1.0 && (share - chance) / (1.0 - chance) >= SCORE_AGREEMENT).then_some(offsets)
}

/// Whether the parts holding `SHARED_OFFSET_SHARE` of the onsets are moved off the beat
/// by one offset (within `tolerance` ticks): a file aligned to a recording (POP909's
/// songs, every track 20 or 28 ticks early), not tracks delayed one by one.
fn moved_as_one(score: &Score, offsets: &[i64], tolerance: u64) -> bool {
    let count = score.note_count().max(1) as f64;
    let holding = |offset: i64| -> usize {
        score
            .parts
            .iter()
            .zip(offsets)
            .filter(|&(_, &o)| o.abs_diff(offset) <= tolerance)
            .map(|(p, _)| p.notes.len())
            .sum()
    };
    offsets
        .iter()
        .any(|&offset| offset.unsigned_abs() > tolerance && holding(offset) as f64 >= SHARED_OFFSET_SHARE * count)
}

/// Share of the onsets whose parts' one offset makes a file aligned to a recording
/// (`moved_as_one`).
const SHARED_OFFSET_SHARE: f64 = 0.9;

/// How far (a ratio) the tempi in force while a steady file's notes sound may differ.
const STEADY_TEMPO_RATIO: f64 = 1.02;

/// Whether one tempo (within `STEADY_TEMPO_RATIO`) holds from the first onset to the last
/// end: the file's beat is a click's, which a player or a sequencer's humanize played
/// around. Files whose tempo map is shaped for playback (piano-midi.de's, hundreds of
/// changes) were placed note by note in their ticks by a musician, with ornaments on
/// finer grids than `SEQUENCED_GRIDS`; tracked as performances they come out exact
/// (Chopin's op. 10 no. 12: onset F1 1.000, against 0.996 and 55 % more text on its beat).
fn has_steady_tempo(score: &Score) -> bool {
    let notes = score.parts.iter().flat_map(|p| &p.notes);
    let (Some(first), Some(last)) = (notes.clone().map(|n| n.start).min(), notes.map(Note::end).max()) else {
        return false;
    };
    let in_force = std::iter::once(score.tempo.at(first))
        .chain(score.tempo.changes().iter().copied().filter(|c| c.tick > first && c.tick < last));
    let (slowest, fastest) = in_force
        .fold((0, u32::MAX), |(slow, fast), c| (slow.max(c.micros_per_quarter), fast.min(c.micros_per_quarter)));
    f64::from(slowest) <= STEADY_TEMPO_RATIO * f64::from(fastest)
}

/// A file played on its own beat in its own ticks and tempo map, with its parts'
/// `offsets` (`played_on_its_beat`): each onset and end, moved back by its part's
/// offset, goes to the nearest sixteenth, or sixteenth triplet where it lies on one
/// (`beat_point`); every note lasts at least a step of its onset's grid (a drum's 7 ms
/// hit on a sixteenth is a sixteenth). Its metre, key and bars stay the file's. Written
/// as a performance instead, its beat was tracked again and its steady tempo came out
/// as hundreds of small `[Q:]` changes; written as a score with ornaments, each note a
/// few ticks off was an exact tuplet of 1/96 quarters.
fn snap_to_its_beat(score: &Score, offsets: &[i64]) -> Result<(Score, QuantizeReport), AnalysisError> {
    let tpq = u64::from(score.ticks_per_quarter.max(1));
    let steps = SEQUENCED_GRIDS.iter().fold(1, |l, &n| lcm(l, u64::from(n)));
    let new_tpq = lcm(tpq, steps);
    let new_tpq32 = u32::try_from(new_tpq).map_err(|_| AnalysisError::Resolution { ticks_per_quarter: new_tpq })?;
    let (scale, unit) = (new_tpq / tpq, new_tpq / steps);
    let mut out = rescaled(score, new_tpq32, scale);
    for ((part, source), &offset) in out.parts.iter_mut().zip(&score.parts).zip(offsets) {
        let point = |tick: u64| beat_point(tick, offset, score.ticks_per_quarter, scale);
        let snapped = source.notes.iter().map(|note| {
            let (grid, start) = point(note.start);
            let end = point(note.end()).1.max(start + new_tpq / u64::from(grid));
            (note.start, Note { start, duration: end - start, ..*note })
        });
        part.notes = separate_repeats(snapped.collect(), unit);
    }
    let errors = onset_errors(score, &out);
    let steps = u32::try_from(steps).unwrap_or(u32::MAX);
    Ok((out, report(QuantizeMode::Grid(steps), steps, &errors, score.tempo.at(0).bpm())))
}

/// The commonest of `positions_in_quarter` (the earliest of equally common ones).
fn commonest_position(positions: &[(u64, usize)]) -> Option<u64> {
    positions.iter().max_by_key(|&&(position, count)| (count, std::cmp::Reverse(position))).map(|&(p, _)| p)
}

/// Whether `tick` lies within `grid_tolerance` of a point of the grid of `n` steps per
/// quarter, in exact arithmetic: the distance to the nearest point is `min(r, tpq - r) / n`
/// ticks, `r` being `tick * n` modulo the ticks per quarter.
fn on_grid(tick: u64, n: u32, ticks_per_quarter: u32) -> bool {
    within_grid(tick, n, ticks_per_quarter, grid_tolerance(ticks_per_quarter))
}

/// Whether `tick` lies within `tolerance` ticks of a point of the grid of `n` steps per
/// quarter (exactly, as `on_grid` says).
fn within_grid(tick: u64, n: u32, ticks_per_quarter: u32, tolerance: u64) -> bool {
    let n = u64::from(n);
    grid_distance(tick, n, u64::from(ticks_per_quarter.max(1))) <= tolerance * n
}

/// `n` times the distance in ticks from `tick` to the nearest point of the grid of `n`
/// steps per quarter, exactly: `min(r, tpq - r)`, `r` being `tick * n` modulo `tpq`.
fn grid_distance(tick: u64, n: u64, tpq: u64) -> u64 {
    let r = tick % tpq * n % tpq;
    r.min(tpq - r)
}

/// `Exact` (and the first try of `Auto`): snap to the coarsest grid holding every onset
/// and end or, unless `strict`, every onset.
///
/// Unless `strict`, ends that need a subdivision no onset needs (a grid finer than the
/// onsets' by a factor with a prime above 3: quintuplets and finer) are releases, not
/// note values, and go to the onsets' grid as ends on no grid do: sequencers and notation
/// programs cut notes short for playback, and at 480 ticks per quarter a quarter held for
/// 90 % of its length ends on the tenth of a quarter, which written as is turns every
/// note into a quintuplet. An end on a triplet grid the onsets do not need is a note
/// value: a triplet whose last third is a rest (`(3E2z`) has no onset on that grid.
/// Releases are written on the grid of the rhythm (`rhythm_grid`), not on the finer one
/// a few onsets may force: a sequencer that plays one chord 4 ticks late (on the 96th
/// of a quarter) would otherwise write every eighth held for 95 % as an eighth and a
/// 96th rest. The grid is the onsets', refined by the ends that are note values
/// (`is_value_end`), whatever grid the releases are on: sixteenths held for 95 % (on
/// the quintuplet grid) once made it the sixteenths' own, and a staccato thirty-second
/// among them a sixteenth.
fn snap_score_like(score: &Score, strict: bool) -> Result<(Score, QuantizeReport), AnalysisError> {
    let tpq = score.ticks_per_quarter;
    let onsets: Vec<u64> = score
        .parts
        .iter()
        .flat_map(|p| p.notes.iter().map(|n| n.start))
        .collect();
    let ends = score.parts.iter().flat_map(|p| p.notes.iter().map(Note::end));
    // Both grids of the onsets from one count of their positions.
    let onset_positions = positions_in_quarter(&onsets, tpq);
    // Onsets on no grid (an ornamented score, or a performance): nothing else to try.
    let Some(of_onsets) = coarsest_grid_holding(&onset_positions, tpq, onsets.len()) else {
        return Err(first_off_grid(score, strict));
    };
    let rhythm = rhythm_grid(&onset_positions, onsets.len(), tpq);
    let grid = if strict {
        coarsest_grid(&onsets.iter().copied().chain(ends).collect::<Vec<_>>(), tpq)
    } else {
        // The onsets' grid, refined by the ends that are note values (not releases), when
        // that is a binary or triplet subdivision of it.
        let value = |end: &u64| rhythm.is_some_and(|rhythm| is_value_end(*end, rhythm, tpq));
        let with_values: Vec<u64> = onsets.iter().copied().chain(ends.filter(value)).collect();
        let refines = |all: u32, on: u32| {
            let factor = all / on;
            let binary = |f: u32| f.is_power_of_two();
            all.is_multiple_of(on) && (binary(factor) || (factor.is_multiple_of(3) && binary(factor / 3)))
        };
        match coarsest_grid(&with_values, tpq) {
            Some(all) if refines(all, of_onsets) => Some(all),
            _ => Some(of_onsets),
        }
    };
    let Some(n) = grid else {
        return Err(first_off_grid(score, strict));
    };
    let rhythm = rhythm.filter(|r| n.is_multiple_of(*r));
    let ends = if strict { Ends::Nearest } else { Ends::Releases { rhythm: rhythm.unwrap_or(of_onsets) } };
    snap_to_grid(score, n, QuantizeMode::Exact, ends)
}

/// The error for a score that is on no grid: the first note whose onset (or end, when
/// `strict`) is off the finest grid.
fn first_off_grid(score: &Score, strict: bool) -> AnalysisError {
    let tpq = score.ticks_per_quarter;
    let finest = usable_grids(tpq).last().unwrap_or(1);
    let off = |t: u64| !on_grid(t, finest, tpq);
    score
        .parts
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.notes.iter().map(move |n| (i, n)))
        .find(|(_, n)| off(n.start) || (strict && off(n.end())))
        .map_or(
            AnalysisError::NotOnGrid {
                part: 0,
                pitch: 0,
                tick: 0,
                ticks_per_quarter: tpq,
            },
            |(part, n)| {
                let tick = if off(n.start) { n.start } else { n.end() };
                AnalysisError::NotOnGrid {
                    part,
                    pitch: n.pitch,
                    tick,
                    ticks_per_quarter: tpq,
                }
            },
        )
}

/// Snaps onsets and ends to `n` steps per quarter at the score's tempo. The resolution
/// becomes lcm(tpq, n) so that every step is a whole number of ticks (unchanged when n
/// divides tpq, as it does for common files).
fn snap_to_grid(
    score: &Score,
    n: u32,
    applied: QuantizeMode,
    ends: Ends,
) -> Result<(Score, QuantizeReport), AnalysisError> {
    if n == 0 {
        return Err(AnalysisError::EmptyGrid);
    }
    snap_each(score, applied, u64::from(n), |_| n, ends)
}

/// The grid a score's rhythm fits and how well: among `grid_agreements`, the coarsest
/// whose agreement is within `RHYTHM_AGREEMENT_SLACK` of the best one's, with its
/// agreement. `positions` are the onsets' (`positions_in_quarter`), `count` of them.
fn rhythm_fit(positions: &[(u64, usize)], count: usize, ticks_per_quarter: u32) -> Option<(u32, f64)> {
    let agreements: Vec<(u32, f64)> = grid_agreements(positions, count, ticks_per_quarter).collect();
    let best = agreements.iter().map(|&(_, a)| a).fold(f64::NEG_INFINITY, f64::max);
    agreements.into_iter().find(|&(_, a)| a >= best - RHYTHM_AGREEMENT_SLACK)
}

/// How much less agreement than the best grid's the grid a rhythm fits may have
/// (`rhythm_fit`): what finer grids add beyond it is chance.
const RHYTHM_AGREEMENT_SLACK: f64 = 0.02;

/// A score with a few onsets (ornaments, odd tuplets) on no grid: each onset and end goes
/// to the coarsest grid it lies on, the others to the nearest point of the finest grid;
/// but the notes of a tuplet of 7, 9, 11 or 13 played by hand (`hand_placed_tuplets`)
/// go to its points.
fn snap_ornamented(score: &Score) -> Result<(Score, QuantizeReport), AnalysisError> {
    let tpq = score.ticks_per_quarter;
    let finest = usable_grids(tpq).last().unwrap_or(1);
    let bounds: Vec<u64> = score.parts.iter().flat_map(|p| &p.notes).flat_map(|n| [n.start, n.end()]).collect();
    // The grid of each position within the quarter that a bound takes, found once.
    let positions: Vec<u64> = positions_in_quarter(&bounds, tpq).into_iter().map(|(position, _)| position).collect();
    let grids: Vec<u32> = positions.iter().map(|&p| coarsest_grid_at(p, tpq).unwrap_or(finest)).collect();
    let tuplets = hand_placed_tuplets(score);
    let grid_of = |tick: u64| match tuplets.binary_search_by_key(&tick, |&(t, _)| t) {
        Ok(i) => tuplets[i].1,
        Err(_) => positions.binary_search(&position_in_quarter(tick, tpq)).map_or(finest, |i| grids[i]),
    };
    let steps = grids.iter().chain(tuplets.iter().map(|(_, n)| n)).fold(1, |l, &n| lcm(l, u64::from(n)));
    snap_each(score, QuantizeMode::Exact, steps, grid_of, Ends::OnsetReleases)
}

/// Tuplet sizes a hand-placed run may have (`hand_placed_tuplets`): those no score grid
/// holds (3 and 5 and their multiples are in `SCORE_GRIDS`) and the ABC writer's ratios
/// write (7:4, 9:8, 11:8, 13:8).
const ODD_TUPLETS: [u64; 4] = [7, 9, 11, 13];

/// Fewest onsets of a run, past its span's start, on its tuplet's points.
const MIN_TUPLET_ONSETS: usize = 4;

/// The ticks of the notes of odd tuplets played in by hand, each with its grid (steps per
/// quarter), sorted: a sequencer's septuplet arpeggio (Grieg's *Wächterlied* on
/// piano-midi.de: seven notes in an eighth at steps of 36 and 34 ticks, 480/14 = 34.3)
/// or a run of thirteen to a quarter (Liszt's étude 2, steps of 37 ticks). Such onsets are
/// up to twice the rounding tolerance off the tuplet's points and lie on no score grid,
/// so the nearest 96th of a quarter would spell them as a mixture of triplets and
/// quintuplets. A binary span of a part (a quarter, an eighth, a sixteenth or a
/// thirty-second, counted from its bar line) holds such a tuplet when every onset of the
/// part in it is within twice `grid_tolerance` of a point of k in the span, at least
/// `MIN_TUPLET_ONSETS` of them past its start, one of them on no score grid; the
/// coarsest fit wins. The ends of its notes on those points (or the span's end) go with
/// them.
fn hand_placed_tuplets(score: &Score) -> Vec<(u64, u32)> {
    let tpq = u64::from(score.ticks_per_quarter.max(1));
    let tolerance = 2 * grid_tolerance(score.ticks_per_quarter).max(1);
    let bars = score.bar_lines(score.end_tick());
    let mut found: Vec<(u64, u32)> = Vec::new();
    for part in &score.parts {
        let mut onsets: Vec<u64> = part.notes.iter().map(|n| n.start).collect();
        onsets.dedup();
        // The bar line each onset (a tolerance early) counts its spans from.
        let mut bar = 0;
        let bar_of: Vec<u64> = onsets
            .iter()
            .map(|&t| {
                while bar + 1 < bars.len() && bars[bar + 1] <= t + tolerance {
                    bar += 1;
                }
                bars[bar]
            })
            .collect();
        let mut taken: HashSet<u64> = HashSet::new();
        for divisor in [1, 2, 4, 8].into_iter().filter(|d| tpq.is_multiple_of(*d)) {
            let span = tpq / divisor;
            // The start of the span holding each onset.
            let span_start = |(&t, &b): (&u64, &u64)| b + (t + tolerance).saturating_sub(b) / span * span;
            let starts: Vec<u64> = onsets.iter().zip(&bar_of).map(span_start).collect();
            for k in ODD_TUPLETS.into_iter().filter(|&k| span >= k * (2 * tolerance + 2)) {
                let run = OddRun { span, k, tolerance };
                let mut first = 0;
                for same in starts.chunk_by(|a, b| a == b) {
                    let (start, group) = (same[0], &onsets[first..first + same.len()]);
                    first += same.len();
                    if !run.holds(start, group, score.ticks_per_quarter) || group.iter().any(|t| taken.contains(t)) {
                        continue;
                    }
                    // The grid of its points, which snapping counts from tick 0: k points a
                    // span, and the span's start (after a pickup, an eighth's) among them.
                    let Ok(grid) = u32::try_from(lcm(k * divisor, tpq / gcd(start, tpq))) else { continue };
                    taken.extend(group);
                    // The run's notes (sorted by onset, as the part's are).
                    let notes = &part.notes[part.notes.partition_point(|n| n.start < group[0])..];
                    let notes = &notes[..notes.partition_point(|n| n.start <= group[group.len() - 1])];
                    let ends = notes.iter().map(Note::end);
                    let ends = ends.filter(|&e| e + tolerance >= start && e <= start + span + tolerance);
                    let on_points = ends.filter(|&e| run.off_point(start, e).0 <= tolerance * k);
                    found.extend(group.iter().copied().chain(on_points).map(|t| (t, grid)));
                }
            }
        }
    }
    found.sort_unstable();
    found.dedup_by_key(|f| f.0);
    found
}

/// A candidate run of `hand_placed_tuplets`: `k` notes in a binary `span` (ticks), each
/// within `tolerance` ticks of its point.
struct OddRun {
    span: u64,
    k: u64,
    tolerance: u64,
}

impl OddRun {
    /// `k` times the distance from `tick` (at most a tolerance before `start`) to the
    /// nearest of the points of the span starting at `start` (its end included), and that
    /// point's index.
    fn off_point(&self, start: u64, tick: u64) -> (u64, u64) {
        let scaled = (tick + self.span - start) * self.k;
        let j = (scaled + self.span / 2) / self.span;
        (scaled.abs_diff(j * self.span), j.saturating_sub(self.k))
    }

    /// Whether the onsets of a part in the span starting at `start` are such a run: all on
    /// its points, `MIN_TUPLET_ONSETS` past the start, one on no score grid.
    fn holds(&self, start: u64, onsets: &[u64], ticks_per_quarter: u32) -> bool {
        onsets.len() >= MIN_TUPLET_ONSETS
            && onsets.iter().all(|&t| self.off_point(start, t).0 <= self.tolerance * self.k)
            && onsets.iter().filter(|&&t| self.off_point(start, t).1 > 0).count() >= MIN_TUPLET_ONSETS
            && onsets.iter().any(|&t| coarsest_grid_at(t, ticks_per_quarter).is_none())
    }
}

/// How far (a share of the note's sounding length) an end off its grid may be moved to a
/// grid point (see `Ends::Releases`): notes cut short for playback (a sequencer's 80-95 %
/// gate, a notation program's non-legato) are written at their value, a half note held
/// for 90 % as a half note, not as seven eighths and a rest. A fifth is the offset
/// tolerance of note-level transcription metrics (mir_eval's `offset_ratio`), so the
/// sounding end stays within it: strictly, as the written tempo may round a note's
/// seconds by a millisecond (an eighth released at 100 of 120 ticks is written at 100).
/// Shorter notes (a staccato quarter held for half its length) keep their sounding
/// length, to the nearest grid point.
const RELEASE_SLACK: f64 = 0.2;

/// Where an end off its grid goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ends {
    /// To the nearest grid point.
    Nearest,
    /// It is a release (the onsets are all on the grid): see `RELEASE_SLACK`. An end that
    /// is not a note value on its grid (`is_value_end`, against the rhythm's grid of
    /// `rhythm` steps per quarter, which the grid refines) goes where `release_end` puts
    /// it on the rhythm's grid; failing that, an end off its own grid goes up to the next
    /// point of that when close, else to the nearest.
    Releases { rhythm: u32 },
    /// As `Releases`, each note's rhythm being the grid its onset lies on: a score whose
    /// ornaments put a few onsets on no grid has no one rhythm (a trill of 20 notes a
    /// quarter among sixteenths and triplets puts 95 % of the onsets on the 96th), and
    /// a trill note's end is a value on its own onset's grid.
    OnsetReleases,
}

/// Snaps every onset and end to the grid `grid_of` names for its tick (steps per quarter;
/// each must divide `steps_per_quarter`), ends off it as `ends` says. The resolution
/// becomes lcm(tpq, steps_per_quarter); every note lasts at least one step of that finest
/// grid.
fn snap_each(
    score: &Score,
    applied: QuantizeMode,
    steps_per_quarter: u64,
    grid_of: impl Fn(u64) -> u32,
    ends: Ends,
) -> Result<(Score, QuantizeReport), AnalysisError> {
    let tpq = u64::from(score.ticks_per_quarter.max(1));
    let new_tpq = lcm(tpq, steps_per_quarter);
    let new_tpq32 = u32::try_from(new_tpq).map_err(|_| AnalysisError::Resolution {
        ticks_per_quarter: new_tpq,
    })?;
    let unit = new_tpq / steps_per_quarter;
    let snap = |t: u64| {
        let n = u64::from(grid_of(t));
        (t * n * 2 + tpq) / (2 * tpq) * (new_tpq / n)
    };
    // Releases (see `Ends::Releases`).
    let snap_end = |note: &Note, start: u64, part: &[Note]| {
        let end = note.end();
        // A release moved later may not pass the next onset of its part (an ornament's
        // notes right after a held one would sound under it).
        let next_onset = part.get(part.partition_point(|n| n.start < end)).map(|n| n.start * (new_tpq / tpq));
        let passes_an_onset = |point: u64| next_onset.is_some_and(|onset| onset < point);
        let rhythm = match ends {
            Ends::Nearest => None,
            Ends::Releases { rhythm } => Some(rhythm),
            Ends::OnsetReleases => Some(grid_of(note.start)),
        };
        if let Some(rhythm) = rhythm {
            let n = grid_of(end);
            let on_its_grid = on_grid(end, n, score.ticks_per_quarter);
            let a_value = on_its_grid && is_value_end(end, rhythm, score.ticks_per_quarter);
            let released = || release_end(start, end * (new_tpq / tpq), new_tpq / u64::from(rhythm));
            if let Some(point) = released().filter(|&point| !a_value && !passes_an_onset(point)) {
                return point;
            }
            if !on_its_grid {
                let n = u64::from(n);
                let up = (end * n).div_ceil(tpq);
                if ((up * tpq) as f64 / n as f64 - end as f64) < RELEASE_SLACK * note.duration as f64 {
                    return up * (new_tpq / n);
                }
            }
        }
        snap(end)
    };
    let mut out = rescaled(score, new_tpq32, new_tpq / tpq);
    for (part, source) in out.parts.iter_mut().zip(&score.parts) {
        let snapped = source.notes.iter().map(|note| {
            let start = snap(note.start);
            let end = snap_end(note, start, &source.notes).max(start + unit);
            (
                note.start,
                Note {
                    start,
                    duration: end - start,
                    ..*note
                },
            )
        });
        part.notes = separate_repeats(snapped.collect(), unit);
    }
    let errors = onset_errors(score, &out);
    let steps = u32::try_from(steps_per_quarter).unwrap_or(u32::MAX);
    Ok((out, report(applied, steps, &errors, score.tempo.at(0).bpm())))
}

/// Whether an end can be a note value in a rhythm on grid `rhythm`: the coarsest grid it
/// lies on holds the rhythm's halves or quarters, or its triplets (`(3E2z`; coarser
/// grids included). Other grids are a sequencer's releases: a 96th of a quarter in a
/// piece of eighths, a 32nd or a triplet 32nd in one of triplet eighths, a sixteenth held
/// into a sextuplet of the next.
fn is_value_end(end: u64, rhythm: u32, ticks_per_quarter: u32) -> bool {
    coarsest_grid_at(end, ticks_per_quarter)
        .is_some_and(|grid| (4 * rhythm).is_multiple_of(grid) || (3 * rhythm).is_multiple_of(grid))
}

/// Where a release off the rhythm's grid (`step` ticks) is written, ticks at one
/// resolution: the nearest point (the later on a tie) of the coarsest grid of a
/// power-of-two number of steps that holds the note's `start` and takes at most half its
/// sounding length, when that point is closer than `RELEASE_SLACK` of the sounding length and
/// no more than `LEGATO_SLACK` of it before the sounding end; else the same on the next
/// finer grid, down to the rhythm's. A note's value is judged on its own scale: a half
/// note held for 90 % ends on the eighths' grid, at its value, rather than on the
/// sixteenths' a sixteenth early; a quarter held 4 % into the next note (legato) comes
/// back to its value too. But a chord of two and a half quarters released 5 ticks early
/// is not two quarters: a release is shorter than the value it cuts short, and only a
/// legato's overlap is longer.
fn release_end(start: u64, end: u64, step: u64) -> Option<u64> {
    let length = end.saturating_sub(start);
    let mut grid = step;
    while grid * 4 <= length && start.is_multiple_of(grid * 2) {
        grid *= 2;
    }
    loop {
        let down = end / grid * grid;
        let up = down + grid;
        let point = if end - down < up - end { down } else { up };
        let within = (point.abs_diff(end) as f64) < RELEASE_SLACK * length as f64;
        let early = end.saturating_sub(point) as f64 > LEGATO_SLACK * length as f64;
        if point > start && within && !early {
            return Some(point);
        }
        if grid <= step {
            return None;
        }
        grid /= 2;
    }
}

/// How far (a share of the sounding length) a release may be written before the
/// sounding end (see `release_end`): a legato's overlap into the next note, as a
/// sequencer plays a slurred line (piano-midi.de's runs are held 110 %).
const LEGATO_SLACK: f64 = 0.1;

/// A coarse score (see `COARSE_TICKS_PER_QUARTER`) at a finer resolution, every tick
/// scaled, notes included: the same music at the same seconds.
fn refined(score: &Score) -> Result<Score, AnalysisError> {
    let tpq = u64::from(score.ticks_per_quarter.max(1));
    let new_tpq = lcm(tpq, REFINED_TICKS_PER_QUARTER);
    let new_tpq32 = u32::try_from(new_tpq).map_err(|_| AnalysisError::Resolution {
        ticks_per_quarter: new_tpq,
    })?;
    let scale = new_tpq / tpq;
    let mut out = rescaled(score, new_tpq32, scale);
    for note in out.parts.iter_mut().flat_map(|p| p.notes.iter_mut()) {
        note.start *= scale;
        note.duration *= scale;
    }
    Ok(out)
}

/// A copy of `score` at `ticks_per_quarter`, every tick multiplied by `scale` (the notes
/// are replaced by the caller).
fn rescaled(score: &Score, ticks_per_quarter: u32, scale: u64) -> Score {
    let tempo = TempoMap::from_changes(
        score
            .tempo
            .changes()
            .iter()
            .map(|c| TempoChange {
                tick: c.tick * scale,
                ..*c
            })
            .collect(),
    );
    Score {
        ticks_per_quarter,
        tempo,
        time_signatures: score
            .time_signatures
            .iter()
            .map(|t| TimeSignature {
                tick: t.tick * scale,
                ..*t
            })
            .collect(),
        key_signatures: score
            .key_signatures
            .iter()
            .map(|k| KeyChange {
                tick: k.tick * scale,
                ..*k
            })
            .collect(),
        pickup_ticks: score.pickup_ticks * scale,
        ..score.clone()
    }
}

/// How far (a share of its length) a performed note may sound into the next onset of its
/// part and still be written as ending there: a player's legato, which keeps a key down a
/// little after striking the next, is not a second line of music. A fifth, the offset
/// tolerance of note-level transcription metrics (mir_eval's `offset_ratio`). On the
/// performed copies of the real-world corpus it takes 18-84 % of the `&` overlays out of
/// the four ensemble sets and 6 % out of Vienna's piano, and raises MV2H on every set
/// (Voice most: Renaissance 0.928 -> 0.992), for offset F1 up to 0.008 lower (a tenth:
/// 2-41 % fewer overlays, offset F1 within 0.0005); docs/benchmarks.md.
const LEGATO_OVERLAP: f64 = 0.2;

/// The end in seconds of each of a part's performed notes (onset, end, note): a note
/// that sounds a little (`LEGATO_OVERLAP`) into the next onset of its part (one later
/// than its own chord's, `beat::CHORD_SPREAD`) ends there, so that both snap to one tick.
fn legato_ends(notes: &[(f64, f64, Note)]) -> Vec<f64> {
    let mut onsets: Vec<f64> = notes.iter().map(|n| n.0).collect();
    onsets.sort_by(f64::total_cmp);
    notes
        .iter()
        .map(|&(on, off, _)| {
            let later = onsets.partition_point(|&t| t <= on + CHORD_SPREAD);
            match onsets.get(later) {
                Some(&next) if next < off && off - next <= LEGATO_OVERLAP * (off - on) => next,
                _ => off,
            }
        })
        .collect()
}

/// Where a performed note lies in the output's ticks before snapping, and whether it
/// snapped to the step grid (not to a triplet).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Played {
    start: f64,
    end: f64,
    on_steps: bool,
}

/// A grace note (played shorter than half a `step`) and the next note of its pitch that
/// snap to one grid point: `separate_repeats` would push the second a step after the
/// first, a step late and off the beat it was played on. Instead the two take whichever
/// of (grace on the point, next a step after), (grace on the point, next half a step
/// after) and (grace half a step before the point, next on it) leaves their onsets
/// nearest where they were played (least squares), the first on a tie. `snapped` is a
/// part's notes as `separate_repeats` takes them, `played` the same notes as played.
/// Notes snapped to triplets, and a grace note whose pitch sounds just before the point,
/// are left as they are.
fn place_grace_notes(snapped: &mut [(u64, Note)], played: &[Played], step: u64) {
    let half = step / 2;
    let mut order: Vec<usize> = (0..snapped.len()).collect();
    order.sort_by_key(|&i| (snapped[i].1.pitch, snapped[i].0));
    for k in 1..order.len() {
        let (g, n) = (order[k - 1], order[k]);
        let (grace, next) = (snapped[g].1, snapped[n].1);
        let is_grace = played[g].end - played[g].start < half as f64;
        if grace.pitch != next.pitch
            || next.start > grace.start
            || snapped[g].0 == snapped[n].0
            || !is_grace
            || !(played[g].on_steps && played[n].on_steps)
        {
            continue;
        }
        let point = grace.start;
        let room_before = point >= half
            && order[..k - 1]
                .last()
                .is_none_or(|&h| snapped[h].1.pitch != grace.pitch || snapped[h].1.start < point - half);
        let error = |(at_grace, at_next): (u64, u64)| {
            (at_grace as f64 - played[g].start).powi(2) + (at_next as f64 - played[n].start).powi(2)
        };
        let mut places = vec![(point, point + step), (point, point + half)];
        if room_before {
            places.push((point - half, point));
        }
        let best = places.iter().copied().fold(places[0], |best, p| if error(p) < error(best) { p } else { best });
        if best == places[0] {
            continue;
        }
        let (at_grace, at_next) = best;
        snapped[g].1.start = at_grace;
        snapped[g].1.duration = at_next - at_grace;
        let next_end = next.end();
        snapped[n].1.start = at_next;
        snapped[n].1.duration = next_end.max(at_next + half) - at_next;
    }
}

/// Notes of one part after snapping, each with its original onset, made playable. Per
/// pitch, in original order:
/// - a note the file doubles (the same onset and end as the previous one of its pitch: a
///   key struck twice at once) stays doubled;
/// - otherwise a note that landed on or before the previous one is pushed `unit` ticks
///   after it, and lasts at least `unit`;
/// - the previous note ends no later than the next begins, unless both end together: a
///   key struck again while it sounds, both notes ended by one note-off, is what the MIDI
///   says (see `midi::read`), and overlays write it as it is.
///
/// Returns the notes sorted by (start, pitch).
fn separate_repeats(mut snapped: Vec<(u64, Note)>, unit: u64) -> Vec<Note> {
    snapped.sort_by_key(|(original, note)| (note.pitch, *original));
    let mut notes: Vec<Note> = Vec::with_capacity(snapped.len());
    let mut previous_onset = None;
    for (original, mut note) in snapped {
        if let Some(previous) = notes.last_mut().filter(|p| p.pitch == note.pitch) {
            let doubled = previous_onset == Some(original) && previous.start == note.start && previous.end() == note.end();
            if !doubled {
                if note.start <= previous.start {
                    let end = note.end().max(previous.start + 2 * unit);
                    note.start = previous.start + unit;
                    note.duration = end - note.start;
                }
                if previous.end() != note.end() {
                    previous.duration = previous.duration.min(note.start - previous.start);
                }
            }
        }
        previous_onset = Some(original);
        notes.push(note);
    }
    notes.sort_by_key(|n| (n.start, n.pitch));
    notes
}

/// How far each note onset moved, in seconds, between `before` and `after` (the same
/// notes in the same part order; within a part matched by original order).
fn onset_errors(before: &Score, after: &Score) -> Vec<f64> {
    before
        .parts
        .iter()
        .zip(&after.parts)
        .flat_map(|(b, a)| {
            // Onsets in time order, their seconds in one pass over the tempo map.
            let seconds = |score: &Score, part: &Part| {
                let mut ticks: Vec<u64> = part.notes.iter().map(|n| n.start).collect();
                ticks.sort_unstable();
                score.tempo.seconds_at_sorted(&ticks, score.ticks_per_quarter)
            };
            seconds(before, b).into_iter().zip(seconds(after, a)).map(|(o, n)| (o - n).abs()).collect::<Vec<_>>()
        })
        .collect()
}

fn report(applied: QuantizeMode, steps_per_quarter: u32, errors: &[f64], bpm: f64) -> QuantizeReport {
    let max = errors.iter().copied().fold(0.0, f64::max);
    let mean = if errors.is_empty() {
        0.0
    } else {
        errors.iter().sum::<f64>() / errors.len() as f64
    };
    QuantizeReport {
        applied,
        steps_per_quarter,
        triplet_beats: 0,
        bpm,
        max_snap_ms: max * 1000.0,
        mean_snap_ms: mean * 1000.0,
        metre: None,
        key: None,
    }
}

fn unchanged_report(score: &Score) -> QuantizeReport {
    report(QuantizeMode::Off, 0, &[], score.tempo.at(0).bpm())
}

fn apply_metre(score: &mut Score, metre: &MetreEstimate) {
    score.time_signatures = vec![TimeSignature {
        tick: 0,
        numerator: metre.numerator,
        denominator: metre.denominator,
    }];
    score.pickup_ticks = metre.pickup_ticks;
}

/// Output grid step (a sixteenth) in ticks.
const STEP_TICKS: i64 = PERFORMED_TICKS_PER_QUARTER as i64 / 4;
/// When the grid point at time 0 misses it by more than this, the first step gets a tempo
/// of its own rather than shifting the piece (seconds).
const LEAD_TOLERANCE: f64 = 0.02;

/// `Performed`: track the beat, follow it through rubato, snap to it, and rebuild ticks
/// and tempo map around it.
fn quantize_performance(score: &Score, given: SourceEvents) -> (Score, QuantizeReport) {
    let timed: Vec<Vec<(f64, f64, Note)>> = score
        .parts
        .iter()
        .map(|p| {
            p.notes
                .iter()
                .map(|n| (score.seconds_at(n.start), score.seconds_at(n.end()), *n))
                .collect()
        })
        .collect();
    let onsets: Vec<Onset> = timed
        .iter()
        .flatten()
        .map(|&(on, off, n)| Onset {
            seconds: on,
            // Lengths in quarters at 120 BPM: the real tempo is not known yet.
            weight: note_salience(&n, 2.0 * (off - on)),
        })
        .collect();
    let first_tempo = score.tempo.at(0);
    let grid = track_beat(&onsets)
        .unwrap_or_else(|| BeatGrid::constant(0.0, f64::from(first_tempo.micros_per_quarter) * 1e-6 / 4.0, 4));
    let followed = follow_beat(&merge_chords(&onsets), &grid);
    let written = written_beats(&followed, &grid, f64::from(grid.steps_per_beat) / 4.0);
    let first_onset = timed.iter().flatten().map(|n| n.0).fold(f64::INFINITY, f64::min);
    let last_end = timed.iter().flatten().map(|n| n.1).fold(0.0, f64::max);
    let frame = Frame::new(&grid, written, first_onset, last_end);
    let triplets = if frame.is_compound() {
        Vec::new()
    } else {
        triplet_beats(&timed, &frame)
    };

    let mut out = Score {
        ticks_per_quarter: PERFORMED_TICKS_PER_QUARTER,
        tempo: frame.tempo_map(),
        ..score.clone()
    };
    for (part, notes) in out.parts.iter_mut().zip(&timed) {
        let ends = legato_ends(notes);
        let mut snapped = Vec::with_capacity(notes.len());
        let mut played = Vec::with_capacity(notes.len());
        for (&(on, off, note), end) in notes.iter().zip(ends) {
            let (start, unit) = frame.snap(on, &triplets);
            let (end, _) = frame.snap(end, &triplets);
            snapped.push((note.start, Note { start, duration: end.max(start + unit) - start, ..note }));
            played.push(Played { start: frame.ticks_at(on), end: frame.ticks_at(off), on_steps: unit == STEP_TICKS as u64 });
        }
        place_grace_notes(&mut snapped, &played, STEP_TICKS as u64);
        part.notes = separate_repeats(snapped, STEP_TICKS as u64);
    }
    let metre = if given.time_signature {
        let metre = keep_stated_metre(score, &mut out);
        out.pickup_ticks = metre.pickup_ticks;
        metre
    } else {
        let metre = estimate_metre(&out);
        apply_metre(&mut out, &metre);
        metre
    };
    let key = if given.key_signature {
        out.key_signatures = score
            .key_signatures
            .iter()
            .map(|k| KeyChange {
                tick: out.tick_at(score.seconds_at(k.tick)),
                ..*k
            })
            .collect();
        None
    } else {
        let key = estimate_key(&out);
        out.key_signatures = vec![KeyChange { tick: 0, key }];
        Some(key)
    };
    let errors = onset_errors(score, &out);
    let mut report = report(QuantizeMode::Performed, 4, &errors, frame.quarter_bpm_at(first_onset));
    report.triplet_beats = triplets.iter().filter(|&&(_, t)| t).count();
    report.metre = (!given.time_signature).then_some(metre);
    report.key = key;
    (out, report)
}

/// The stated time signatures of a performance in the ticks of its quantized copy `out`:
/// the first from the start, where its bars begin inferred from the notes (the ticks of a
/// performance do not place them); each later one at the bar line of the signature before
/// it nearest to its time in seconds. Returns the first signature with its downbeat.
fn keep_stated_metre(performed: &Score, out: &mut Score) -> MetreEstimate {
    let stated = &performed.time_signatures;
    let first = stated.first().copied().unwrap_or(TimeSignature { tick: 0, numerator: 4, denominator: 4 });
    let metre = estimate_downbeat(out, first.numerator, first.denominator);
    let tpq = out.ticks_per_quarter;
    let mut signatures = vec![TimeSignature { tick: 0, ..first }];
    let mut bar_start = metre.pickup_ticks;
    for change in stated.iter().skip(1) {
        let Some(&previous) = signatures.last() else { break };
        let bar = u64::from(previous.numerator) * u64::from(tpq) * 4 / u64::from(previous.denominator.max(1));
        let tick = out.tick_at(performed.seconds_at(change.tick));
        let bars = ((tick.saturating_sub(bar_start)) as f64 / bar.max(1) as f64).round() as u64;
        let tick = bar_start + bars * bar;
        if tick > previous.tick {
            signatures.push(TimeSignature { tick, ..*change });
            bar_start = tick;
        }
    }
    out.time_signatures = signatures;
    metre
}

/// The output frame of a performance: its written beat lines in seconds, and where they
/// land in ticks at `PERFORMED_TICKS_PER_QUARTER`.
struct Frame {
    /// Written beat lines (at least two), from at or before time 0 to past the last note.
    beats: Vec<f64>,
    /// Sixteenths per beat: 4, or 6 for a dotted-quarter beat.
    steps_per_beat: u32,
    /// Grid index (in steps from beat line 0) of the point at tick `lead_ticks`.
    first_index: i64,
    /// 0, or one step when the first step has its own tempo (see `LEAD_TOLERANCE`).
    lead_ticks: i64,
    /// Length in seconds of that first step.
    lead_seconds: f64,
}

impl Frame {
    /// The frame of `written` beat lines (at least one; a lone line gets the grid's beat),
    /// extended at their first and last beat lengths to cover time 0 and `last_end`, and to
    /// start half a step before `first_onset`.
    fn new(grid: &BeatGrid, written: Vec<f64>, first_onset: f64, last_end: f64) -> Frame {
        let mut beats = written;
        if beats.is_empty() {
            beats.push(grid.origin);
        }
        if beats.len() < 2 {
            beats.push(beats[0] + grid.beat_seconds());
        }
        let steps = f64::from(grid.steps_per_beat);
        let (first_beat, last_beat) = (beats[1] - beats[0], beats[beats.len() - 1] - beats[beats.len() - 2]);
        let earliest = first_onset.min(0.0) - first_beat / steps;
        let before = ((beats[0] - earliest) / first_beat).ceil().max(0.0) as usize;
        let after = ((last_end - beats[beats.len() - 1]) / last_beat).ceil().max(0.0) as usize + 1;
        let mut extended: Vec<f64> = (1..=before).rev().map(|m| beats[0] - m as f64 * first_beat).collect();
        let last = beats[beats.len() - 1];
        extended.extend(beats);
        extended.extend((1..=after).map(|m| last + m as f64 * last_beat));
        let step = first_beat / steps;
        let time_of = |k: i64| extended[0] + k as f64 * step;
        let below = (-extended[0] / step).floor() as i64;
        let (first_index, lead_ticks, lead_seconds) = if time_of(below) > -LEAD_TOLERANCE {
            (below, 0, 0.0)
        } else if time_of(below + 1) < LEAD_TOLERANCE {
            (below + 1, 0, 0.0)
        } else {
            (below + 1, STEP_TICKS, time_of(below + 1))
        };
        Frame {
            beats: extended,
            steps_per_beat: grid.steps_per_beat,
            first_index,
            lead_ticks,
            lead_seconds,
        }
    }

    fn is_compound(&self) -> bool {
        self.steps_per_beat == 6
    }

    /// Tick of a (fractional) grid index.
    fn tick_of(&self, index: f64) -> i64 {
        self.lead_ticks + ((index - self.first_index as f64) * STEP_TICKS as f64).round() as i64
    }

    /// Microseconds per quarter note of the beat from line `k`.
    fn micros(&self, k: usize) -> u32 {
        let step = (self.beats[k + 1] - self.beats[k]) / f64::from(self.steps_per_beat);
        micros_per_quarter(step)
    }

    /// Quarter-note tempo in force at `seconds`.
    fn quarter_bpm_at(&self, seconds: f64) -> f64 {
        let k = (rubato::position(&self.beats, seconds).floor().max(0.0) as usize).min(self.beats.len() - 2);
        let step = (self.beats[k + 1] - self.beats[k]) / f64::from(self.steps_per_beat);
        60.0 / (4.0 * step)
    }

    /// The tempo map: one tempo per beat, written where it changes, after a first step of
    /// its own when there is a lead.
    fn tempo_map(&self) -> TempoMap {
        let steps = i64::from(self.steps_per_beat);
        let first_beat = self.first_index.div_euclid(steps).max(0) as usize;
        let mut changes = vec![TempoChange {
            tick: self.lead_ticks as u64,
            micros_per_quarter: self.micros(first_beat),
        }];
        for k in first_beat + 1..self.beats.len() - 1 {
            let micros = self.micros(k);
            if changes.last().is_some_and(|c| c.micros_per_quarter != micros) {
                changes.push(TempoChange {
                    tick: self.tick_of((k as i64 * steps) as f64).max(0) as u64,
                    micros_per_quarter: micros,
                });
            }
        }
        if self.lead_ticks > 0 {
            changes.push(TempoChange {
                tick: 0,
                micros_per_quarter: micros_per_quarter(self.lead_seconds),
            });
        }
        TempoMap::from_changes(changes)
    }

    /// Beat number and position in the beat (in beats, from -1/(2 steps) on) of a time.
    fn beat_position(&self, seconds: f64) -> (i64, f64) {
        let steps = f64::from(self.steps_per_beat);
        let x = rubato::position(&self.beats, seconds);
        let beat = (x + 0.5 / steps).floor();
        (beat as i64, x - beat)
    }

    /// The output tick (fractional) of a time, before snapping.
    fn ticks_at(&self, seconds: f64) -> f64 {
        let index = rubato::position(&self.beats, seconds) * f64::from(self.steps_per_beat);
        self.lead_ticks as f64 + (index - self.first_index as f64) * STEP_TICKS as f64
    }

    /// The tick a time snaps to, and the grid unit there (ticks): sixteenths (or the
    /// beat's sixths in compound time), thirds of the beat where `triplets` says so.
    fn snap(&self, seconds: f64, triplets: &[(i64, bool)]) -> (u64, u64) {
        let (beat, within) = self.beat_position(seconds);
        let steps = i64::from(self.steps_per_beat);
        let triplet = triplets
            .binary_search_by_key(&beat, |&(b, _)| b)
            .is_ok_and(|i| triplets[i].1);
        let divisions = if triplet { 3 } else { steps };
        let position = (within * divisions as f64).round();
        let index = (beat * steps) as f64 + position * steps as f64 / divisions as f64;
        (
            self.tick_of(index).max(0) as u64,
            (STEP_TICKS * steps / divisions) as u64,
        )
    }
}

/// Microseconds per quarter note for a sixteenth of `seconds_per_step`.
fn micros_per_quarter(seconds_per_step: f64) -> u32 {
    (seconds_per_step * 4e6).round().clamp(1.0, f64::from(u32::MAX)) as u32
}

/// Per beat with onsets, in beat order: whether its onsets fit thirds of the beat much
/// better (half the squared error or less) than quarters, with at least two off-beat notes.
fn triplet_beats(timed: &[Vec<(f64, f64, Note)>], frame: &Frame) -> Vec<(i64, bool)> {
    let mut beats: Vec<(i64, f64)> = timed
        .iter()
        .flatten()
        .map(|&(on, _, _)| frame.beat_position(on))
        .collect();
    beats.sort_by_key(|b| b.0);
    let error = |x: f64, d: f64| (x - (x * d).round() / d).powi(2);
    beats
        .chunk_by(|a, b| a.0 == b.0)
        .map(|chunk| {
            let duple: f64 = chunk.iter().map(|&(_, x)| error(x, 4.0)).sum();
            let triple: f64 = chunk.iter().map(|&(_, x)| error(x, 3.0)).sum();
            let off_beat = chunk.iter().filter(|&&(_, x)| x.abs() > 0.125).count();
            (chunk[0].0, off_beat >= 2 && triple < 0.5 * duple)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_is_on_a_grid_within_the_tolerance_exactly() {
        // 480 ticks per quarter: a tolerance of 1 tick. Triplet eighths are 160 ticks apart.
        assert!(on_grid(160, 3, 480) && on_grid(161, 3, 480) && on_grid(479, 3, 480));
        assert!(!on_grid(162, 3, 480) && !on_grid(158, 3, 480));
        // Septuplets: points 480/7 = 68.57 ticks apart; 69 is 0.43 off, 70 is 1.43 off.
        assert!(on_grid(69, 7, 480) && !on_grid(70, 7, 480));
        // 10080 ticks per quarter: a tolerance of 21; a quintuplet point is 2016 ticks.
        assert!(on_grid(2016 + 21, 5, 10080) && !on_grid(2016 + 22, 5, 10080));
        assert!(on_grid(10080 * 1000 - 21, 5, 10080));
    }

    #[test]
    fn a_grace_note_and_its_note_take_the_places_nearest_where_they_were_played() {
        let note = |start, duration| Note { start, duration, pitch: 60, velocity: 80 };
        let played = |start: f64, end: f64| Played { start, end, on_steps: true };
        let place = |snapped: &[(u64, Note)], played: &[Played]| {
            let mut snapped = snapped.to_vec();
            place_grace_notes(&mut snapped, played, 120);
            snapped.into_iter().map(|(_, n)| (n.start, n.duration)).collect::<Vec<_>>()
        };
        // Played 25 ticks early and 10 ticks late, both on 480: grace before, note on it.
        let both_on_480 = [(0, note(480, 120)), (1, note(480, 240))];
        assert_eq!(place(&both_on_480, &[played(455.0, 470.0), played(490.0, 720.0)]), [(420, 60), (480, 240)]);
        // The note played half a step after the grace: half a step after the point.
        assert_eq!(place(&both_on_480, &[played(475.0, 485.0), played(540.0, 720.0)]), [(480, 60), (540, 180)]);
        // A note as long as half a step is no grace note; a triplet is left alone.
        let unchanged = both_on_480.iter().map(|(_, n)| (n.start, n.duration)).collect::<Vec<_>>();
        assert_eq!(place(&both_on_480, &[played(455.0, 515.0), played(490.0, 720.0)]), unchanged);
        let triplet = Played { on_steps: false, ..played(490.0, 720.0) };
        assert_eq!(place(&both_on_480, &[played(455.0, 470.0), triplet]), unchanged);
        // No room before the point (the pitch sounds from 440): the note goes half a step on.
        let sounding_from_440 = [(0, note(440, 40)), (1, note(480, 120)), (2, note(480, 240))];
        let placed = place(&sounding_from_440, &[played(440.0, 470.0), played(455.0, 470.0), played(490.0, 720.0)]);
        assert_eq!(placed, [(440, 40), (480, 60), (540, 180)]);
    }

    #[test]
    fn ticks_are_counted_by_their_position_in_the_quarter() {
        let positions = positions_in_quarter(&[0, 480, 960, 240, 720, 80], 480);
        assert_eq!(positions, vec![(0, 3), (80, 1), (240, 2)]);
        assert_eq!(ticks_on_grid(&positions, 2, 480), 5);
        assert_eq!(ticks_on_grid(&positions, 6, 480), 6);
        assert_eq!(coarsest_grid(&[0, 480, 960, 240, 720, 80], 480), Some(6));
        assert_eq!(coarsest_grid_holding(&positions, 480, 5), Some(2));
        assert_eq!(rhythm_grid(&positions, 6, 480), Some(6));
        assert_eq!(coarsest_grid_at(80, 480), Some(6));
    }
}
