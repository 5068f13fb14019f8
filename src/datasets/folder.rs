//! A plain folder of pieces: `name.mid` (or `.midi`, `.smf`) next to
//! `name.wav|flac|mp3|ogg`, anywhere below the root. The MIDI file is taken to be aligned
//! with its recording (its tempo map gives the audio's seconds); metre and key are stated
//! as the file states them.
//!
//! The folder is searched by `crate::inputs`' rules, as every command searches one:
//! symbolic links followed and a link loop an error, extensions in any case (`A.MID`
//! beside `A.Wav` is a piece), sorted by path, and two MIDI files with one id (`a.mid`
//! and `a.MID`) both refused naming each other. A piece's id is its MIDI file's path
//! below the root without the extension, `/`-separated.
//!
//! A MIDI file without a recording is reported and skipped, or listed without audio
//! when `allow_missing_audio` is set; one with two recordings (`a.wav` and `a.flac`) is
//! reported naming both and skipped, rather than one being picked silently; a MIDI file
//! without notes or one that does not parse is reported and skipped. Recordings without
//! a MIDI file are ignored. Pieces are split by the seeded fractions of `SplitOptions`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::split::{SplitOptions, assign};
use super::{Piece, PieceRef, Problem, Source, Split};
use crate::inputs::{self, AUDIO_EXTENSIONS, Found, MIDI_EXTENSIONS, has_extension};
use crate::midi;

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

    /// The piece a MIDI file makes with the recordings that share its id; `None` when it
    /// is skipped. Why it is skipped (or listed without audio) goes to `problems`.
    fn piece(&self, midi: Found, recordings: &[PathBuf], problems: &mut Vec<Problem>) -> Option<PieceRef> {
        let id = midi.id().to_string();
        let mut report = |message: String| problems.push(Problem { item: format!("folder/{id}"), message });
        let path = &midi.path;
        match midi::read_file(path) {
            Err(e) => {
                report(format!("{e} (piece skipped)"));
                return None;
            }
            Ok(score) if score.note_count() == 0 => {
                report(format!("{} has no notes (piece skipped)", path.display()));
                return None;
            }
            Ok(_) => {}
        }
        let mut files = vec![path.clone()];
        match recordings {
            [audio] => files.push(audio.clone()),
            [] if self.options.allow_missing_audio => {
                report(format!("no recording next to {} (listed without audio)", path.display()));
            }
            [] => {
                let wanted = AUDIO_EXTENSIONS.join("|");
                report(format!("no recording next to {} (.{wanted}; piece skipped)", path.display()));
                return None;
            }
            several => {
                let names: Vec<String> = several.iter().map(|p| p.display().to_string()).collect();
                report(format!(
                    "{} are recordings of {}: keep one (piece skipped)",
                    names.join(" and "),
                    path.display()
                ));
                return None;
            }
        }
        Some(PieceRef { id, split: Split::Train, files })
    }
}

impl Source for Folder {
    fn name(&self) -> &str {
        "folder"
    }

    fn list(&self) -> Result<(Vec<PieceRef>, Vec<Problem>)> {
        if !self.root.is_dir() {
            anyhow::bail!("{} is not a folder", self.root.display());
        }
        let extensions = [&MIDI_EXTENSIONS[..], &AUDIO_EXTENSIONS[..]].concat();
        let (midis, audio): (Vec<Found>, Vec<Found>) = inputs::files_under(&self.root, &extensions)?
            .into_iter()
            .partition(|found| has_extension(&found.path, &MIDI_EXTENSIONS));
        let mut recordings: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for found in audio {
            recordings.entry(found.id().to_string()).or_default().push(found.path);
        }
        let (midis, mut problems) =
            inputs::unique_ids(midis, |found| found.id().to_string(), |found| found.path.display().to_string());
        let mut pieces = Vec::new();
        for midi in midis {
            let audio = recordings.get(midi.id()).map_or(&[][..], Vec::as_slice);
            pieces.extend(self.piece(midi, audio, &mut problems));
        }
        assign(&mut pieces, &self.options.split);
        Ok((pieces, problems))
    }

    fn load(&self, piece: &PieceRef) -> Result<Piece> {
        let midi_path = piece
            .files
            .iter()
            .find(|p| has_extension(p, &MIDI_EXTENSIONS))
            .with_context(|| format!("folder/{}: no MIDI file listed", piece.id))?;
        let (score, stated) = midi::read_file_with_events(midi_path)?;
        let audio = piece.files.iter().find(|p| !has_extension(p, &MIDI_EXTENSIONS)).cloned();
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
