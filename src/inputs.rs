//! What a path given to a command is, and the clips or files it holds: one set of rules
//! for `prep qa`, `prep eval`, `prep embed` and `prep midi2abc`, so that the same folder
//! reads the same way whatever the command.
//!
//! An input is one of ([`Input::detect`]):
//! - a dataset folder written by `prep run` or `prep shards` (it has `data/clips/` or
//!   `.prep/clips.jsonl`);
//! - a clips JSONL file (`.jsonl`, or a file whose first byte is `{`);
//! - an audio, MIDI or ABC file, told by its extension and, when the extension says
//!   nothing, by its first bytes;
//! - any other folder, searched recursively for files of the command's kind.
//!
//! Folder rules ([`files_under`]): symbolic links are followed, a link loop is an error
//! naming it; extensions match in any case (`a.MID` is MIDI); files come sorted by their
//! path relative to the folder, so the output never depends on the file system's order.
//! A file's id is that relative path without its extension, `/`-separated. Two files with
//! the same id (`a.mid` and `a.MID`, `ok.wav` and `ok.flac`) would write the same output
//! or row: neither is used, and each is reported naming the other ([`unique_ids`]),
//! rather than one silently overwriting the other.
//!
//! Clip rules ([`load_abc_clips`]): a clip has an id, a split, its true ABC and optionally
//! its audio and the question to ask. In a folder of `.abc` files the split is the first
//! folder when it is `train`, `validation` or `test` (`test/a.abc`), else the command's
//! default; the audio is the file beside the `.abc` with the same name and an audio
//! extension (wav, flac, mp3, ogg, in that order). In a clips JSONL each line is
//! `{"id", "abc", "split"?, "audio"?, "question"?}` where `audio` is a path (relative to
//! the JSONL's folder), a URL, or a span `{"path", "start_s", "end_s"}` as `prep run`'s
//! `clips.jsonl` has it; other keys are ignored. A line that cannot be read is a
//! problem naming the file and line; the other lines are read.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::clips::AudioSpan;
use crate::datasets::{Problem, Split};
use crate::jsonl;

/// Audio extensions, in the order a file beside an `.abc` is looked for.
pub const AUDIO_EXTENSIONS: [&str; 4] = ["wav", "flac", "mp3", "ogg"];
/// MIDI extensions.
pub const MIDI_EXTENSIONS: [&str; 3] = ["mid", "midi", "smf"];
/// ABC extensions.
pub const ABC_EXTENSIONS: [&str; 1] = ["abc"];
/// Clips JSONL extensions.
const JSONL_EXTENSIONS: [&str; 3] = ["jsonl", "ndjson", "json"];

/// What a path given to a command is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A dataset folder written by prep.
    Dataset(PathBuf),
    /// A JSON-lines file of clips.
    ClipsJsonl(PathBuf),
    /// One media file.
    File(PathBuf, FileKind),
    /// Any other folder.
    Folder(PathBuf),
}

/// The kind of a single media file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Audio,
    Midi,
    Abc,
}

impl Input {
    /// What `path` is (see the module documentation). A path that does not exist, or a
    /// file that is none of the kinds, is an error naming it.
    pub fn detect(path: &Path) -> Result<Input> {
        if path.is_dir() {
            let is_dataset = path.join("data").join("clips").is_dir() || dataset_clips_jsonl(path).is_some();
            return Ok(if is_dataset { Input::Dataset(path.to_path_buf()) } else { Input::Folder(path.to_path_buf()) });
        }
        if !path.exists() {
            bail!("{}: no such file or folder", path.display());
        }
        let by_extension = [
            (&JSONL_EXTENSIONS[..], None),
            (&AUDIO_EXTENSIONS[..], Some(FileKind::Audio)),
            (&MIDI_EXTENSIONS[..], Some(FileKind::Midi)),
            (&ABC_EXTENSIONS[..], Some(FileKind::Abc)),
        ];
        for (extensions, kind) in by_extension {
            if has_extension(path, extensions) {
                return Ok(match kind {
                    Some(kind) => Input::File(path.to_path_buf(), kind),
                    None => Input::ClipsJsonl(path.to_path_buf()),
                });
            }
        }
        let mut head = [0u8; 16];
        let read = fs::File::open(path)
            .and_then(|mut file| file.read(&mut head))
            .with_context(|| format!("reading {}", path.display()))?;
        match sniff(&head[..read]) {
            Some(Sniffed::Jsonl) => Ok(Input::ClipsJsonl(path.to_path_buf())),
            Some(Sniffed::File(kind)) => Ok(Input::File(path.to_path_buf(), kind)),
            None => bail!(
                "{}: neither a clips JSONL nor an audio, MIDI or ABC file (by its extension or its first bytes)",
                path.display()
            ),
        }
    }
}

