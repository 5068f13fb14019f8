//! The MusicNet dataset, in its published layout:
//! - `{train,test}_data/<id>.wav`: recordings at 44.1 kHz;
//! - `{train,test}_labels/<id>.csv`: one note per row, columns
//!   `start_time,end_time,instrument,note,start_beat,end_beat,note_value`: times are
//!   sample indices at 44.1 kHz, `instrument` a 1-based General MIDI program, `note` a
//!   MIDI pitch, `start_beat` the score position in beats and `end_beat` (despite its
//!   name) the note's length in beats;
//! - `musicnet_metadata.csv`: `id,composer,composition,movement,ensemble,...`;
//! - optionally `musicnet_midis/<Composer>/<id>_<name>.mid`: the scores.
//!
//! The common re-packaging that nests it all one level deeper (`musicnet/musicnet/...`,
//! `musicnet_midis/musicnet_midis/...`, metadata at the top) is accepted too.
//!
//! The labels are aligned to the recording, so the `Score` is built from them: a note
//! starts at tick `start_beat * 480` (a beat is taken to be a quarter note, as in the MIDI
//! scores the labels come from) and lasts `end_beat * 480` ticks; a tempo map is fitted
//! through (beat, start_time) anchors on the bar lines (`align::fit_tempo`), so bar lines
//! are heard exactly where the labels say and notes inside a bar are off by the rubato in
//! that bar. One part per instrument program (MusicNet does not tell two violins apart).
//! Metre, key and pickup come from the MIDI score when there is one (stated), else they
//! are not stated (4/4, C major placeholders). Velocities are not labelled (all 80).
//!
//! MusicNet's own train/test split is kept; validation is carved from train by piece.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::align::{self, Anchor};
use super::split::carve_validation;
use super::{Piece, PieceRef, Problem, Source, Split};
use crate::midi;
use crate::score::{Instrument, Note, Part, Score, SourceEvents, TempoMap};

/// Sample rate of MusicNet's recordings and of its label times.
pub const SAMPLE_RATE: f64 = 44_100.0;
/// Resolution of the scores built from labels.
const TICKS_PER_QUARTER: u32 = 480;
/// Velocity given to labelled notes (MusicNet does not label loudness).
const VELOCITY: u8 = 80;
/// The label columns, in order.
const COLUMNS: [&str; 7] = [
    "start_time",
    "end_time",
    "instrument",
    "note",
    "start_beat",
    "end_beat",
    "note_value",
];

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

/// One row of a label file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Label {
    pub start_sample: u64,
    pub end_sample: u64,
    /// 0-based General MIDI program.
    pub program: u8,
    pub pitch: u8,
    pub start_beat: f64,
    pub beats: f64,
}

/// A label row that did not parse: its 1-based line in the file and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub problem: String,
}

/// Parses a label file: the labels in file order and the rows that do not parse. A header
/// other than MusicNet's is an error.
pub fn parse_labels(text: &str) -> Result<(Vec<Label>, Vec<BadRow>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .context("reading the header")?
        .iter()
        .map(str::to_string)
        .collect();
    if header.iter().map(String::as_str).ne(COLUMNS) {
        bail!("the header is `{}`, expected `{}`", header.join(","), COLUMNS.join(","));
    }
    let mut labels = Vec::new();
    let mut bad = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                match label(&record) {
                    Ok(l) => labels.push(l),
                    Err(problem) => bad.push(BadRow { line, problem }),
                }
            }
            Err(e) => bad.push(BadRow {
                line: e.position().map_or(0, |p| p.line()),
                problem: e.to_string(),
            }),
        }
    }
    Ok((labels, bad))
}

fn label(record: &csv::StringRecord) -> Result<Label, String> {
    if record.len() != COLUMNS.len() {
        return Err(format!("{} fields, expected {}", record.len(), COLUMNS.len()));
    }
    fn field<T: std::str::FromStr>(record: &csv::StringRecord, i: usize) -> Result<T, String> {
        let text = record.get(i).unwrap_or_default().trim();
        text.parse()
            .map_err(|_| format!("{} `{text}` is not a number of the expected kind", COLUMNS[i]))
    }
    let (start_sample, end_sample): (u64, u64) = (field(record, 0)?, field(record, 1)?);
    let instrument: u16 = field(record, 2)?;
    let pitch: u8 = field(record, 3)?;
    let (start_beat, beats): (f64, f64) = (field(record, 4)?, field(record, 5)?);
    if end_sample <= start_sample {
        return Err(format!("end_time {end_sample} is not after start_time {start_sample}"));
    }
    if !(1..=128).contains(&instrument) {
        return Err(format!(
            "instrument {instrument} is not a 1-based General MIDI program (1-128)"
        ));
    }
    if pitch > 127 {
        return Err(format!("note {pitch} is not a MIDI pitch (0-127)"));
    }
    if !(start_beat.is_finite() && start_beat >= 0.0 && beats.is_finite() && beats >= 0.0) {
        return Err(format!("start_beat {start_beat} and end_beat {beats} must be >= 0"));
    }
    Ok(Label {
        start_sample,
        end_sample,
        program: (instrument - 1) as u8,
        pitch,
        start_beat,
        beats,
    })
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
                files.extend(layout.midis.get(&id).cloned());
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
        let written = find("mid").map(|p| midi::read_file_with_events(p)).transpose()?;
        let (score, stated) = labelled_score(&labels, written.as_ref().map(|(s, _)| s));
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

/// The score of a labelled recording (see the module doc); metre, key and pickup from
/// `written` when given. Also says which of metre and key are stated.
pub fn labelled_score(labels: &[Label], written: Option<&Score>) -> (Score, SourceEvents) {
    let tpq = TICKS_PER_QUARTER;
    let mut score = Score::new(tpq);
    let mut stated = SourceEvents::default();
    if let Some(written) = written {
        let rescale = |tick: u64| tick * u64::from(tpq) / u64::from(written.ticks_per_quarter.max(1));
        score.time_signatures = written
            .time_signatures
            .iter()
            .map(|t| crate::score::TimeSignature {
                tick: rescale(t.tick),
                ..*t
            })
            .collect();
        score.key_signatures = written
            .key_signatures
            .iter()
            .map(|k| crate::score::KeyChange {
                tick: rescale(k.tick),
                ..*k
            })
            .collect();
        score.pickup_ticks = rescale(written.pickup_ticks);
        score.title.clone_from(&written.title);
        stated = SourceEvents {
            time_signature: true,
            key_signature: true,
        };
    }
    let tick = |beats: f64| (beats * f64::from(tpq)).round() as u64;
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

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "start_time,end_time,instrument,note,start_beat,end_beat,note_value\n";

    #[test]
    fn rows_parse_and_bad_rows_name_their_line() {
        let text = format!(
            "{HEADER}9182,90078,43,53,4.0,1.5,Dotted Quarter\n9182,x,43,53,4.0,1.5,Quarter\n\
             100,50,43,53,4.0,1.0,Quarter\n100,200,0,53,4.0,1.0,Quarter\n100,200,1,53\n"
        );
        let (labels, bad) = parse_labels(&text).expect("header is right");
        assert_eq!(
            labels,
            vec![Label {
                start_sample: 9182,
                end_sample: 90078,
                program: 42,
                pitch: 53,
                start_beat: 4.0,
                beats: 1.5
            }]
        );
        let lines: Vec<u64> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        assert_eq!(bad[0].problem, "end_time `x` is not a number of the expected kind");
        assert!(parse_labels("a,b\n1,2\n").is_err());
    }

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
}
