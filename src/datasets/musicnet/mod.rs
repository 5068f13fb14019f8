//! The MusicNet dataset, in its published layout:
//! - `{train,test}_data/<id>.wav`: recordings at 44.1 kHz;
//! - `{train,test}_labels/<id>.csv`: one note per row, columns
//!   `start_time,end_time,instrument,note,start_beat,end_beat,note_value`: times are
//!   sample indices at 44.1 kHz, `instrument` a 1-based General MIDI program, `note` a
//!   MIDI pitch, `start_beat` the score position in beats, `end_beat` (despite its
//!   name) the note's length in beats and `note_value` its written value (see `labels`);
//! - `musicnet_metadata.csv`: `id,composer,composition,movement,ensemble,...`;
//! - optionally `musicnet_midis/<Composer>/<id>_<name>.mid`: the scores.
//!
//! The common re-packaging that nests it all one level deeper (`musicnet/musicnet/...`,
//! `musicnet_midis/musicnet_midis/...`, metadata at the top) is accepted too.
//!
//! The labels are aligned to the recording, so the `Score` is built from them: a note
//! starts at `start_beat` beats and lasts `end_beat` beats, a beat being the unit the
//! piece's `note_value`s imply (`labels::beat_unit`: a quarter note in most pieces, a
//! half note in some); a tempo map is fitted through (beat, start_time) anchors on the
//! bar lines (`align::fit_tempo`), so bar lines are heard exactly where the labels say and
//! notes inside a bar are off by the rubato in that bar. One part per instrument program
//! (MusicNet does not tell two violins apart). Velocities are not labelled (all 80).
//!
//! Metre, key and pickup come from the score MIDI as far as it states them, and only
//! those are marked stated: a MIDI without a key signature leaves the key to be inferred
//! downstream, one without a time signature the metre. A first bar of one beat (`1/8`
//! before `3/4`) is a pickup, never the piece's metre (see `stated_metre`). A score MIDI
//! that cannot be read is reported when listing (naming the file) and the piece is read
//! from its labels alone, so listing reads each score MIDI once.
//!
//! MusicNet's own train/test split is kept; validation is carved from train by piece.

mod labels;

pub use labels::{BadRow, Label, parse_labels};
use labels::beat_unit;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::align::{self, Anchor};
use super::split::carve_validation;
use super::{Piece, PieceRef, Problem, Source, Split};
use crate::midi;
use crate::score::{Instrument, KeyChange, Note, Part, Score, SourceEvents, TempoMap, TimeSignature};

/// Sample rate of MusicNet's recordings and of its label times.
pub const SAMPLE_RATE: f64 = 44_100.0;
/// Resolution of the scores built from labels.
const TICKS_PER_QUARTER: u32 = 480;
/// Velocity given to labelled notes (MusicNet does not label loudness).
const VELOCITY: u8 = 80;
/// How the MusicNet reader splits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MusicNetOptions {
    pub seed: u64,
    /// Fraction of the train pieces carved out as validation.
    pub validation_fraction: f64,
}

impl Default for MusicNetOptions {
    fn default() -> Self {
        MusicNetOptions {
            seed: 0,
            validation_fraction: 0.1,
        }
    }
}

/// The MusicNet reader.
#[derive(Debug, Clone)]
pub struct MusicNet {
    root: PathBuf,
    options: MusicNetOptions,
}

/// Where the parts of a MusicNet copy are.
#[derive(Debug, Clone, Default)]
struct Layout {
    /// The folder holding `train_labels/` and friends.
    data: PathBuf,
    metadata: Option<PathBuf>,
    /// Score MIDI files by piece id.
    midis: BTreeMap<String, PathBuf>,
}

impl Layout {
    fn find(root: &Path) -> Layout {
        let levels = [
            root.to_path_buf(),
            root.join("musicnet"),
            root.join("musicnet").join("musicnet"),
        ];
        let data = levels
            .iter()
            .find(|d| {
                ["train_labels", "test_labels", "train_data", "test_data"]
                    .iter()
                    .any(|s| d.join(s).is_dir())
            })
            .cloned()
            .unwrap_or_else(|| root.to_path_buf());
        let metadata = levels
            .iter()
            .map(|d| d.join("musicnet_metadata.csv"))
            .find(|p| p.is_file());
        let midi_roots = [
            root.join("musicnet_midis").join("musicnet_midis"),
            root.join("musicnet_midis"),
        ];
        let midis = midi_roots
            .iter()
            .find(|d| d.is_dir())
            .map(|d| {
                walkdir::WalkDir::new(d)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "mid"))
                    .filter_map(|e| {
                        let stem = e.path().file_stem()?.to_string_lossy().into_owned();
                        let id = stem.split('_').next()?.to_string();
                        Some((id, e.path().to_path_buf()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Layout { data, metadata, midis }
    }
}

/// Reads `musicnet_metadata.csv`: for each id, the other columns by name.
fn read_metadata(path: &Path) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("opening {}", path.display()))?;
    let header = reader
        .headers()
        .with_context(|| format!("reading {}", path.display()))?
        .clone();
    let mut rows = BTreeMap::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        let mut fields: BTreeMap<String, String> = header
            .iter()
            .zip(record.iter())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(id) = fields.remove("id") {
            rows.insert(id, fields);
        }
    }
    Ok(rows)
}

impl MusicNet {
    pub fn new(root: impl Into<PathBuf>, options: MusicNetOptions) -> Self {
        MusicNet {
            root: root.into(),
            options,
        }
    }

