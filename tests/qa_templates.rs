//! Question templates: the embedded defaults, user overrides, and YAML errors that name
//! the line.

use std::path::Path;

use prep::qa::{QaKind, Templates};

#[test]
fn the_embedded_templates_have_several_phrasings_per_kind() {
    let templates = Templates::embedded().expect("the embedded templates load");
    for kind in QaKind::ALL {
        assert!(templates.phrasings(kind).len() >= 3, "{kind:?}");
    }
    for question in templates.phrasings(QaKind::Transcription) {
        for field in ["X:", "T:", "M:", "L:", "Q:", "K:", "V:", "name=", "128 General MIDI"] {
            assert!(question.contains(field), "{field} missing from {question:?}");
        }
        assert!(!question.contains('\n'), "folded to one line: {question:?}");
    }
}

#[test]
fn a_user_file_replaces_the_kinds_it_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mine.yaml");
    std::fs::write(&path, "# only tempo\ntempo:\n  - \"Tempo?\"\n  - \"BPM?\"\n").expect("write");
    let mine = Templates::load(Some(&path)).expect("loads");
    let defaults = Templates::embedded().expect("loads");
    assert_eq!(mine.phrasings(QaKind::Tempo), ["Tempo?", "BPM?"]);
    assert_eq!(mine.phrasings(QaKind::Key), defaults.phrasings(QaKind::Key));
    assert_eq!(Templates::load(None).expect("loads"), defaults);
}

fn error(text: &str) -> String {
    Templates::embedded()
        .expect("loads")
        .overridden_by(text, "mine.yaml")
        .expect_err("must fail")
        .to_string()
}

#[test]
fn yaml_errors_name_the_file_and_line() {
    assert_eq!(
        error("tempo:\n  - \"Tempo?\"\n\ntempi:\n  - \"Speed?\"\n"),
        "mine.yaml: unknown field `tempi`, expected one of `tempo`, `metre`, `key`, `instruments`, \
         `instrument_count`, `transcription` at line 4 column 1"
    );
    assert_eq!(
        error("tempo:\n  - \"Tempo?\"\nkey: 5\n"),
        "mine.yaml: key: invalid type: integer `5`, expected a list of one or more non-empty phrasings \
         at line 3 column 6"
    );
    assert_eq!(
        error("metre:\n  - [3, 4]\n"),
        "mine.yaml: metre[0]: invalid type: sequence, expected a string at line 2 column 5"
    );
    assert_eq!(
        error("metre: []\n"),
        "mine.yaml: metre: invalid length 0, expected a list of one or more non-empty phrasings at line 1 column 8"
    );
    assert_eq!(
        error("metre:\n  - \"Metre?\"\n  - \"  \"\n"),
        "mine.yaml: metre: invalid value: string \"  \", expected a list of one or more non-empty phrasings \
         at line 2 column 3"
    );
    let missing = Templates::from_yaml("tempo: [\"Tempo?\"]\n", "partial.yaml").expect_err("incomplete");
    assert_eq!(missing.to_string(), "partial.yaml: no phrasings for `metre`");
}

#[test]
fn a_missing_file_is_an_error_with_its_path() {
    let message = Templates::load(Some(Path::new("no/such/templates.yaml")))
        .expect_err("missing")
        .to_string();
    assert!(message.starts_with("reading no/such/templates.yaml: "), "{message}");
}
