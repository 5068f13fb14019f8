//! MusicNet's label files: rows of `start_time,end_time,instrument,note,start_beat,
//! end_beat,note_value`, and what their beats are.
//!
//! `start_beat` and `end_beat` (the note's length, despite its name) count *beats*, and a
//! beat is not always a quarter note: the labels of a piece in 2/2 count half notes.
//! `note_value` names each note's written value (`Quarter`, `Dotted Eighth`, `Triplet
//! Sixteenth`, ...), so dividing a note's value by its length in beats gives the beat
//! unit; `beat_unit` takes the unit most notes agree on.
//!
//! Deliberately not done: per-bar beat units (a piece whose beat changes with its metre
//! gets the unit of most of its notes), and reading values MusicNet writes for tied or
//! unknown notes (`Unknown`, a bare `Triplet`): those rows simply do not vote.

use anyhow::{Context, Result, bail};

/// The label columns, in order.
const COLUMNS: [&str; 7] = [
    "start_time",
    "end_time",
    "instrument",
    "note",
    "start_beat",
    "end_beat",
    "note_value",
];

/// One row of a label file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Label {
    pub start_sample: u64,
    pub end_sample: u64,
    /// 0-based General MIDI program.
    pub program: u8,
    pub pitch: u8,
    pub start_beat: f64,
    pub beats: f64,
    /// The written value in quarter notes (`Dotted Eighth` is 0.75), when `note_value`
    /// names one (see `note_value_quarters`).
    pub value_quarters: Option<f64>,
}

/// A label row that did not parse: its 1-based line in the file and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub problem: String,
}

/// Parses a label file: the labels in file order and the rows that do not parse. A header
/// other than MusicNet's is an error.
pub fn parse_labels(text: &str) -> Result<(Vec<Label>, Vec<BadRow>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .context("reading the header")?
        .iter()
        .map(str::to_string)
        .collect();
    if header.iter().map(String::as_str).ne(COLUMNS) {
        bail!("the header is `{}`, expected `{}`", header.join(","), COLUMNS.join(","));
    }
    let mut labels = Vec::new();
    let mut bad = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                match label(&record) {
                    Ok(l) => labels.push(l),
                    Err(problem) => bad.push(BadRow { line, problem }),
                }
            }
            Err(e) => bad.push(BadRow {
                line: e.position().map_or(0, |p| p.line()),
                problem: e.to_string(),
            }),
        }
    }
    Ok((labels, bad))
}

fn label(record: &csv::StringRecord) -> Result<Label, String> {
    if record.len() != COLUMNS.len() {
        return Err(format!("{} fields, expected {}", record.len(), COLUMNS.len()));
    }
    fn field<T: std::str::FromStr>(record: &csv::StringRecord, i: usize) -> Result<T, String> {
        let text = record.get(i).unwrap_or_default().trim();
        text.parse()
            .map_err(|_| format!("{} `{text}` is not a number of the expected kind", COLUMNS[i]))
    }
    let (start_sample, end_sample): (u64, u64) = (field(record, 0)?, field(record, 1)?);
    let instrument: u16 = field(record, 2)?;
    let pitch: u8 = field(record, 3)?;
    let (start_beat, beats): (f64, f64) = (field(record, 4)?, field(record, 5)?);
    if end_sample <= start_sample {
        return Err(format!("end_time {end_sample} is not after start_time {start_sample}"));
    }
    if !(1..=128).contains(&instrument) {
        return Err(format!(
            "instrument {instrument} is not a 1-based General MIDI program (1-128)"
        ));
    }
    if pitch > 127 {
        return Err(format!("note {pitch} is not a MIDI pitch (0-127)"));
    }
    if !(start_beat.is_finite() && start_beat >= 0.0 && beats.is_finite() && beats >= 0.0) {
        return Err(format!("start_beat {start_beat} and end_beat {beats} must be >= 0"));
    }
    // A beat is at most a whole note: past this the score would be over `MAX_QUARTER_NOTES`.
    let max_beats = crate::score::MAX_QUARTER_NOTES as f64 / 4.0;
    if start_beat + beats > max_beats {
        return Err(format!(
            "start_beat {start_beat} + end_beat {beats} is past beat {max_beats} (hours of music): the row is damaged"
        ));
    }
    Ok(Label {
        start_sample,
        end_sample,
        program: (instrument - 1) as u8,
        pitch,
        start_beat,
        beats,
        value_quarters: note_value_quarters(record.get(6).unwrap_or_default()),
    })
}

/// The length in quarter notes of a written note value as MusicNet names it: a base
/// (`Whole`, `Half`, `Quarter`, `Eighth`, `Sixteenth`, `Thirty Second`, `Sixty Fourth`)
/// after any of `Dotted`, `Double Dotted` and `Triplet`, in any case, words separated by
/// spaces, hyphens or underscores. `None` for anything else (`Unknown`, a bare
/// `Triplet`, tied values).
pub fn note_value_quarters(text: &str) -> Option<f64> {
    let lower = text.trim().to_ascii_lowercase().replace(['-', '_'], " ");
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    let mut factor = 1.0;
    loop {
        match words.as_slice() {
            ["double", "dotted", ..] => {
                factor *= 1.75;
                words.drain(..2);
            }
            ["dotted", ..] => {
                factor *= 1.5;
                words.remove(0);
            }
            ["triplet", ..] => {
                factor *= 2.0 / 3.0;
                words.remove(0);
            }
            _ => break,
        }
    }
    let base = match words.as_slice() {
        ["whole"] => 4.0,
        ["half"] => 2.0,
        ["quarter"] => 1.0,
        ["eighth"] => 0.5,
        ["sixteenth"] => 0.25,
        ["thirty", "second"] | ["thirtysecond"] => 0.125,
        ["sixty", "fourth"] | ["sixtyfourth"] => 0.0625,
        _ => return None,
    };
    Some(base * factor)
}

