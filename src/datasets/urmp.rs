//! The URMP dataset (University of Rochester Multi-Modal Music Performance), in its
//! published layout: a `Dataset/` folder (or the root itself) with one folder per piece,
//! e.g. `01_Jupiter_vn_vc/`, holding
//! - `Sco_01_Jupiter_vn_vc.mid`: the score, *not* aligned with the recording;
//! - `AuMix_01_Jupiter_vn_vc.wav`: the mixture (48 kHz);
//! - `AuSep_<k>_<code>_01_Jupiter.wav`: each instrument alone (not read here);
//! - `Notes_<k>_<code>_01_Jupiter.txt`: the performed notes of part k, one per line:
//!   onset (s), mean f0 (Hz), duration (s), separated by white space;
//! - `F0s_<k>_<code>_01_Jupiter.txt`: a 10 ms f0 track (not read here).
//!
//! The folder of extra material (takes, videos), published as `Supplementary_Files/` and
//! seen as `Supplementary/` or `Supplementary Files/` in re-packagings, is skipped (see
//! `is_supplementary`). Part k plays the k-th instrument
//! code of the folder name; codes map to names and General MIDI programs in
//! `urmp_instruments.csv`. Where the dataset's file names contradict the folder name
//! (piece 15's third part is a trombone whose files say `tpt`), `urmp_overrides.csv`
//! says so: the only place such quirks live. Files renamed to the folder's code are
//! found too.
//!
//! The piece's `Score` is built so that its seconds are the recording's:
//! 1. each score track k (folder-name order) is matched to the performed notes of part k
//!    (`align::match_notes`: same pitch, in order, near in normalised time);
//! 2. matched pairs give (score tick, heard onset) anchors, and a tempo map is fitted
//!    through those on the score's bar lines (`align::fit_tempo`): bars are where they
//!    are heard, one tempo per bar at most;
//! 3. the notes are the performed notes: a matched note keeps its score position and
//!    length (clean rhythm, heard time exact at bar lines, off by the rubato inside the
//!    bar); an unmatched one (ornaments, score/performance differences) is placed at its
//!    heard time on the fitted map;
//! 4. metre, key and pickup come from the score (stated as the score states them).
//!
//! Limits: pitches are the performed mean f0 rounded to the nearest semitone; velocities
//! are not annotated (all 80); when nothing matches (no score notes), the tempo is the
//! constant one that makes the score last as long as the performance.
//!
//! Default split: the nine test pieces MT3 used; the rest train, with a seeded
//! validation carve by piece.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};

use super::align::{self, Anchor, Onset};
use super::split::carve_validation;
use super::{Piece, PieceRef, Problem, Source, Split};
use crate::midi;
use crate::score::{Instrument, Note, Part, Score, TempoMap, gm_family};

/// Piece numbers MT3 (Gardner et al., 2022) held out for testing.
pub const MT3_TEST_PIECES: [u32; 9] = [1, 2, 12, 13, 24, 25, 31, 38, 39];

/// Velocity given to performed notes (URMP does not annotate loudness).
const VELOCITY: u8 = 80;

/// How the URMP reader splits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UrmpOptions {
    pub seed: u64,
    /// Fraction of the train pieces carved out as validation.
    pub validation_fraction: f64,
}

impl Default for UrmpOptions {
    fn default() -> Self {
        UrmpOptions {
            seed: 0,
            validation_fraction: 0.1,
        }
    }
}

/// The URMP reader.
#[derive(Debug, Clone)]
pub struct Urmp {
    root: PathBuf,
    options: UrmpOptions,
}

#[derive(Debug, serde::Deserialize)]
struct InstrumentRow {
    code: String,
    name: String,
    program: u8,
}

#[derive(Debug, serde::Deserialize)]
struct OverrideRow {
    piece: String,
    part: usize,
    file_code: String,
    instrument: String,
}

/// Parses an embedded table; its contents are fixed at compile time and tested.
fn table<T: serde::de::DeserializeOwned>(text: &str) -> Vec<T> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .unwrap_or_else(|e| panic!("embedded URMP table is malformed: {e}"))
}