/// A dataset folder's clips JSONL (`.prep/clips.jsonl`), when it has one.
pub fn dataset_clips_jsonl(root: &Path) -> Option<PathBuf> {
    Some(root.join(".prep").join("clips.jsonl")).filter(|path| path.is_file())
}

enum Sniffed {
    Jsonl,
    File(FileKind),
}

/// A file's kind from its first bytes.
fn sniff(head: &[u8]) -> Option<Sniffed> {
    let audio = [&b"RIFF"[..], b"fLaC", b"OggS", b"ID3"];
    if audio.iter().any(|magic| head.starts_with(magic)) || (head.len() > 1 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        return Some(Sniffed::File(FileKind::Audio));
    }
    if head.starts_with(b"MThd") {
        return Some(Sniffed::File(FileKind::Midi));
    }
    let text = head.iter().skip_while(|b| b.is_ascii_whitespace()).copied().collect::<Vec<u8>>();
    if text.starts_with(b"{") {
        Some(Sniffed::Jsonl)
    } else if text.starts_with(b"X:") || text.starts_with(b"%abc") {
        Some(Sniffed::File(FileKind::Abc))
    } else {
        None
    }
}

/// Whether `path`'s extension is one of `extensions`, in any case.
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// A file found under a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    /// The path relative to the folder, `/`-separated, extension included.
    pub relative: String,
}

impl Found {
    /// The relative path without its extension: the file's id.
    pub fn id(&self) -> &str {
        match self.relative.rfind('.') {
            Some(dot) if dot > self.relative.rfind('/').map_or(0, |slash| slash + 1) => &self.relative[..dot],
            _ => &self.relative,
        }
    }
}

/// Every file under `dir` with one of `extensions` (any case), following symbolic links,
/// sorted by relative path. A link loop or an unreadable folder is an error naming it.
pub fn files_under(dir: &Path, extensions: &[&str]) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        if entry.file_type().is_file() && has_extension(entry.path(), extensions) {
            let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            let relative =
                relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            found.push(Found { path: entry.into_path(), relative });
        }
    }
    found.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(found)
}

/// The items whose id (by `id_of`) no other item has, in order, and a problem for each
/// item that shares its id, naming the others.
pub fn unique_ids<T>(items: Vec<T>, id_of: impl Fn(&T) -> String, name_of: impl Fn(&T) -> String) -> (Vec<T>, Vec<Problem>) {
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for item in &items {
        by_id.entry(id_of(item)).or_default().push(name_of(item));
    }
    let mut problems = Vec::new();
    let mut kept = Vec::new();
    for item in items {
        let id = id_of(&item);
        let names = &by_id[&id];
        if names.len() == 1 {
            kept.push(item);
            continue;
        }
        let name = name_of(&item);
        let others: Vec<&str> = names.iter().filter(|n| **n != name).map(String::as_str).collect();
        problems.push(Problem {
            item: name,
            message: format!("{id:?} is also the name of {}: rename one of them (neither was used)", others.join(" and ")),
        });
    }
    (kept, problems)
}

/// A clip's audio.
#[derive(Clone, PartialEq)]
pub enum Audio {
    /// A whole file; its extension names the format.
    File(PathBuf),
    /// A span of a file (a clip of `prep run`).
    Span(AudioSpan),
    /// A WAV file's bytes (read from a dataset's shards).
    Wav(Vec<u8>),
    /// A URL, kept as given (chat exports reference it; nothing downloads it).
    Url(String),
}