/// Beat units (in quarter notes) a label file may count in, the usual one first: plain
/// and dotted note values from a sixteenth to a whole note.
const BEAT_UNITS: [f64; 9] = [1.0, 2.0, 0.5, 4.0, 0.25, 1.5, 3.0, 0.75, 0.375];

/// Largest relative difference between a note's value per beat and a beat unit for the
/// note to count as evidence for that unit.
const UNIT_TOLERANCE: f64 = 0.02;

/// The beat unit of a piece's labels, in quarter notes: the one of `BEAT_UNITS` that the
/// most labels agree with (a label agrees when its written value divided by its length
/// in beats is that unit, within 2 %). A quarter note when no label tells, or on a tie
/// with it.
pub fn beat_unit(labels: &[Label]) -> f64 {
    let mut votes = [0usize; BEAT_UNITS.len()];
    for label in labels.iter().filter(|l| l.beats > 0.0) {
        let Some(value) = label.value_quarters else { continue };
        let per_beat = value / label.beats;
        if let Some(unit) = BEAT_UNITS
            .iter()
            .position(|&unit| (per_beat / unit - 1.0).abs() <= UNIT_TOLERANCE)
        {
            votes[unit] += 1;
        }
    }
    // The first of equal maxima: `max_by_key` keeps the last, so search from the end.
    let best = (0..BEAT_UNITS.len())
        .rev()
        .max_by_key(|&unit| votes[unit])
        .unwrap_or(0);
    BEAT_UNITS[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "start_time,end_time,instrument,note,start_beat,end_beat,note_value\n";

    #[test]
    fn rows_parse_and_bad_rows_name_their_line() {
        let text = format!(
            "{HEADER}9182,90078,43,53,4.0,1.5,Dotted Quarter\n9182,x,43,53,4.0,1.5,Quarter\n\
             100,50,43,53,4.0,1.0,Quarter\n100,200,0,53,4.0,1.0,Quarter\n100,200,1,53\n"
        );
        let (labels, bad) = parse_labels(&text).expect("header is right");
        assert_eq!(
            labels,
            vec![Label {
                start_sample: 9182,
                end_sample: 90078,
                program: 42,
                pitch: 53,
                start_beat: 4.0,
                beats: 1.5,
                value_quarters: Some(1.5),
            }]
        );
        let lines: Vec<u64> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        assert_eq!(bad[0].problem, "end_time `x` is not a number of the expected kind");
        assert!(parse_labels("a,b\n1,2\n").is_err());
    }

    #[test]
    fn a_row_hours_long_is_damaged_not_a_note() {
        // Found by the `labels` fuzz target: end_beat 199999999 made the score's bar
        // lines (one per bar up to the last note) take minutes and gigabytes.
        let text = format!("{HEADER}110250,130250,41,63,3.0,199999999.,Quarter\n110250,130250,41,63,3.0,1.0,Quarter\n");
        let (labels, bad) = parse_labels(&text).expect("header is right");
        assert_eq!(labels.len(), 1);
        assert_eq!(bad[0].line, 2);
        assert_eq!(bad[0].problem, "start_beat 3 + end_beat 199999999 is past beat 25000 (hours of music): the row is damaged");
    }

    #[test]
    fn note_values_are_read_as_quarters() {
        let cases = [
            ("Quarter", Some(1.0)),
            ("Dotted Half", Some(3.0)),
            ("dotted eighth", Some(0.75)),
            ("Double Dotted Quarter", Some(1.75)),
            ("Triplet Sixteenth", Some(0.25 * 2.0 / 3.0)),
            ("Thirty Second", Some(0.125)),
            ("Sixty-Fourth", Some(0.0625)),
            (" Whole ", Some(4.0)),
            ("Triplet", None),
            ("Unknown", None),
            ("", None),
        ];
        for (text, quarters) in cases {
            assert_eq!(note_value_quarters(text), quarters, "{text:?}");
        }
    }

    fn label(beats: f64, value: &str) -> Label {
        Label {
            start_sample: 0,
            end_sample: 1,
            program: 0,
            pitch: 60,
            start_beat: 0.0,
            beats,
            value_quarters: note_value_quarters(value),
        }
    }

    #[test]
    fn the_beat_unit_is_what_most_values_say() {
        // Half-note beats (2/2): a quarter lasts half a beat, a half note one beat; one
        // mislabelled row and one unknown value do not change that.
        let alla_breve = [
            label(0.5, "Quarter"),
            label(1.0, "Half"),
            label(0.25, "Eighth"),
            label(0.75, "Dotted Quarter"),
            label(1.0, "Quarter"),
            label(1.0, "Unknown"),
        ];
        assert_eq!(beat_unit(&alla_breve), 2.0);
        // Eighth-note beats and plain quarter beats (triplets included).
        assert_eq!(beat_unit(&[label(2.0, "Quarter"), label(1.0, "Eighth")]), 0.5);
        let quarters = [label(1.0, "Quarter"), label(1.0 / 3.0, "Triplet Eighth")];
        assert_eq!(beat_unit(&quarters), 1.0);
        // Nothing to tell, or a tie with quarters: quarters.
        assert_eq!(beat_unit(&[label(1.0, "Unknown"), label(0.0, "Quarter")]), 1.0);
        assert_eq!(beat_unit(&[label(1.0, "Quarter"), label(1.0, "Half")]), 1.0);
    }
}
