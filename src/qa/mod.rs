//! Short-form question/answer pairs per clip, from templates, seeded and checkable.
//!
//! Each clip gets one pair per kind: tempo, metre, key, instruments, instrument count
//! and transcription (a clip without notes gets no instrument questions). The question
//! is one of the kind's phrasings (`templates`), picked by a ChaCha8 generator seeded
//! from a hash of (seed, clip id, kind): the same inputs always give the same text, in
//! any processing order. The answer is a fixed format derived from the clip, so that a
//! model's answer can be checked exactly: `96 BPM`, `3/4`, `F# minor`, `Violin, Cello`,
//! `2`, or the clip's ABC. `chat` exports the pairs as chat-format training examples;
//! `build` is the stage that questions clips given as ABC (`prep qa`).

pub mod build;
pub mod chat;
mod templates;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::clips::Clip;
use crate::datasets::Split;
use crate::score::{Key, LETTERS, Mode};

pub use templates::{DEFAULT_TEMPLATES, Templates, TemplatesError};

/// What a pair asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QaKind {
    Tempo,
    Metre,
    Key,
    Instruments,
    InstrumentCount,
    Transcription,
}

impl QaKind {
    /// Every kind, in the order a clip's pairs are made.
    pub const ALL: [QaKind; 6] = [
        QaKind::Tempo,
        QaKind::Metre,
        QaKind::Key,
        QaKind::Instruments,
        QaKind::InstrumentCount,
        QaKind::Transcription,
    ];

    /// The kind's name in ids, tables and the templates file (`instrument_count`, ...).
    pub fn name(self) -> &'static str {
        match self {
            QaKind::Tempo => "tempo",
            QaKind::Metre => "metre",
            QaKind::Key => "key",
            QaKind::Instruments => "instruments",
            QaKind::InstrumentCount => "instrument_count",
            QaKind::Transcription => "transcription",
        }
    }
}

/// One row of the `qa` table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QaPair {
    /// `{clip_id}/{kind}`.
    pub id: String,
    pub clip_id: String,
    pub split: Split,
    pub kind: QaKind,
    pub question: String,
    pub answer: String,
}

/// The pairs of one clip, in `QaKind::ALL` order, phrasings picked with `seed`.
pub fn pairs_for_clip(clip: &Clip, templates: &Templates, seed: u64) -> Vec<QaPair> {
    QaKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let answer = answer(clip, kind)?;
            let phrasings = templates.phrasings(kind);
            let mut rng = ChaCha8Rng::seed_from_u64(pick_seed(seed, &clip.id, kind));
            let question = phrasings[rng.random_range(0..phrasings.len())].clone();
            Some(QaPair {
                id: format!("{}/{}", clip.id, kind.name()),
                clip_id: clip.id.clone(),
                split: clip.split,
                kind,
                question,
                answer,
            })
        })
        .collect()
}

/// The exact answer of `kind` for `clip`; `None` when the clip cannot answer it (no
/// instruments in a silent clip, a key name that is not one the writer produces).
pub fn answer(clip: &Clip, kind: QaKind) -> Option<String> {
    match kind {
        QaKind::Tempo => Some(format!("{} BPM", clip.tempo_bpm.round())),
        QaKind::Metre => Some(clip.metre.clone()),
        QaKind::Key => key_from_abc_name(&clip.key).map(|key| key_name(&key)),
        QaKind::Instruments => (!clip.instruments.is_empty()).then(|| clip.instruments.join(", ")),
        QaKind::InstrumentCount => (!clip.instruments.is_empty()).then(|| clip.instruments.len().to_string()),
        QaKind::Transcription => Some(clip.abc.clone()),
    }
}

/// A key in words: `D major`, `F# minor`, `Bb Dorian`.
pub fn key_name(key: &Key) -> String {
    let (letter, alteration) = key.tonic();
    let accidental = match alteration {
        1 => "#",
        -1 => "b",
        _ => "",
    };
    let mode = match key.mode {
        Mode::Major => "major",
        Mode::Minor => "minor",
        Mode::Dorian => "Dorian",
        Mode::Phrygian => "Phrygian",
        Mode::Lydian => "Lydian",
        Mode::Mixolydian => "Mixolydian",
        Mode::Locrian => "Locrian",
    };
    format!("{}{accidental} {mode}", LETTERS[letter])
}

/// The key whose ABC name (`Key::abc_name`, as stored in `Clip::key`) is `name`.
fn key_from_abc_name(name: &str) -> Option<Key> {
    Mode::ALL
        .into_iter()
        .flat_map(|mode| (-7..=7).map(move |fifths| Key::new(fifths, mode)))
        .find(|k| k.abc_name() == name)
}

/// The generator seed of one (seed, clip, kind): 64-bit FNV-1a over the three, so that
/// it is stable across platforms and releases (unlike `std`'s hasher).
fn pick_seed(seed: u64, clip_id: &str, kind: QaKind) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let bytes = seed
        .to_le_bytes()
        .into_iter()
        .chain(clip_id.bytes())
        .chain([0xff])
        .chain(kind.name().bytes());
    bytes.fold(OFFSET, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_read_back_from_abc_names() {
        for (abc, words) in [
            ("D", "D major"),
            ("F#m", "F# minor"),
            ("Bbm", "Bb minor"),
            ("EDor", "E Dorian"),
        ] {
            assert_eq!(key_from_abc_name(abc).map(|k| key_name(&k)), Some(words.to_string()));
        }
        assert_eq!(key_from_abc_name("H"), None);
    }

    #[test]
    fn pick_seeds_differ_by_every_input() {
        let base = pick_seed(1, "a/0000", QaKind::Tempo);
        assert_ne!(base, pick_seed(2, "a/0000", QaKind::Tempo));
        assert_ne!(base, pick_seed(1, "a/0001", QaKind::Tempo));
        assert_ne!(base, pick_seed(1, "a/0000", QaKind::Metre));
    }
}