impl Audio {
    /// The audio's bytes and format: `wav`, or a file's extension in lower case.
    pub fn read(&self) -> Result<(Cow<'_, [u8]>, String)> {
        match self {
            Audio::File(path) => {
                let bytes = fs::read(path).with_context(|| format!("reading audio {}", path.display()))?;
                let format = path.extension().and_then(|e| e.to_str()).unwrap_or("wav").to_ascii_lowercase();
                Ok((Cow::Owned(bytes), format))
            }
            Audio::Span(span) => Ok((Cow::Owned(span.wav()?), "wav".to_string())),
            Audio::Wav(bytes) => Ok((Cow::Borrowed(bytes), "wav".to_string())),
            Audio::Url(url) => bail!("audio {url} is a URL: prep sends audio inline, download it first"),
        }
    }

    /// How a chat example refers to the audio: a path, a W3C media fragment of a path
    /// (`a.wav#t=25.000,50.000`) or a URL; `None` for bytes, which have no name.
    pub fn reference(&self) -> Option<String> {
        match self {
            Audio::File(path) => Some(path.display().to_string()),
            Audio::Span(span) => Some(format!("{}#t={:.3},{:.3}", span.path.display(), span.start_s, span.end_s)),
            Audio::Wav(_) => None,
            Audio::Url(url) => Some(url.clone()),
        }
    }
}

/// Names the file or counts the bytes, rather than printing megabytes of samples.
impl fmt::Debug for Audio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audio::File(path) => f.debug_tuple("File").field(path).finish(),
            Audio::Span(span) => f.debug_tuple("Span").field(span).finish(),
            Audio::Wav(bytes) => write!(f, "Wav({} bytes)", bytes.len()),
            Audio::Url(url) => f.debug_tuple("Url").field(url).finish(),
        }
    }
}

/// A clip given as ABC: what `prep qa` questions and `prep eval` scores against.
#[derive(Debug, Clone, PartialEq)]
pub struct AbcClip {
    pub id: String,
    pub split: Split,
    /// The true ABC.
    pub abc: String,
    pub audio: Option<Audio>,
    /// The question to ask about it; `None` for the default.
    pub question: Option<String>,
}

/// The clips of a folder of `.abc` files or of a clips JSONL (a dataset folder's
/// `.prep/clips.jsonl`), in input order, and the items that could not be read; clips
/// that state no split get `default_split`. An empty input is an error.
pub fn load_abc_clips(input: &Input, default_split: Split) -> Result<(Vec<AbcClip>, Vec<Problem>)> {
    let (clips, problems) = match input {
        Input::Folder(dir) => abc_folder(dir, default_split)?,
        Input::ClipsJsonl(path) => clips_jsonl(path, default_split)?,
        Input::Dataset(root) => match dataset_clips_jsonl(root) {
            Some(path) => clips_jsonl(&path, default_split)?,
            None => bail!("{}: a dataset folder without .prep/clips.jsonl", root.display()),
        },
        Input::File(path, FileKind::Abc) => {
            let abc = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let id = path.file_stem().map_or(String::new(), |s| s.to_string_lossy().into_owned());
            let audio = audio_beside(path);
            (vec![AbcClip { id, split: default_split, abc, audio, question: None }], Vec::new())
        }
        Input::File(path, _) => bail!("{}: expected ABC clips (a folder of .abc files or a clips JSONL)", path.display()),
    };
    if clips.is_empty() && problems.is_empty() {
        match input {
            Input::Folder(dir) => bail!("no .abc files under {}", dir.display()),
            Input::ClipsJsonl(path) | Input::Dataset(path) | Input::File(path, _) => {
                bail!("{}: no clips", path.display())
            }
        }
    }
    Ok((clips, problems))
}

fn abc_folder(dir: &Path, default_split: Split) -> Result<(Vec<AbcClip>, Vec<Problem>)> {
    let (files, mut problems) =
        unique_ids(files_under(dir, &ABC_EXTENSIONS)?, |f| f.id().to_string(), |f| f.path.display().to_string());
    let mut clips = Vec::new();
    for file in files {
        let abc = match fs::read_to_string(&file.path) {
            Ok(abc) => abc,
            Err(e) => {
                problems.push(Problem { item: file.path.display().to_string(), message: format!("reading: {e}") });
                continue;
            }
        };
        let split = match file.id().split_once('/') {
            Some((first, _)) => split_named(first).unwrap_or(default_split),
            None => default_split,
        };
        let audio = audio_beside(&file.path);
        clips.push(AbcClip { id: file.id().to_string(), split, abc, audio, question: None });
    }
    Ok((clips, problems))
}

