//! How a pickup bar (anacrusis) is spelled in MIDI, which has no such notion.
//!
//! Convention, shared by reader and writer: a pickup of `p` ticks is a first time signature
//! at tick 0 whose bar lasts `p` ticks, followed by the real metre at tick `p`. On reading,
//! a first signature segment `[0, t1)` shorter than one bar of the metre starting at `t1`
//! is a pickup of `t1` ticks, whatever the first signature says, unless it holds two
//! bars or more of its own signature (real bars, then: two bars of 3/8 before 2/2) or its
//! signature comes back later (a real metre: Mussorgsky's Promenade alternates 5/4 and
//! 6/4 from its first bar); so the writer's first signature only has to be exact where it
//! can be and, where it cannot, have a bar longer than half the pickup and shorter than
//! the next metre's, and where it can, not be a signature the piece uses.

use crate::score::TimeSignature;

/// Reader side: given metres sorted by tick (first at 0, no two at one tick), returns the
/// pickup length and the metres with a pickup signature removed.
pub(super) fn split(mut metres: Vec<TimeSignature>, ticks_per_quarter: u32) -> (u64, Vec<TimeSignature>) {
    match metres.get(1) {
        Some(next)
            if next.tick < next.bar_ticks(ticks_per_quarter)
                && !holds_two_bars(next.tick, &metres[0], ticks_per_quarter)
                && !metres[2..].iter().any(|m| same_signature(m, &metres[0])) =>
        {
            let pickup = next.tick;
            metres.remove(0);
            metres[0].tick = 0;
            (pickup, metres)
        }
        _ => (0, metres),
    }
}

/// True when two metres have the same numerator and denominator.
fn same_signature(a: &TimeSignature, b: &TimeSignature) -> bool {
    (a.numerator, a.denominator) == (b.numerator, b.denominator)
}

/// True when `ticks` last two bars of `metre` or more, exactly (a bar of 1/16 at 98 ticks
/// per quarter is 24.5 ticks, which `TimeSignature::bar_ticks` rounds down).
fn holds_two_bars(ticks: u64, metre: &TimeSignature, ticks_per_quarter: u32) -> bool {
    let two_bars_times_denominator = 2 * 4 * u128::from(metre.numerator) * u128::from(ticks_per_quarter);
    u128::from(ticks) * u128::from(metre.denominator) >= two_bars_times_denominator
}

/// Writer side: the metres to write as (tick, numerator, log2 of the denominator), with
/// the pickup spelled as a first signature. Changes before the end of the pickup move to
/// its end (where `Score::bar_lines` applies them anyway).
pub(super) fn join(metres: &[TimeSignature], pickup: u64, ticks_per_quarter: u32) -> Vec<(u64, u8, u8)> {
    let spelled = metres.iter().map(|m| (m.tick.max(pickup), m.numerator, log2(m.denominator)));
    match metres.first() {
        Some(first) if pickup > 0 => {
            let (numerator, power) = signature_lasting(pickup, first, metres, ticks_per_quarter);
            std::iter::once((0, numerator, power)).chain(spelled).collect()
        }
        _ => spelled.collect(),
    }
}

/// A signature (numerator, log2 of the denominator) whose bar lasts `ticks`, when one
/// with a denominator at most 8 times finer than `metre`'s and none of `used` exists;
/// else one shorter than `ticks` rounded down to half beats of `metre` (never equal to
/// `metre` itself), or to quarter or eighth beats where `used` has that one.
fn signature_lasting(ticks: u64, metre: &TimeSignature, used: &[TimeSignature], ticks_per_quarter: u32) -> (u8, u8) {
    let whole_note = 4 * u128::from(ticks_per_quarter);
    let base = log2(metre.denominator);
    let unused = |numerator: u8, power: u8| {
        !used.iter().any(|m| (m.numerator, u32::from(m.denominator)) == (numerator, 1u32 << power))
    };
    let exact = (base..=base + 3).find_map(|power| {
        let scaled = u128::from(ticks) << power;
        let numerator = u8::try_from(scaled / whole_note).ok().filter(|&n| n > 0)?;
        (scaled % whole_note == 0 && unused(numerator, power)).then_some((numerator, power))
    });
    // Rounded down to half beats of `metre`, or to finer notes where the piece uses that.
    let shorter = |power: u8| {
        let numerator = ((u128::from(ticks) << power) / whole_note).clamp(1, 255);
        (u8::try_from(numerator).unwrap_or(u8::MAX), power)
    };
    exact
        .or_else(|| (base + 1..=base + 3).map(shorter).find(|&(numerator, power)| unused(numerator, power)))
        .unwrap_or_else(|| shorter(base + 1))
}