fn instrument_table() -> &'static [InstrumentRow] {
    static TABLE: OnceLock<Vec<InstrumentRow>> = OnceLock::new();
    TABLE.get_or_init(|| table(include_str!("urmp_instruments.csv")))
}

fn override_table() -> &'static [OverrideRow] {
    static TABLE: OnceLock<Vec<OverrideRow>> = OnceLock::new();
    TABLE.get_or_init(|| table(include_str!("urmp_overrides.csv")))
}

/// The instrument a URMP code stands for, labelled with the code.
pub fn instrument(code: &str) -> Option<Instrument> {
    instrument_table()
        .iter()
        .find(|row| row.code == code)
        .map(|row| Instrument {
            program: row.program,
            name: row.name.clone(),
            family: gm_family(row.program),
            label: Some(row.code.clone()),
        })
}

/// True for the folder of extra material beside the piece folders: any name that starts
/// with `supplementary`, whatever its case (`Supplementary_Files`, `Supplementary`,
/// `supplementary files`). No piece folder can start so: they start with their number.
fn is_supplementary(folder: &str) -> bool {
    folder
        .get(.."supplementary".len())
        .is_some_and(|head| head.eq_ignore_ascii_case("supplementary"))
}

/// A piece folder name taken apart: `01_Jupiter_vn_vc`.
#[derive(Debug, Clone, PartialEq)]
struct FolderName {
    folder: String,
    /// The number as written (`01`), which file names repeat.
    number_text: String,
    number: u32,
    title: String,
    codes: Vec<String>,
}

impl FolderName {
    fn parse(folder: &str) -> Option<FolderName> {
        let mut fields = folder.split('_');
        let number_text = fields.next()?.to_string();
        let number = number_text
            .parse()
            .ok()
            .filter(|_| number_text.bytes().all(|b| b.is_ascii_digit()))?;
        let title = fields.next()?.to_string();
        let codes: Vec<String> = fields.map(str::to_string).collect();
        (!codes.is_empty() && !title.is_empty()).then(|| FolderName {
            folder: folder.to_string(),
            number_text,
            number,
            title,
            codes,
        })
    }

    /// (code in the file names, instrument code) of part `k` (1-based).
    fn part_codes(&self, k: usize) -> (String, String) {
        let named = self.codes[k - 1].clone();
        match override_table().iter().find(|o| o.piece == self.folder && o.part == k) {
            Some(o) => (o.file_code.clone(), o.instrument.clone()),
            None => (named.clone(), named),
        }
    }
}

/// The files of one piece that the reader uses.
#[derive(Debug, Clone)]
struct PieceFiles {
    score: PathBuf,
    mix: PathBuf,
    notes: Vec<PathBuf>,
    instruments: Vec<Instrument>,
}

impl PieceFiles {
    /// Finds the files; the error lists every missing file or unknown code.
    fn locate(dir: &Path, name: &FolderName) -> Result<PieceFiles, Vec<String>> {
        let mut missing = Vec::new();
        let need = |path: PathBuf, missing: &mut Vec<String>| {
            if !path.is_file() {
                missing.push(format!("missing {}", path.display()));
            }
            path
        };
        let score = need(dir.join(format!("Sco_{}.mid", name.folder)), &mut missing);
        let mix = need(dir.join(format!("AuMix_{}.wav", name.folder)), &mut missing);
        let mut notes = Vec::new();
        let mut instruments = Vec::new();
        for k in 1..=name.codes.len() {
            let (file_code, code) = name.part_codes(k);
            let file = |c: &str| dir.join(format!("Notes_{k}_{c}_{}_{}.txt", name.number_text, name.title));
            let found = [file(&file_code), file(&code)].into_iter().find(|p| p.is_file());
            notes.push(found.unwrap_or_else(|| need(file(&file_code), &mut missing)));
            match instrument(&code) {
                Some(i) => instruments.push(i),
                None => missing.push(format!("unknown instrument code `{code}` for part {k}")),
            }
        }
        if missing.is_empty() {
            Ok(PieceFiles {
                score,
                mix,
                notes,
                instruments,
            })
        } else {
            Err(missing)
        }
    }
}