    /// The ids in `<split>_labels/` and `<split>_data/`, and which files each has.
    fn ids(layout: &Layout, split: &str) -> BTreeMap<String, (Option<PathBuf>, Option<PathBuf>)> {
        let mut ids: BTreeMap<String, (Option<PathBuf>, Option<PathBuf>)> = BTreeMap::new();
        for (folder, extension, is_labels) in [("labels", "csv", true), ("data", "wav", false)] {
            let dir = layout.data.join(format!("{split}_{folder}"));
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
                if path.extension().is_some_and(|x| x == extension)
                    && let Some(stem) = path.file_stem()
                {
                    let slot = ids.entry(stem.to_string_lossy().into_owned()).or_default();
                    if is_labels {
                        slot.0 = Some(path)
                    } else {
                        slot.1 = Some(path)
                    }
                }
            }
        }
        ids
    }
}

impl Source for MusicNet {
    fn name(&self) -> &str {
        "musicnet"
    }

    fn list(&self) -> Result<(Vec<PieceRef>, Vec<Problem>)> {
        let layout = Layout::find(&self.root);
        let mut pieces = Vec::new();
        let mut problems = Vec::new();
        let report = |problems: &mut Vec<Problem>, id: &str, message: String| {
            problems.push(Problem {
                item: format!("musicnet/{id}"),
                message,
            });
        };
        match &layout.metadata {
            Some(path) => {
                if let Err(e) = read_metadata(path) {
                    problems.push(Problem {
                        item: path.display().to_string(),
                        message: format!("{e:#}"),
                    });
                }
            }
            None => problems.push(Problem {
                item: self.root.display().to_string(),
                message: "no musicnet_metadata.csv found: pieces will have no metadata".to_string(),
            }),
        }
        for (split_name, split) in [("train", Split::Train), ("test", Split::Test)] {
            for (id, files) in Self::ids(&layout, split_name) {
                let (Some(labels), Some(audio)) = files else {
                    let (missing, folder) = if files.0.is_none() {
                        ("labels", "labels")
                    } else {
                        ("audio", "data")
                    };
                    report(
                        &mut problems,
                        &id,
                        format!("no {missing} in {split_name}_{folder} (piece skipped)"),
                    );
                    continue;
                };
                let text = match std::fs::read_to_string(&labels) {
                    Ok(text) => text,
                    Err(e) => {
                        report(&mut problems, &id, format!("{}: {e} (piece skipped)", labels.display()));
                        continue;
                    }
                };
                let (notes, bad) = match parse_labels(&text) {
                    Ok(parsed) => parsed,
                    Err(e) => {
                        report(
                            &mut problems,
                            &id,
                            format!("{}: {e:#} (piece skipped)", labels.display()),
                        );
                        continue;
                    }
                };
                for row in bad {
                    report(
                        &mut problems,
                        &id,
                        format!("{}:{}: {} (row skipped)", labels.display(), row.line, row.problem),
                    );
                }
                if notes.is_empty() {
                    report(
                        &mut problems,
                        &id,
                        format!("{} has no notes (piece skipped)", labels.display()),
                    );
                    continue;
                }
                let mut files = vec![labels, audio];
                if let Some(score_midi) = layout.midis.get(&id) {
                    match midi::read_file_with_events(score_midi) {
                        Ok(_) => files.push(score_midi.clone()),
                        Err(e) => report(
                            &mut problems,
                            &id,
                            format!("{e} (score MIDI not used: the piece is read from its labels alone)"),
                        ),
                    }
                }
                pieces.push(PieceRef { id, split, files });
            }
        }
        carve_validation(&mut pieces, self.options.validation_fraction, self.options.seed);
        Ok((pieces, problems))
    }