/// log2 of a power of two (of the largest power of two below other values).
fn log2(denominator: u8) -> u8 {
    denominator.max(1).ilog2() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metre(tick: u64, numerator: u8, denominator: u8) -> TimeSignature {
        TimeSignature { tick, numerator, denominator }
    }

    #[test]
    fn a_short_first_bar_is_a_pickup() {
        let (pickup, metres) = split(vec![metre(0, 1, 4), metre(480, 4, 4)], 480);
        assert_eq!(pickup, 480);
        assert_eq!(metres, vec![metre(0, 4, 4)]);
    }

    #[test]
    fn a_first_segment_as_long_as_the_next_bar_is_not_a_pickup() {
        let metres = vec![metre(0, 3, 4), metre(1440, 2, 4)];
        assert_eq!(split(metres.clone(), 480), (0, metres));
        // Ambiguous by construction: one bar of 3/4 before 4/4 reads as a pickup.
        let metres = vec![metre(0, 3, 4), metre(1440, 4, 4)];
        assert_eq!(split(metres, 480), (1440, vec![metre(0, 4, 4)]));
        let metres = vec![metre(0, 3, 4), metre(2880, 4, 4)];
        assert_eq!(split(metres.clone(), 480), (0, metres));
        // Two bars of 3/8 are shorter than one of 2/2, but are two bars: no pickup.
        let metres = vec![metre(0, 3, 8), metre(1440, 2, 2)];
        assert_eq!(split(metres.clone(), 480), (0, metres));
        // A pickup spelled inexactly (rounded down) is under two bars of its signature.
        assert_eq!(split(vec![metre(0, 7, 8), metre(1919, 4, 4)], 480), (1919, vec![metre(0, 4, 4)]));
        // 48 ticks at 98 per quarter, spelled 1/16 (24.5 ticks): under two bars of it.
        assert_eq!(split(vec![metre(0, 1, 16), metre(48, 8, 8)], 98), (48, vec![metre(0, 8, 8)]));
    }

    #[test]
    fn a_first_signature_that_comes_back_is_a_real_bar() {
        // Mussorgsky's Promenade (piano-midi.de): 5/4, 6/4, 5/4, ... from the first bar.
        let metres = vec![metre(0, 5, 4), metre(2400, 6, 4), metre(5280, 5, 4), metre(7680, 6, 4)];
        assert_eq!(split(metres.clone(), 480), (0, metres));
    }

    #[test]
    fn a_pickup_is_never_spelled_as_a_signature_the_piece_uses() {
        // Two quarters before 3/4, and 2/4 later: the pickup is spelled 4/8, and read back.
        let metres = [metre(0, 3, 4), metre(4320, 2, 4)];
        let spelled = join(&metres, 960, 480);
        assert_eq!(spelled, vec![(0, 4, 3), (960, 3, 2), (4320, 2, 2)]);
        let read: Vec<TimeSignature> =
            spelled.iter().map(|&(tick, numerator, power)| metre(tick, numerator, 1 << power)).collect();
        assert_eq!(split(read, 480), (960, vec![metre(0, 3, 4), metre(4320, 2, 4)]));
    }

    #[test]
    fn pickups_are_spelled_exactly_when_possible() {
        assert_eq!(join(&[metre(0, 4, 4)], 720, 480), vec![(0, 3, 3), (720, 4, 2)]);
        assert_eq!(join(&[metre(0, 6, 8), metre(2880, 2, 4)], 480, 480), vec![(0, 2, 3), (480, 6, 3), (2880, 2, 2)]);
        assert_eq!(join(&[metre(0, 3, 4)], 0, 480), vec![(0, 3, 2)]);
    }

    #[test]
    fn an_inexpressible_pickup_is_not_spelled_as_a_signature_the_piece_uses() {
        // 59 ticks at 25 per quarter before 5/8, and 9/16 later (CI's failing case): 9/16
        // would be read as a real bar; 18/32 is not used.
        let metres = [metre(0, 5, 8), metre(1259, 9, 16)];
        let spelled = join(&metres, 59, 25);
        assert_eq!(spelled[0], (0, 18, 5));
        let read: Vec<TimeSignature> =
            spelled.iter().map(|&(tick, numerator, power)| metre(tick, numerator, 1 << power)).collect();
        assert_eq!(split(read, 25), (59, vec![metre(0, 5, 8), metre(1259, 9, 16)]));
    }

    #[test]
    fn inexpressible_pickups_are_spelled_shorter_than_a_bar() {
        // 1919 ticks of a 4/4 bar (1920): rounded down to 7 eighths.
        assert_eq!(join(&[metre(0, 4, 4)], 1919, 480), vec![(0, 7, 3), (1919, 4, 2)]);
        // Less than half a beat of 1/4: one eighth, still not 1/4.
        assert_eq!(signature_lasting(7, &metre(0, 1, 4), &[], 480), (1, 3));
    }
}
