//! A plain folder of pieces: `name.mid` (or `.midi`) next to `name.wav|flac|mp3|ogg`,
//! anywhere below the root. The MIDI file is taken to be aligned with its recording
//! (its tempo map gives the audio's seconds); metre and key are stated as the file
//! states them.
//!
//! A MIDI file without a recording is reported and skipped, or listed without audio
//! when `allow_missing_audio` is set; a MIDI file without notes or one that does not
//! parse is reported and skipped. Recordings without a MIDI file are ignored. Pieces are
//! split by the seeded fractions of `SplitOptions`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::split::{SplitOptions, assign};
use super::{Piece, PieceRef, Problem, Source, Split};
use crate::midi;

/// Audio extensions looked for next to a MIDI file, in order of preference.
pub const AUDIO_EXTENSIONS: [&str; 4] = ["wav", "flac", "mp3", "ogg"];

/// How the folder reader lists and splits.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FolderOptions {
    pub split: SplitOptions,
    /// List MIDI files that have no recording (their pieces have no audio).
    pub allow_missing_audio: bool,
}

/// The plain-folder reader.
#[derive(Debug, Clone)]
pub struct Folder {
    root: PathBuf,
    options: FolderOptions,
}

impl Folder {
    pub fn new(root: impl Into<PathBuf>, options: FolderOptions) -> Self {
        Folder {
            root: root.into(),
            options,
        }
    }

    /// The piece id of a MIDI file: its path below the root without extension, `/`-separated.
    fn id(&self, midi: &Path) -> String {
        let relative = midi.strip_prefix(&self.root).unwrap_or(midi).with_extension("");
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The recording next to a MIDI file, if any.
fn audio_for(midi: &Path) -> Option<PathBuf> {
    AUDIO_EXTENSIONS
        .iter()
        .map(|x| midi.with_extension(x))
        .find(|p| p.is_file())
}

fn is_midi(path: &Path) -> bool {
    path.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("mid") || x.eq_ignore_ascii_case("midi"))
}

impl Source for Folder {
    fn name(&self) -> &str {
        "folder"
    }

    fn list(&self) -> Result<(Vec<PieceRef>, Vec<Problem>)> {
        if !self.root.is_dir() {
            anyhow::bail!("{} is not a folder", self.root.display());
        }
        let mut pieces = Vec::new();
        let mut problems = Vec::new();
        for entry in walkdir::WalkDir::new(&self.root).sort_by_file_name() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    problems.push(Problem {
                        item: self.root.display().to_string(),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let path = entry.path();
            if !entry.file_type().is_file() || !is_midi(path) {
                continue;
            }
            let id = self.id(path);
            let report = |problems: &mut Vec<Problem>, message: String| {
                problems.push(Problem {
                    item: format!("folder/{id}"),
                    message,
                });
            };
            match midi::read_file(path) {
                Err(e) => {
                    report(&mut problems, format!("{e} (piece skipped)"));
                    continue;
                }
                Ok(score) if score.note_count() == 0 => {
                    report(
                        &mut problems,
                        format!("{} has no notes (piece skipped)", path.display()),
                    );
                    continue;
                }
                Ok(_) => {}
            }
            let mut files = vec![path.to_path_buf()];
            match audio_for(path) {
                Some(audio) => files.push(audio),
                None if self.options.allow_missing_audio => {
                    report(
                        &mut problems,
                        format!("no recording next to {} (listed without audio)", path.display()),
                    );
                }
                None => {
                    let wanted = AUDIO_EXTENSIONS.join("|");
                    report(
                        &mut problems,
                        format!("no recording next to {} (.{wanted}; piece skipped)", path.display()),
                    );
                    continue;
                }
            }
            pieces.push(PieceRef {
                id,
                split: Split::Train,
                files,
            });
        }
        assign(&mut pieces, &self.options.split);
        Ok((pieces, problems))
    }

    fn load(&self, piece: &PieceRef) -> Result<Piece> {
        let midi_path = piece
            .files
            .iter()
            .find(|p| is_midi(p))
            .with_context(|| format!("folder/{}: no MIDI file listed", piece.id))?;
        let (score, stated) = midi::read_file_with_events(midi_path)?;
        let audio = piece.files.iter().find(|p| !is_midi(p)).cloned();
        let mut metadata = BTreeMap::new();
        metadata.insert("midi".to_string(), midi_path.display().to_string());
        let names: Vec<&str> = score.parts.iter().map(|p| p.instrument.name.as_str()).collect();
        metadata.insert("instruments".to_string(), names.join(", "));
        Ok(Piece {
            id: format!("folder/{}", piece.id),
            source: "folder".to_string(),
            split: piece.split,
            score,
            stated,
            audio,
            metadata,
        })
    }
}