/// One performed note of a `Notes_` file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerformedNote {
    onset: f64,
    f0: f64,
    duration: f64,
}

impl PerformedNote {
    fn pitch(&self) -> u8 {
        (69.0 + 12.0 * (self.f0 / 440.0).log2()).round().clamp(0.0, 127.0) as u8
    }
}

/// A line of a `Notes_` file that does not parse: its 1-based number and why.
pub type BadLine = (usize, String);

/// Parses a `Notes_` file: the notes, and (1-based line, problem) for lines that are not
/// three numbers with onset >= 0, f0 > 0 and duration > 0. Blank lines are skipped.
pub fn parse_notes(text: &str) -> (Vec<PerformedNote>, Vec<BadLine>) {
    let mut notes = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let values: Vec<Option<f64>> = line
            .split_whitespace()
            .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
            .collect();
        match values.as_slice() {
            [Some(onset), Some(f0), Some(duration)] if *onset >= 0.0 && *f0 > 0.0 && *duration > 0.0 => {
                notes.push(PerformedNote {
                    onset: *onset,
                    f0: *f0,
                    duration: *duration,
                });
            }
            _ => problems.push((
                index + 1,
                format!("expected `onset f0 duration` (s, Hz > 0, s > 0), got `{line}`"),
            )),
        }
    }
    notes.sort_by(|a, b| a.onset.total_cmp(&b.onset));
    (notes, problems)
}

fn read_notes(path: &Path) -> Result<(Vec<PerformedNote>, Vec<BadLine>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(parse_notes(&text))
}

impl Urmp {
    pub fn new(root: impl Into<PathBuf>, options: UrmpOptions) -> Self {
        Urmp {
            root: root.into(),
            options,
        }
    }

    /// The folder holding the piece folders: `Dataset/` when the root has one.
    fn dataset_dir(&self) -> PathBuf {
        let nested = self.root.join("Dataset");
        if nested.is_dir() { nested } else { self.root.clone() }
    }

    /// Lists one piece folder, reporting what is wrong; `None` when it cannot be used.
    fn list_piece(&self, dir: &Path, name: &FolderName, problems: &mut Vec<Problem>) -> Option<PieceRef> {
        let report = |problems: &mut Vec<Problem>, message: String| {
            problems.push(Problem {
                item: format!("urmp/{}", name.folder),
                message,
            });
        };
        let files = match PieceFiles::locate(dir, name) {
            Ok(files) => files,
            Err(missing) => {
                missing
                    .into_iter()
                    .for_each(|m| report(problems, format!("{m} (piece skipped)")));
                return None;
            }
        };
        match midi::read_file(&files.score) {
            Err(e) => {
                report(problems, format!("{e} (piece skipped)"));
                return None;
            }
            Ok(score) if score.parts.len() != name.codes.len() => report(
                problems,
                format!(
                    "{} has {} parts with notes for {} instruments: parts are matched by position",
                    files.score.display(),
                    score.parts.len(),
                    name.codes.len()
                ),
            ),
            Ok(_) => {}
        }
        for path in &files.notes {
            match read_notes(path) {
                Err(e) => report(problems, format!("{e:#}")),
                Ok((notes, bad)) => {
                    for (line, message) in bad {
                        report(problems, format!("{}:{line}: {message} (line skipped)", path.display()));
                    }
                    if notes.is_empty() {
                        report(problems, format!("{} has no notes", path.display()));
                    }
                }
            }
        }
        let split = if MT3_TEST_PIECES.contains(&name.number) {
            Split::Test
        } else {
            Split::Train
        };
        let mut all = vec![files.score];
        all.extend(files.notes);
        all.push(files.mix);
        Some(PieceRef {
            id: name.folder.clone(),
            split,
            files: all,
        })
    }
}

impl Source for Urmp {
    fn name(&self) -> &str {
        "urmp"
    }