/// The split called `name` (`train`, `validation`, `test`).
pub fn split_named(name: &str) -> Option<Split> {
    [Split::Train, Split::Validation, Split::Test].into_iter().find(|split| split.name() == name)
}

/// The audio file beside `path` with the same name and an audio extension (lower case
/// first, then upper case), when there is one.
fn audio_beside(path: &Path) -> Option<Audio> {
    AUDIO_EXTENSIONS
        .iter()
        .flat_map(|extension| [extension.to_string(), extension.to_ascii_uppercase()])
        .map(|extension| path.with_extension(extension))
        .find(|candidate| candidate.is_file())
        .map(Audio::File)
}

/// A line of a clips JSONL; other keys are ignored.
#[derive(Deserialize)]
struct Line {
    id: String,
    abc: String,
    #[serde(default)]
    split: Option<Split>,
    #[serde(default)]
    audio: Option<LineAudio>,
    #[serde(default)]
    question: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LineAudio {
    Path(String),
    Span(AudioSpan),
}

fn clips_jsonl(path: &Path, default_split: Split) -> Result<(Vec<AbcClip>, Vec<Problem>)> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let (mut clips, mut problems) = (Vec::new(), Vec::new());
    for (number, line) in jsonl::numbered::<Line>(path)? {
        match line {
            Ok(line) => clips.push((number, AbcClip {
                id: line.id,
                split: line.split.unwrap_or(default_split),
                abc: line.abc,
                audio: line.audio.map(|audio| match audio {
                    LineAudio::Path(text) if text.contains("://") => Audio::Url(text),
                    LineAudio::Path(text) => Audio::File(folder.join(text)),
                    LineAudio::Span(span) => Audio::Span(AudioSpan { path: folder.join(&span.path), ..span }),
                }),
                question: line.question,
            })),
            Err(error) => problems.push(Problem {
                item: format!("{} line {number}", path.display()),
                message: format!(
                    "{error} (expected {{\"id\", \"abc\", \"split\"?, \"audio\"?, \"question\"?}})"
                ),
            }),
        }
    }
    let (clips, collisions) = unique_ids(clips, |(_, c)| c.id.clone(), |(n, _)| format!("{} line {n}", path.display()));
    problems.extend(collisions);
    Ok((clips.into_iter().map(|(_, clip)| clip).collect(), problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, relative: &str, bytes: &[u8]) {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, bytes).expect("write");
    }

