//! Answers produced elsewhere: a JSON-lines file of `{"id", "run", "text"}`, one line
//! per clip and run (runs are 0-based), e.g. written by a Python inference script.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::eval::Answer;
use crate::jsonl;

/// A line of the file; other fields (model name, latency, ...) are ignored.
#[derive(Deserialize)]
struct Line {
    id: String,
    run: u32,
    text: String,
}

/// Every answer in the file, keyed by (clip id, run). A (clip, run) given twice is an
/// error: which of the two answers to score would be a guess.
pub fn load(path: &Path) -> Result<HashMap<(String, u32), String>> {
    let mut answers = HashMap::new();
    let lines = jsonl::numbered::<Line>(path).with_context(|| format!("reading predictions {}", path.display()))?;
    for (line, parsed) in lines {
        let parsed = parsed.with_context(|| {
            format!("{} line {line}: expected {{\"id\": string, \"run\": integer, \"text\": string}}", path.display())
        })?;
        if answers.insert((parsed.id.clone(), parsed.run), parsed.text).is_some() {
            bail!("{} line {line}: clip {:?} run {} is answered twice", path.display(), parsed.id, parsed.run);
        }
    }
    Ok(answers)
}

/// The answers for `ids` x `0..runs`, in that order; names what the file lacks.
pub fn select(answers: &HashMap<(String, u32), String>, ids: &[&str], runs: u32) -> Result<Vec<Answer>> {
    let mut chosen = Vec::with_capacity(ids.len() * runs as usize);
    let mut missing = Vec::new();
    for id in ids {
        for run in 0..runs {
            match answers.get(&(id.to_string(), run)) {
                Some(text) => chosen.push(Answer { id: id.to_string(), run, text: text.clone() }),
                None => missing.push(format!("({id}, run {run})")),
            }
        }
    }
    if !missing.is_empty() {
        let shown = missing.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        let more = if missing.len() > 5 { format!(" and {} more", missing.len() - 5) } else { String::new() };
        bail!(
            "the predictions lack {} of the {} answers needed: {shown}{more}",
            missing.len(),
            ids.len() * runs as usize
        );
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn loads_selects_and_names_missing_answers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("p.jsonl");
        fs::write(
            &path,
            "{\"id\": \"a\", \"run\": 0, \"text\": \"X:1\"}\n{\"id\": \"a\", \"run\": 1, \"text\": \"\"}\n",
        )
        .expect("write");
        let answers = load(&path).expect("valid file");
        let chosen = select(&answers, &["a"], 2).expect("complete");
        assert_eq!(chosen[1], Answer { id: "a".to_string(), run: 1, text: String::new() });
        let err = select(&answers, &["a", "b"], 2).expect_err("b is missing");
        assert_eq!(err.to_string(), "the predictions lack 2 of the 4 answers needed: (b, run 0), (b, run 1)");
    }

    #[test]
    fn duplicate_answers_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("p.jsonl");
        let line = "{\"id\": \"a\", \"run\": 0, \"text\": \"X:1\"}\n";
        fs::write(&path, line.repeat(2)).expect("write");
        let err = load(&path).expect_err("twice");
        assert!(err.to_string().ends_with("line 2: clip \"a\" run 0 is answered twice"), "{err}");
    }
}