    fn list(&self) -> Result<(Vec<PieceRef>, Vec<Problem>)> {
        let dir = self.dataset_dir();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("listing the URMP folder {}", dir.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .with_context(|| format!("listing the URMP folder {}", dir.display()))?;
        entries.sort();
        let mut pieces = Vec::new();
        let mut problems = Vec::new();
        for path in entries.iter().filter(|p| p.is_dir()) {
            let folder = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if is_supplementary(&folder) || folder.starts_with('.') {
                continue;
            }
            match FolderName::parse(&folder) {
                Some(name) => pieces.extend(self.list_piece(path, &name, &mut problems)),
                None => problems.push(Problem {
                    item: path.display().to_string(),
                    message: "not a URMP piece folder (expected `NN_Title_code_code...`); skipped".to_string(),
                }),
            }
        }
        carve_validation(&mut pieces, self.options.validation_fraction, self.options.seed);
        Ok((pieces, problems))
    }

    fn load(&self, piece: &PieceRef) -> Result<Piece> {
        let name = FolderName::parse(&piece.id).with_context(|| format!("`{}` is not a URMP piece id", piece.id))?;
        let dir = self.dataset_dir().join(&name.folder);
        let files = PieceFiles::locate(&dir, &name).map_err(|missing| anyhow::anyhow!(missing.join("; ")))?;
        let (written, stated) = midi::read_file_with_events(&files.score)?;
        let performed = files
            .notes
            .iter()
            .map(|path| read_notes(path).map(|(notes, _)| notes))
            .collect::<Result<Vec<_>>>()?;
        if performed.iter().all(Vec::is_empty) {
            bail!("{}: no performed notes in any Notes_ file", dir.display());
        }
        let mut score = aligned_score(&written, &performed, &files.instruments);
        score.title = Some(name.title.clone());
        let mut metadata = BTreeMap::new();
        metadata.insert("number".to_string(), name.number.to_string());
        metadata.insert("title".to_string(), name.title.clone());
        metadata.insert("codes".to_string(), name.codes.join(" "));
        let names: Vec<&str> = files.instruments.iter().map(|i| i.name.as_str()).collect();
        metadata.insert("instruments".to_string(), names.join(", "));
        Ok(Piece {
            id: format!("urmp/{}", name.folder),
            source: "urmp".to_string(),
            split: piece.split,
            score,
            stated,
            audio: Some(files.mix),
            metadata,
        })
    }
}

/// The performed notes on the written score's bars (see the module doc).
fn aligned_score(written: &Score, performed: &[Vec<PerformedNote>], instruments: &[Instrument]) -> Score {
    let onsets = |notes: &[Note]| -> Vec<Onset> {
        notes
            .iter()
            .map(|n| Onset {
                seconds: written.seconds_at(n.start),
                pitch: n.pitch,
            })
            .collect()
    };
    let heard = |notes: &[PerformedNote]| -> Vec<Onset> {
        notes
            .iter()
            .map(|n| Onset {
                seconds: n.onset,
                pitch: n.pitch(),
            })
            .collect()
    };
    let pairs: Vec<Vec<(usize, usize)>> = performed
        .iter()
        .enumerate()
        .map(|(k, notes)| {
            written
                .parts
                .get(k)
                .map_or_else(Vec::new, |p| align::match_notes(&onsets(&p.notes), &heard(notes)))
        })
        .collect();
    let anchors: Vec<Anchor> = pairs
        .iter()
        .enumerate()
        .flat_map(|(k, part)| {
            part.iter().map(move |&(s, p)| Anchor {
                tick: written.parts[k].notes[s].start,
                seconds: performed[k][p].onset,
            })
        })
        .collect();
    let tpq = written.ticks_per_quarter;
    let bar_lines = written.bar_lines(written.end_tick());
    let full_bar = written.time_signatures[0].bar_ticks(tpq);
    let (tempo, lead_in) = match align::fit_tempo(&anchors, &bar_lines, full_bar, tpq) {
        Some(fit) => (fit.tempo, fit.lead_in),
        None => (stretched_tempo(written, performed), 0),
    };

    let mut score = written.clone();
    score.tempo = tempo;
    for change in score.time_signatures.iter_mut().filter(|t| t.tick > 0) {
        change.tick += lead_in;
    }
    for change in score.key_signatures.iter_mut().filter(|k| k.tick > 0) {
        change.tick += lead_in;
    }
    score.parts = performed
        .iter()
        .zip(instruments)
        .enumerate()
        .map(|(k, (notes, instrument))| {
            let matched: BTreeMap<usize, usize> = pairs[k].iter().map(|&(s, p)| (p, s)).collect();
            let mut part_notes: Vec<Note> = notes
                .iter()
                .enumerate()
                .map(|(p, played)| match matched.get(&p) {
                    Some(&s) => {
                        let at = written.parts[k].notes[s];
                        Note {
                            start: at.start + lead_in,
                            pitch: played.pitch(),
                            velocity: VELOCITY,
                            ..at
                        }
                    }
                    None => {
                        let start = score.tick_at(played.onset);
                        let end = score.tick_at(played.onset + played.duration).max(start + 1);
                        Note {
                            start,
                            duration: end - start,
                            pitch: played.pitch(),
                            velocity: VELOCITY,
                        }
                    }
                })
                .collect();
            part_notes.sort_by_key(|n| (n.start, n.pitch));
            Part {
                name: Some(instrument.name.clone()),
                instrument: instrument.clone(),
                channel: None,
                is_drum: false,
                notes: part_notes,
            }
        })
        .collect();
    score
}

/// The constant tempo that makes the written score end when the performance ends.
fn stretched_tempo(written: &Score, performed: &[Vec<PerformedNote>]) -> TempoMap {
    let heard_end = performed
        .iter()
        .flatten()
        .map(|n| n.onset + n.duration)
        .fold(0.0, f64::max);
    let end = written.end_tick();
    if end == 0 {
        return written.tempo.clone();
    }
    let quarters = end as f64 / f64::from(written.ticks_per_quarter);
    TempoMap::constant((heard_end * 1e6 / quarters).round().clamp(1.0, f64::from(u32::MAX)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse_and_cover_every_code() {
        let programs: Vec<u8> = [
            "vn", "va", "vc", "db", "fl", "ob", "cl", "sax", "bn", "tpt", "hn", "tbn", "tba",
        ]
        .iter()
        .map(|c| instrument(c).map_or(255, |i| i.program))
        .collect();
        assert_eq!(programs, vec![40, 41, 42, 43, 73, 68, 71, 65, 70, 56, 60, 57, 58]);
        assert_eq!(instrument("db").map(|i| i.name), Some("Double Bass".to_string()));
        assert_eq!(override_table().len(), 1);
    }

    #[test]
    fn folder_names_and_overrides() {
        let name = FolderName::parse("15_Surprise_tpt_tpt_tbn").expect("parses");
        assert_eq!(
            (name.number, name.title.as_str(), name.codes.len()),
            (15, "Surprise", 3)
        );
        assert_eq!(name.part_codes(3), ("tpt".to_string(), "tbn".to_string()));
        assert_eq!(name.part_codes(1), ("tpt".to_string(), "tpt".to_string()));
        assert_eq!(FolderName::parse("Supplementary"), None);
        for folder in ["Supplementary_Files", "Supplementary", "supplementary files"] {
            assert!(is_supplementary(folder), "{folder}");
        }
        assert!(!is_supplementary("01_Supplementary_vn_vc"));
        assert!(!is_supplementary("Supp"));
        assert_eq!(FolderName::parse("01_Jupiter"), None);
    }

    #[test]
    fn notes_lines_parse_or_are_reported() {
        let (notes, bad) = parse_notes("0.5\t440.0\t0.25\n\n1.0 261.63 0.5\nx 1 2\n2.0 0 1\n");
        assert_eq!(notes.len(), 2);
        assert_eq!((notes[0].pitch(), notes[1].pitch()), (69, 60));
        assert_eq!(bad.iter().map(|(line, _)| *line).collect::<Vec<_>>(), vec![4, 5]);
    }
}
