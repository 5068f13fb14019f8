//! Question templates: several phrasings per kind, from `pipelines/qa-templates.yaml`
//! (embedded in the binary) and optionally a user file whose kinds replace the defaults.
//!
//! The YAML is strict: an unknown kind, a value that is not a list of strings and an
//! empty list are errors that name the file and the line. Answers are not templates:
//! they are fixed formats (see `super::answer`), so that they stay checkable.

use std::fmt;
use std::path::Path;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::QaKind;

/// The default templates, as shipped in `pipelines/qa-templates.yaml`.
pub const DEFAULT_TEMPLATES: &str = include_str!("../../pipelines/qa-templates.yaml");

/// The phrasings of every kind of question, each list non-empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    tempo: Vec<String>,
    metre: Vec<String>,
    key: Vec<String>,
    instruments: Vec<String>,
    instrument_count: Vec<String>,
    transcription: Vec<String>,
}

/// Why templates could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplatesError {
    /// `origin` is the file (or `embedded defaults`); the message names the line.
    #[error("{origin}: {message}")]
    Yaml { origin: String, message: String },
    #[error("reading {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// The file as written: every kind optional, so that a user file may name only some.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatesFile {
    tempo: Option<Phrasings>,
    metre: Option<Phrasings>,
    key: Option<Phrasings>,
    instruments: Option<Phrasings>,
    instrument_count: Option<Phrasings>,
    transcription: Option<Phrasings>,
}

/// A non-empty list of phrasings (checked while deserializing, so the error has a line).
#[derive(Debug)]
struct Phrasings(Vec<String>);

impl<'de> Deserialize<'de> for Phrasings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(PhrasingsVisitor)
    }
}

/// Checks inside the sequence, where the YAML reader still knows the position.
struct PhrasingsVisitor;

impl<'de> Visitor<'de> for PhrasingsVisitor {
    type Value = Phrasings;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of one or more non-empty phrasings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Phrasings, A::Error> {
        let mut list = Vec::new();
        while let Some(phrasing) = seq.next_element::<String>()? {
            if phrasing.trim().is_empty() {
                return Err(de::Error::invalid_value(de::Unexpected::Str(&phrasing), &self));
            }
            list.push(phrasing);
        }
        if list.is_empty() {
            return Err(de::Error::invalid_length(0, &self));
        }
        Ok(Phrasings(list))
    }
}

impl Templates {
    /// The embedded defaults (`DEFAULT_TEMPLATES`).
    pub fn embedded() -> Result<Templates, TemplatesError> {
        Templates::from_yaml(DEFAULT_TEMPLATES, "embedded defaults")
    }

    /// Templates from a complete YAML text that names every kind.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Templates, TemplatesError> {
        let file = parse(text, origin)?;
        let missing = |kind: QaKind| TemplatesError::Yaml {
            origin: origin.to_string(),
            message: format!("no phrasings for `{}`", kind.name()),
        };
        Ok(Templates {
            tempo: file.tempo.ok_or_else(|| missing(QaKind::Tempo))?.0,
            metre: file.metre.ok_or_else(|| missing(QaKind::Metre))?.0,
            key: file.key.ok_or_else(|| missing(QaKind::Key))?.0,
            instruments: file.instruments.ok_or_else(|| missing(QaKind::Instruments))?.0,
            instrument_count: file.instrument_count.ok_or_else(|| missing(QaKind::InstrumentCount))?.0,
            transcription: file.transcription.ok_or_else(|| missing(QaKind::Transcription))?.0,
        })
    }

    /// These templates with the kinds named in `text` replaced.
    pub fn overridden_by(mut self, text: &str, origin: &str) -> Result<Templates, TemplatesError> {
        let file = parse(text, origin)?;
        let slots = [
            (&mut self.tempo, file.tempo),
            (&mut self.metre, file.metre),
            (&mut self.key, file.key),
            (&mut self.instruments, file.instruments),
            (&mut self.instrument_count, file.instrument_count),
            (&mut self.transcription, file.transcription),
        ];
        for (slot, replacement) in slots {
            if let Some(Phrasings(list)) = replacement {
                *slot = list;
            }
        }
        Ok(self)
    }

    /// The defaults, with the kinds a user file names replaced when `path` is given.
    pub fn load(path: Option<&Path>) -> Result<Templates, TemplatesError> {
        let defaults = Templates::embedded()?;
        let Some(path) = path else {
            return Ok(defaults);
        };
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TemplatesError::Io {
            path: origin.clone(),
            source,
        })?;
        defaults.overridden_by(&text, &origin)
    }

    /// The phrasings of one kind (never empty).
    pub fn phrasings(&self, kind: QaKind) -> &[String] {
        match kind {
            QaKind::Tempo => &self.tempo,
            QaKind::Metre => &self.metre,
            QaKind::Key => &self.key,
            QaKind::Instruments => &self.instruments,
            QaKind::InstrumentCount => &self.instrument_count,
            QaKind::Transcription => &self.transcription,
        }
    }
}

fn parse(text: &str, origin: &str) -> Result<TemplatesFile, TemplatesError> {
    yaml_serde::from_str(text).map_err(|error| TemplatesError::Yaml {
        origin: origin.to_string(),
        message: error.to_string(),
    })
}
