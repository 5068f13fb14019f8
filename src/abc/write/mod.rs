//! Score -> ABC 2.1 text.

use crate::score::Score;

/// How voices are laid out in the tune body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Each voice whole, one after another (`V:1` ... then `V:2` ...).
    Voices,
    /// Voices interleaved line by line: `bars_per_line` bars of V:1, then of V:2, ...
    #[default]
    Interleaved,
}

/// Options of the ABC writer.
#[derive(Debug, Clone, PartialEq)]
pub struct AbcOptions {
    /// `X:` reference number.
    pub index: u32,
    /// Unit note length `L:` as (numerator, denominator); `None` picks the unit that
    /// makes the text shortest.
    pub unit: Option<(u32, u32)>,
    pub layout: Layout,
    /// Bars per line of text (per voice).
    pub bars_per_line: usize,
}

impl Default for AbcOptions {
    fn default() -> Self {
        AbcOptions { index: 1, unit: None, layout: Layout::default(), bars_per_line: 4 }
    }
}

/// Writes a score (on a grid: see `analysis::quantize`) as one ABC tune.
pub fn to_abc(score: &Score, options: &AbcOptions) -> String {
    let _ = (score, options);
    todo!("ABC writer")
}
