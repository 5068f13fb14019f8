//! Key estimation: which of the 24 major/minor keys a piece is in, for MIDI files that
//! carry no key-signature event (performed MIDI, most sequencer output).
//!
//! The method is the classic profile correlation (Krumhansl & Schmuckler): build a
//! duration-weighted pitch-class histogram of the whole piece (drums excluded), correlate
//! it with a key profile rotated to each of the 12 tonics, in major and minor, and take
//! the best. The whole piece is used rather than an opening window: the benchmark pieces
//! are short and rarely modulate, and the whole piece averages out a chromatic opening.
//!
//! Three profiles are provided. The default is Temperley's (2007) Kostka-Payne profile:
//! on 96 generated tonal pieces (4 per key, in 2/4, 3/4, 4/4 and 6/8; the generator of
//! `tests/analysis_gen`) it names 93 keys, where Albrecht & Shanahan (2013) names 75 and
//! Krumhansl & Kessler (1982) 61; the misses of the other two are mostly the relative key
//! or the key a fifth away.
//! This module does not detect modulations or church modes.

use crate::score::{Key, Mode, Score};

/// A key profile: the expected weight of each pitch class above the tonic, for major and
/// minor keys.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyProfile {
    pub major: [f64; 12],
    pub minor: [f64; 12],
}

/// Krumhansl & Kessler (1982): probe-tone ratings of listeners.
pub const KRUMHANSL_KESSLER: KeyProfile = KeyProfile {
    major: [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
    minor: [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17],
};

/// Albrecht & Shanahan (2013): pitch-class distributions of a corpus of 490 common-practice
/// pieces.
pub const ALBRECHT_SHANAHAN: KeyProfile = KeyProfile {
    major: [
        0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081,
    ],
    minor: [
        0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052,
    ],
};

/// Temperley (2007, *Music and Probability*): pitch-class distributions of the Kostka-Payne
/// harmony textbook excerpts. The default: see the module documentation.
pub const TEMPERLEY_KOSTKA_PAYNE: KeyProfile = KeyProfile {
    major: [
        0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400,
    ],
    minor: [
        0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330,
    ],
};

/// The key of a piece with the default profile (Temperley-Kostka-Payne). A piece without
/// pitched notes is in C major.
pub fn estimate_key(score: &Score) -> Key {
    estimate_key_with(score, &TEMPERLEY_KOSTKA_PAYNE)
}

/// The key of a piece with the given profile, spelled with the fewest accidentals.
pub fn estimate_key_with(score: &Score, profile: &KeyProfile) -> Key {
    let histogram = pitch_class_histogram(score);
    if histogram.iter().all(|&w| w == 0.0) {
        return Key::default();
    }
    let mut best = (f64::NEG_INFINITY, Key::default());
    for tonic in 0..12u8 {
        for (mode, weights) in [(Mode::Major, &profile.major), (Mode::Minor, &profile.minor)] {
            let rotated: [f64; 12] = std::array::from_fn(|pc| weights[(pc + 12 - usize::from(tonic)) % 12]);
            let r = correlation(&histogram, &rotated);
            if r > best.0 {
                best = (r, Key::from_tonic(tonic, mode));
            }
        }
    }
    best.1
}

/// Total duration in ticks of each pitch class (0 = C) over the pitched parts.
pub fn pitch_class_histogram(score: &Score) -> [f64; 12] {
    let mut histogram = [0.0; 12];
    for note in score.parts.iter().filter(|p| !p.is_drum).flat_map(|p| &p.notes) {
        histogram[usize::from(note.pitch % 12)] += note.duration as f64;
    }
    histogram
}

/// Pearson correlation of two 12-vectors (0 when either is constant).
fn correlation(a: &[f64; 12], b: &[f64; 12]) -> f64 {
    let mean = |v: &[f64; 12]| v.iter().sum::<f64>() / 12.0;
    let (ma, mb) = (mean(a), mean(b));
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}
