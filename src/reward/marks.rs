//! Which notes the pitch loss counted against an answer, for people to look at: the
//! evaluation report engraves the worst answers with these notes marked.
//!
//! The same voice pairing as the loss ([`voices`](super::voices)), then per pair an
//! optimal alignment of the two token sequences ([`alignment`]): a token the alignment
//! does not keep was substituted or added (answer) or substituted or missed (truth), and
//! every note of it is marked. A voice left unpaired is marked whole. The marks explain
//! the loss; they are not used to compute it.

use super::config::RewardConfig;
use super::levenshtein::{Edit, EditDistance, alignment};
use super::pitch::{token_notes, voice_tokens};
use super::voices::voice_losses;
use crate::score::Score;

/// Per part, per note (in the parts' note order): true when the note is marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteMarks {
    /// Notes of the answer not matched in the truth: wrong or extra.
    pub predicted: Vec<Vec<bool>>,
    /// Notes of the truth the answer did not match: wrong or missing.
    pub truth: Vec<Vec<bool>>,
}

/// Marks the notes of `predicted` and `truth` that the pitch loss counts as edits.
pub fn note_marks(predicted: &Score, truth: &Score, cfg: &RewardConfig) -> NoteMarks {
    let all_marked = |score: &Score| -> Vec<Vec<bool>> { score.parts.iter().map(|p| vec![true; p.notes.len()]).collect() };
    let mut marks = NoteMarks { predicted: all_marked(predicted), truth: all_marked(truth) };
    let pairs = voice_losses(predicted, truth, cfg, &mut EditDistance::default()).pairs;
    for (p, t) in pairs {
        let (p_part, t_part) = (&predicted.parts[p], &truth.parts[t]);
        let (p_notes, t_notes) = (token_notes(p_part), token_notes(t_part));
        let (mut i, mut j) = (0, 0);
        for edit in alignment(&voice_tokens(p_part), &voice_tokens(t_part)) {
            let (advance_p, advance_t) = match edit {
                Edit::Keep => {
                    marks.predicted[p][p_notes[i].clone()].fill(false);
                    marks.truth[t][t_notes[j].clone()].fill(false);
                    (true, true)
                }
                Edit::Substitute => (true, true),
                Edit::Delete => (true, false),
                Edit::Insert => (false, true),
            };
            i += usize::from(advance_p);
            j += usize::from(advance_t);
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abc::read::parse;

    fn marks(predicted: &str, truth: &str) -> NoteMarks {
        note_marks(&parse(predicted).score, &parse(truth).score, &RewardConfig::default())
    }

    #[test]
    fn a_wrong_note_is_marked_on_both_sides() {
        let m = marks("K:C\nCDFF|", "K:C\nCDEF|");
        assert_eq!(m.predicted, [[false, false, true, false]]);
        assert_eq!(m.truth, [[false, false, true, false]]);
    }

    #[test]
    fn added_and_missed_notes_are_marked_on_their_side() {
        let m = marks("K:C\nCDEGF|", "K:C\nCEF|");
        assert_eq!(m.predicted, [[false, true, false, true, false]]);
        assert_eq!(m.truth, [[false, false, false]]);
        let m = marks("K:C\nCF|", "K:C\nCEF|");
        assert_eq!(m.predicted, [[false, false]]);
        assert_eq!(m.truth, [[false, true, false]]);
    }

    #[test]
    fn a_chord_is_one_token_and_unpaired_voices_are_marked_whole() {
        // Voice 2 of the answer is extra; its first voice pairs with the truth's.
        let m = marks("K:C\nV:1\n[CEG] [CEA]|\nV:2\nC,D,|", "K:C\nV:1\n[GEC] [CEG]|");
        assert_eq!(m.predicted, [vec![false, false, false, true, true, true], vec![true, true]]);
        assert_eq!(m.truth, [[false, false, false, true, true, true]]);
    }
}