    fn load(&self, piece: &PieceRef) -> Result<Piece> {
        let find = |extension: &str| {
            piece
                .files
                .iter()
                .find(|p| p.extension().is_some_and(|x| x == extension))
        };
        let labels_path = find("csv").with_context(|| format!("musicnet/{}: no label file listed", piece.id))?;
        let audio = find("wav").with_context(|| format!("musicnet/{}: no recording listed", piece.id))?;
        let text =
            std::fs::read_to_string(labels_path).with_context(|| format!("reading {}", labels_path.display()))?;
        let (labels, _) = parse_labels(&text).with_context(|| format!("reading {}", labels_path.display()))?;
        if labels.is_empty() {
            bail!("{}: no notes", labels_path.display());
        }
        // Listing only lists a score MIDI that reads; one that fails now changed since.
        let written = find("mid").map(|p| midi::read_file_with_events(p)).transpose()?;
        let (score, stated) = labelled_score(&labels, written.as_ref().map(|(s, events)| (s, *events)));
        let layout = Layout::find(&self.root);
        let mut metadata = match &layout.metadata {
            Some(path) => read_metadata(path)?.remove(&piece.id).unwrap_or_default(),
            None => BTreeMap::new(),
        };
        let names: Vec<&str> = score.parts.iter().map(|p| p.instrument.name.as_str()).collect();
        metadata.insert("instruments".to_string(), names.join(", "));
        Ok(Piece {
            id: format!("musicnet/{}", piece.id),
            source: "musicnet".to_string(),
            split: piece.split,
            score,
            stated,
            audio: Some(audio.clone()),
            metadata,
        })
    }
}

/// The score of a labelled recording (see the module doc): metre, key and pickup from
/// the score MIDI `written` as far as its `SourceEvents` say it states them. Also says
/// which of metre and key are stated.
pub fn labelled_score(labels: &[Label], written: Option<(&Score, SourceEvents)>) -> (Score, SourceEvents) {
    let tpq = TICKS_PER_QUARTER;
    let mut score = Score::new(tpq);
    let mut stated = SourceEvents::default();
    if let Some((written, events)) = written {
        let rescale = |tick: u64| tick * u64::from(tpq) / u64::from(written.ticks_per_quarter.max(1));
        score.title.clone_from(&written.title);
        if events.key_signature {
            score.key_signatures = written
                .key_signatures
                .iter()
                .map(|k| KeyChange {
                    tick: rescale(k.tick),
                    ..*k
                })
                .collect();
            stated.key_signature = true;
        }
        if let Some((pickup, metres)) = events.time_signature.then(|| stated_metre(written)).flatten() {
            score.time_signatures = metres
                .iter()
                .map(|t| TimeSignature {
                    tick: rescale(t.tick),
                    ..*t
                })
                .collect();
            score.pickup_ticks = rescale(pickup);
            stated.time_signature = true;
        }
    }
    let quarters_per_beat = beat_unit(labels);
    let tick = |beats: f64| (beats * quarters_per_beat * f64::from(tpq)).round() as u64;
    let anchors: Vec<Anchor> = labels
        .iter()
        .map(|l| Anchor {
            tick: tick(l.start_beat),
            seconds: l.start_sample as f64 / SAMPLE_RATE,
        })
        .collect();
    let end = labels.iter().map(|l| tick(l.start_beat + l.beats)).max().unwrap_or(0);
    let bar_lines = score.bar_lines(end);
    let full_bar = score.time_signatures[0].bar_ticks(tpq);
    let (tempo, lead_in) = match align::fit_tempo(&anchors, &bar_lines, full_bar, tpq) {
        Some(fit) => (fit.tempo, fit.lead_in),
        None => (TempoMap::constant(500_000), 0),
    };
    score.tempo = tempo;
    for change in score.time_signatures.iter_mut().filter(|t| t.tick > 0) {
        change.tick += lead_in;
    }
    for change in score.key_signatures.iter_mut().filter(|k| k.tick > 0) {
        change.tick += lead_in;
    }
    let mut by_program: BTreeMap<u8, Vec<Note>> = BTreeMap::new();
    for l in labels {
        let start = tick(l.start_beat);
        let duration = tick(l.start_beat + l.beats).saturating_sub(start).max(1);
        by_program.entry(l.program).or_default().push(Note {
            start: start + lead_in,
            duration,
            pitch: l.pitch,
            velocity: VELOCITY,
        });
    }
    score.parts = by_program
        .into_iter()
        .map(|(program, mut notes)| {
            notes.sort_by_key(|n| (n.start, n.pitch));
            notes.dedup_by_key(|n| (n.start, n.pitch));
            let instrument = Instrument::from_program(program);
            Part {
                name: Some(instrument.name.clone()),
                instrument,
                channel: None,
                is_drum: false,
                notes,
            }
        })
        .collect();
    (score, stated)
}

