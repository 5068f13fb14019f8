//! Which context windows of the prior a clip's tokens run in, and which rows of each
//! window's output the clip keeps.
//!
//! - [`exact`] (the default): the whole clip. Windows of `n_ctx` tokens from token 0, the
//!   last one moved back to end on the clip's last token when the clip is not a whole
//!   number of windows (so it overlaps the one before, as the reference's `get_starts`
//!   does); every token is taken from the first window that contains it. A clip shorter
//!   than one context is one shorter window.
//! - [`llark`]: LLark's recipe (`jukebox/main.py` of spotify-research/llark): one window
//!   on the first `n_ctx` tokens of the clip's audio padded with silence to `n_ctx` tokens,
//!   the tokens of padding dropped from the output.

use std::ops::Range;

/// One run of the prior: tokens `start..start + len` of the clip; rows `keep` of its
/// output (relative to `start`) go to the clip's frames `start + keep`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextWindow {
    pub start: usize,
    pub len: usize,
    pub keep: Range<usize>,
}

/// The windows covering all `tokens` tokens of a clip, each of at most `n_ctx`.
pub fn exact(tokens: usize, n_ctx: usize) -> Vec<ContextWindow> {
    if tokens <= n_ctx {
        return match tokens {
            0 => Vec::new(),
            _ => vec![ContextWindow {
                start: 0,
                len: tokens,
                keep: 0..tokens,
            }],
        };
    }
    let mut windows: Vec<ContextWindow> = (0..tokens / n_ctx)
        .map(|i| ContextWindow {
            start: i * n_ctx,
            len: n_ctx,
            keep: 0..n_ctx,
        })
        .collect();
    let covered = windows.len() * n_ctx;
    if covered < tokens {
        let start = tokens - n_ctx;
        windows.push(ContextWindow {
            start,
            len: n_ctx,
            keep: covered - start..n_ctx,
        });
    }
    windows
}

/// LLark's single window of `n_ctx` tokens, of which the first `valid` (the tokens of
/// real audio) are kept.
pub fn llark(valid: usize, n_ctx: usize) -> Vec<ContextWindow> {
    vec![ContextWindow {
        start: 0,
        len: n_ctx,
        keep: 0..valid.min(n_ctx),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(windows: &[ContextWindow]) -> Vec<usize> {
        windows
            .iter()
            .flat_map(|w| w.keep.clone().map(move |r| w.start + r))
            .collect()
    }

    #[test]
    fn a_clip_of_whole_contexts_is_cut_without_overlap() {
        let windows = exact(24, 8);
        assert_eq!(
            windows.iter().map(|w| w.start).collect::<Vec<_>>(),
            [0, 8, 16]
        );
        assert_eq!(covered(&windows), (0..24).collect::<Vec<_>>());
    }

    #[test]
    fn the_last_window_ends_on_the_clip_s_end_and_keeps_only_new_tokens() {
        // 25 s at 44.1 kHz: 8613 tokens, contexts of 8192.
        let windows = exact(8613, 8192);
        assert_eq!(
            windows,
            [
                ContextWindow {
                    start: 0,
                    len: 8192,
                    keep: 0..8192
                },
                ContextWindow {
                    start: 421,
                    len: 8192,
                    keep: 7771..8192
                },
            ]
        );
        assert_eq!(covered(&windows), (0..8613).collect::<Vec<_>>());
    }

    #[test]
    fn a_clip_shorter_than_a_context_is_one_shorter_window() {
        assert_eq!(
            exact(5, 8),
            [ContextWindow {
                start: 0,
                len: 5,
                keep: 0..5
            }]
        );
        assert!(exact(0, 8).is_empty());
    }

    #[test]
    fn llark_runs_one_full_context_and_keeps_the_real_tokens() {
        assert_eq!(
            llark(8613, 8192),
            [ContextWindow {
                start: 0,
                len: 8192,
                keep: 0..8192
            }]
        );
        assert_eq!(
            llark(100, 8192),
            [ContextWindow {
                start: 0,
                len: 8192,
                keep: 0..100
            }]
        );
    }
}
