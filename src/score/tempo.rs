//! The tempo map: where tempo changes, and the tick <-> seconds conversion it implies.

/// From `tick` on, a quarter note lasts `micros_per_quarter` microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TempoChange {
    pub tick: u64,
    pub micros_per_quarter: u32,
}

impl TempoChange {
    /// Quarter-note beats per minute.
    pub fn bpm(&self) -> f64 {
        60_000_000.0 / f64::from(self.micros_per_quarter)
    }
}

/// Tempo changes sorted by tick, the first at tick 0. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempoMap {
    changes: Vec<TempoChange>,
}

impl TempoMap {
    /// One tempo for the whole piece.
    pub fn constant(micros_per_quarter: u32) -> Self {
        TempoMap { changes: vec![TempoChange { tick: 0, micros_per_quarter }] }
    }

    /// Builds a map from changes in any order. Later changes at the same tick win; a
    /// map with no change at tick 0 starts at 120 BPM (the MIDI default); zero tempi
    /// are dropped.
    pub fn from_changes(mut changes: Vec<TempoChange>) -> Self {
        changes.retain(|c| c.micros_per_quarter > 0);
        changes.sort_by_key(|c| c.tick);
        let mut out: Vec<TempoChange> = Vec::with_capacity(changes.len() + 1);
        for c in changes {
            match out.last_mut() {
                Some(last) if last.tick == c.tick => *last = c,
                Some(last) if last.micros_per_quarter == c.micros_per_quarter => {}
                _ => out.push(c),
            }
        }
        if out.first().is_none_or(|c| c.tick > 0) {
            out.insert(0, TempoChange { tick: 0, micros_per_quarter: 500_000 });
        }
        TempoMap { changes: out }
    }

    pub fn changes(&self) -> &[TempoChange] {
        &self.changes
    }

    /// The changes after the first, at tick 0: the tempo changes a score writes inline.
    pub fn later_changes(&self) -> &[TempoChange] {
        &self.changes[1..]
    }

    /// The index of the change that states the piece's tempo: the first, unless it lasts
    /// exactly one sixteenth note (a lead-in: a performance whose first grid point misses
    /// time 0 starts with one step of a tempo of its own, squeezed to land its first note
    /// where it was played, `analysis::quantize`). The ABC header writes this tempo, and a
    /// clip's tempo and the reward's are this one.
    pub fn stated_index(&self, ticks_per_quarter: u32) -> usize {
        let sixteenth = u64::from(ticks_per_quarter / 4);
        match self.changes.get(1) {
            Some(next) if ticks_per_quarter.is_multiple_of(4) && next.tick == sixteenth => 1,
            _ => 0,
        }
    }

    /// The tempo the piece states: see `stated_index`.
    pub fn stated(&self, ticks_per_quarter: u32) -> TempoChange {
        self.changes[self.stated_index(ticks_per_quarter)]
    }

    /// The tempo in force at `tick`.
    pub fn at(&self, tick: u64) -> TempoChange {
        *self.changes.iter().rev().find(|c| c.tick <= tick).unwrap_or(&self.changes[0])
    }

    /// Seconds from tick 0 to `tick`.
    pub fn seconds_at(&self, tick: u64, ticks_per_quarter: u32) -> f64 {
        let tpq = f64::from(ticks_per_quarter);
        let mut seconds = 0.0;
        for (i, c) in self.changes.iter().enumerate() {
            if c.tick >= tick {
                break;
            }
            let until = self.changes.get(i + 1).map_or(tick, |n| n.tick.min(tick));
            seconds += (until - c.tick) as f64 / tpq * f64::from(c.micros_per_quarter) * 1e-6;
        }
        seconds
    }

    /// Seconds from tick 0 to each of `ticks` (in ascending order), in one pass over the
    /// changes: what `seconds_at` gives for each.
    pub fn seconds_at_sorted(&self, ticks: &[u64], ticks_per_quarter: u32) -> Vec<f64> {
        let tpq = f64::from(ticks_per_quarter);
        let (mut change, mut elapsed) = (0, 0.0);
        ticks
            .iter()
            .map(|&tick| {
                while let Some(next) = self.changes.get(change + 1).filter(|n| n.tick < tick) {
                    let current = &self.changes[change];
                    elapsed += (next.tick - current.tick) as f64 / tpq * f64::from(current.micros_per_quarter) * 1e-6;
                    change += 1;
                }
                let current = &self.changes[change];
                let since = tick.saturating_sub(current.tick) as f64;
                elapsed + since / tpq * f64::from(current.micros_per_quarter) * 1e-6
            })
            .collect()
    }

    /// The tick at `seconds` (rounded to the nearest tick; negative times give 0).
    pub fn tick_at(&self, seconds: f64, ticks_per_quarter: u32) -> u64 {
        let tpq = f64::from(ticks_per_quarter);
        let mut elapsed = 0.0;
        for (i, c) in self.changes.iter().enumerate() {
            let seconds_per_tick = f64::from(c.micros_per_quarter) * 1e-6 / tpq;
            if let Some(next) = self.changes.get(i + 1) {
                let span = (next.tick - c.tick) as f64 * seconds_per_tick;
                if elapsed + span <= seconds {
                    elapsed += span;
                    continue;
                }
            }
            return c.tick + ((seconds - elapsed).max(0.0) / seconds_per_tick).round() as u64;
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_at_sorted_ticks_are_seconds_at_each() {
        let map = TempoMap::from_changes(vec![
            TempoChange { tick: 0, micros_per_quarter: 500_000 },
            TempoChange { tick: 480, micros_per_quarter: 750_000 },
            TempoChange { tick: 500, micros_per_quarter: 400_000 },
            TempoChange { tick: 2000, micros_per_quarter: 1_000_000 },
        ]);
        let ticks = [0, 1, 480, 480, 490, 500, 1999, 2000, 2001, 9000];
        let each: Vec<f64> = ticks.iter().map(|&t| map.seconds_at(t, 480)).collect();
        let sorted = map.seconds_at_sorted(&ticks, 480);
        assert!(each.iter().zip(&sorted).all(|(a, b)| (a - b).abs() < 1e-12), "{each:?} {sorted:?}");
    }

    #[test]
    fn seconds_and_ticks_are_inverse_across_changes() {
        let map = TempoMap::from_changes(vec![
            TempoChange { tick: 0, micros_per_quarter: 500_000 },
            TempoChange { tick: 960, micros_per_quarter: 1_000_000 },
        ]);
        assert_eq!(map.seconds_at(960, 480), 1.0);
        assert_eq!(map.seconds_at(1440, 480), 2.0);
        assert_eq!(map.tick_at(2.0, 480), 1440);
        assert_eq!(map.tick_at(0.5, 480), 480);
    }

    #[test]
    fn missing_initial_tempo_defaults_to_120_bpm() {
        let map = TempoMap::from_changes(vec![TempoChange { tick: 480, micros_per_quarter: 400_000 }]);
        assert_eq!(map.at(0).bpm(), 120.0);
        assert_eq!(map.changes().len(), 2);
    }
}