    #[test]
    fn files_are_found_in_any_case_sorted_by_relative_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["b/z.MID", "a.mid", "b/a.Midi", "notes.txt", "c.smf"] {
            write(dir.path(), name, b"");
        }
        let found: Vec<String> =
            files_under(dir.path(), &MIDI_EXTENSIONS).expect("lists").into_iter().map(|f| f.relative).collect();
        assert_eq!(found, ["a.mid", "b/a.Midi", "b/z.MID", "c.smf"]);
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_a_loop_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), "real/x.wav", b"RIFF");
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("linked")).expect("link");
        let found: Vec<String> =
            files_under(dir.path(), &AUDIO_EXTENSIONS).expect("lists").into_iter().map(|f| f.relative).collect();
        assert_eq!(found, ["linked/x.wav", "real/x.wav"]);
        std::os::unix::fs::symlink(dir.path(), dir.path().join("real/up")).expect("loop");
        let error = files_under(dir.path(), &AUDIO_EXTENSIONS).expect_err("a loop");
        assert!(format!("{error:#}").contains("loop"), "{error:#}");
    }

    #[test]
    fn shared_ids_are_problems_naming_both_files() {
        let files = ["a.mid", "a.MID", "b.mid"].map(|name| Found { path: name.into(), relative: name.into() });
        let (kept, problems) = unique_ids(files.to_vec(), |f| f.id().to_string(), |f| f.relative.clone());
        assert_eq!(kept, [files[2].clone()]);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].item, "a.mid");
        assert!(problems[0].message.contains("also the name of a.MID"), "{}", problems[0].message);
    }

    #[test]
    fn ids_drop_only_the_extension() {
        let found = |relative: &str| Found { path: relative.into(), relative: relative.into() };
        assert_eq!(found("x/a.b.wav").id(), "x/a.b");
        assert_eq!(found("x.y/a").id(), "x.y/a");
    }

    #[test]
    fn inputs_are_told_by_extension_then_content() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        write(root, "a.WAV", b"RIFF....WAVE");
        write(root, "noext", b"fLaC\0\0");
        write(root, "song", b"MThd\0\0\0\x06");
        write(root, "clips", b"\n{\"id\": 1}");
        write(root, "tune", b"X:1\nK:C\n");
        write(root, "junk", b"\x00\x01");
        write(root, "set/.prep/clips.jsonl", b"");
        let kind = |name: &str| Input::detect(&root.join(name)).expect("detected");
        assert_eq!(kind("a.WAV"), Input::File(root.join("a.WAV"), FileKind::Audio));
        assert_eq!(kind("noext"), Input::File(root.join("noext"), FileKind::Audio));
        assert_eq!(kind("song"), Input::File(root.join("song"), FileKind::Midi));
        assert_eq!(kind("clips"), Input::ClipsJsonl(root.join("clips")));
        assert_eq!(kind("tune"), Input::File(root.join("tune"), FileKind::Abc));
        assert_eq!(kind("set"), Input::Dataset(root.join("set")));
        assert_eq!(kind("set/.prep"), Input::Folder(root.join("set/.prep")));
        assert!(Input::detect(&root.join("junk")).expect_err("unknown").to_string().contains("first bytes"));
        let missing = Input::detect(&root.join("nothing")).expect_err("missing").to_string();
        assert!(missing.ends_with("nothing: no such file or folder"), "{missing}");
    }

    #[test]
    fn an_abc_folder_reads_splits_audio_and_refuses_emptiness() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        write(root, "test/b.abc", b"X:1");
        write(root, "test/b.FLAC", b"fLaC");
        write(root, "train/a.ABC", b"X:2");
        write(root, "loose/c.abc", b"X:3");
        let (clips, problems) = load_abc_clips(&Input::Folder(root.to_path_buf()), Split::Validation).expect("reads");
        assert!(problems.is_empty());
        let summary: Vec<(&str, Split, bool)> = clips.iter().map(|c| (c.id.as_str(), c.split, c.audio.is_some())).collect();
        assert_eq!(
            summary,
            [("loose/c", Split::Validation, false), ("test/b", Split::Test, true), ("train/a", Split::Train, false)]
        );
        let empty = tempfile::tempdir().expect("temp dir");
        let error = load_abc_clips(&Input::Folder(empty.path().to_path_buf()), Split::Test).expect_err("empty");
        assert_eq!(error.to_string(), format!("no .abc files under {}", empty.path().display()));
    }

    #[test]
    fn a_clips_jsonl_resolves_audio_and_reports_bad_lines_and_shared_ids() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("clips.jsonl");
        let lines = [
            r#"{"id": "a", "abc": "X:1", "audio": "a.wav", "split": "train"}"#,
            r#"{"id": "b", "abc": "X:2", "audio": "https://x.org/b.wav", "question": "Q?"}"#,
            r#"{"id": "c", "abc": "X:3", "audio": {"path": "c.flac", "start_s": 1.0, "end_s": 2.5}}"#,
            r#"{"id": 3}"#,
            r#"{"id": "d", "abc": "X:4"}"#,
            r#"{"id": "d", "abc": "X:5"}"#,
        ];
        fs::write(&path, lines.join("\n")).expect("write");
        let (clips, problems) = load_abc_clips(&Input::ClipsJsonl(path.clone()), Split::Test).expect("reads");
        let audio: Vec<Option<String>> = clips.iter().map(|c| c.audio.as_ref().and_then(Audio::reference)).collect();
        let folder = dir.path().display();
        assert_eq!(
            audio,
            [
                Some(format!("{folder}/a.wav")),
                Some("https://x.org/b.wav".to_string()),
                Some(format!("{folder}/c.flac#t=1.000,2.500"))
            ]
        );
        assert_eq!((clips[0].split, clips[1].split), (Split::Train, Split::Test));
        let items: Vec<&str> = problems.iter().map(|p| p.item.as_str()).collect();
        let name = path.display().to_string();
        assert_eq!(items, [format!("{name} line 4"), format!("{name} line 5"), format!("{name} line 6")]);
        assert!(problems[1].message.contains(&format!("also the name of {name} line 6")), "{}", problems[1].message);
    }
}