/// The pickup and metres a score MIDI states, or `None` when it states no metre at all.
///
/// A first signature of one beat per bar (`1/8`, `1/4`) followed by another signature
/// within one bar of that one is a pickup of that length, whatever the MIDI reader made
/// of it (it keeps two or more bars of a first signature as real bars); one-beat bars
/// throughout are no metre (the pickup spelled without the metre after it). Every other
/// MIDI's metre is taken as read.
fn stated_metre(written: &Score) -> Option<(u64, Vec<TimeSignature>)> {
    let metres = &written.time_signatures;
    let one_beat = |t: &TimeSignature| t.numerator == 1;
    match (metres.first(), metres.get(1)) {
        (Some(first), Some(next))
            if written.pickup_ticks == 0
                && one_beat(first)
                && next.tick < next.bar_ticks(written.ticks_per_quarter) =>
        {
            let mut rest = metres[1..].to_vec();
            rest[0].tick = 0;
            Some((next.tick, rest))
        }
        (Some(first), None) if one_beat(first) => None,
        _ => Some((written.pickup_ticks, metres.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelled_scores_put_bars_where_they_are_heard() {
        // One beat per second, a bar of 4/4 every 4 s; the first note starts at beat 0, 1 s in.
        let label = |beat: f64, second: f64| Label {
            start_sample: (second * SAMPLE_RATE) as u64,
            end_sample: ((second + 0.5) * SAMPLE_RATE) as u64,
            program: 40,
            pitch: 60,
            start_beat: beat,
            beats: 1.0,
            value_quarters: Some(1.0),
        };
        let labels = [label(0.0, 1.0), label(4.0, 5.0), label(8.0, 9.5)];
        let (score, stated) = labelled_score(&labels, None);
        assert_eq!(stated, SourceEvents::default());
        // 1 s of silence is a quarter of a bar: no lead-in; the first knot moves to 0 s.
        let starts: Vec<u64> = score.parts[0].notes.iter().map(|n| n.start).collect();
        assert_eq!(starts, vec![0, 1920, 3840]);
        assert_eq!(score.seconds_at(1920), 5.0);
        assert_eq!(score.seconds_at(3840), 9.5);
        assert_eq!(score.parts[0].instrument.name, "Violin");
    }

    fn metre(tick: u64, numerator: u8, denominator: u8) -> TimeSignature {
        TimeSignature {
            tick,
            numerator,
            denominator,
        }
    }

    fn written(pickup_ticks: u64, time_signatures: Vec<TimeSignature>) -> Score {
        Score {
            pickup_ticks,
            time_signatures,
            ..Score::new(480)
        }
    }

    #[test]
    fn a_one_beat_first_bar_is_a_pickup_and_never_the_metre() {
        // Two eighths under a 1/8 signature before 3/4: the MIDI reader keeps two bars of
        // 1/8; it is a pickup of a quarter.
        let two_eighths = written(0, vec![metre(0, 1, 8), metre(480, 3, 4)]);
        assert_eq!(stated_metre(&two_eighths), Some((480, vec![metre(0, 3, 4)])));
        // A 1/8 signature and nothing after it states no metre.
        assert_eq!(stated_metre(&written(0, vec![metre(0, 1, 8)])), None);
        // Real bars stay: two bars of 3/8 before 2/2, a pickup the reader found, and a
        // long stretch of one-beat bars.
        for score in [
            written(0, vec![metre(0, 3, 8), metre(1440, 2, 2)]),
            written(240, vec![metre(0, 3, 4)]),
            written(0, vec![metre(0, 1, 4), metre(1920, 3, 4)]),
        ] {
            assert_eq!(
                stated_metre(&score),
                Some((score.pickup_ticks, score.time_signatures.clone()))
            );
        }
    }

    #[test]
    fn half_note_beats_are_read_as_half_notes() {
        // 2/2 labels: a quarter note lasts half a beat; beats 0, 0.5, 1 are quarters 0, 1, 2.
        let label = |beat: f64, second: f64| Label {
            start_sample: (second * SAMPLE_RATE) as u64,
            end_sample: ((second + 0.4) * SAMPLE_RATE) as u64,
            program: 0,
            pitch: 60,
            start_beat: beat,
            beats: 0.5,
            value_quarters: Some(1.0),
        };
        let labels = [label(0.0, 0.0), label(0.5, 0.5), label(1.0, 1.0), label(2.0, 2.0)];
        let (score, _) = labelled_score(&labels, None);
        let notes: Vec<(u64, u64)> = score.parts[0].notes.iter().map(|n| (n.start, n.duration)).collect();
        assert_eq!(notes, vec![(0, 480), (480, 480), (960, 480), (1920, 480)]);
        assert_eq!(score.seconds_at(1920), 2.0);
    }
}
