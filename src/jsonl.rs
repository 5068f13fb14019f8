//! Reading JSON-lines files (clips, Q&A pairs, predictions): one JSON record per line,
//! blank lines skipped. Lazy, so a file of millions of clips is never held whole, and
//! every record comes with its 1-based line number so that an error can name it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;

/// The records of `path` with their line numbers; a line that cannot be read or parsed
/// gives an error without context, for the caller to word.
pub fn numbered<T: DeserializeOwned>(path: &Path) -> Result<impl Iterator<Item = (usize, Result<T>)>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(BufReader::new(file).lines().enumerate().filter_map(|(index, line)| {
        let record = match line {
            Ok(line) if line.trim().is_empty() => return None,
            Ok(line) => serde_json::from_str(&line).map_err(anyhow::Error::from),
            Err(error) => Err(anyhow::Error::from(error)),
        };
        Some((index + 1, record))
    }))
}

/// The records of `path`; an error names the file and line as `path:line`.
pub fn records<T: DeserializeOwned>(path: &Path) -> Result<impl Iterator<Item = Result<T>>> {
    let shown = path.display().to_string();
    Ok(numbered(path)?.map(move |(line, record)| record.with_context(|| format!("{shown}:{line}"))))
}
