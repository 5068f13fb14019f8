//! The resume store: one content-addressed, self-healing cache for every stage that can
//! pick up where a killed or repeated run left off (a piece's records in `prep run`, a
//! clip's embedding, an endpoint's answer in `prep eval`).
//!
//! A [`Key`] is a blake3 hash of everything that shapes the stored value: the stage's
//! settings, the input's bytes, the item's id. An input that changes is therefore a
//! different key, never a stale hit. Each entry is one file, `<label>-<key>.entry`, written
//! through a temporary name and a rename, holding a header (magic, the key, the payload's
//! length and blake3 checksum) and the payload. An entry that is truncated, edited or
//! belongs to another key is reported as a note naming the file and treated as absent,
//! so the caller recomputes it: a damaged cache costs time, never the run or the result.
//!
//! Opening a store removes temporary files a killed run left in its folder. The store
//! does not decide what a value means (that is the stage's), and it never prints: the
//! notes go back to the caller with the stage's summary.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

use crate::output::{TempFolder, write_atomically};

/// The first bytes of every entry (the format's version is its last digit).
const MAGIC: &[u8; 8] = b"PREPSTO1";
/// Magic, key, payload length, payload checksum.
const HEADER_BYTES: usize = 8 + 32 + 8 + 32;
/// The extension of entries; other files in a store's folder are not its own.
const EXTENSION: &str = "entry";

/// What an entry is stored under: a blake3 hash of everything that shapes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(blake3::Hash);

impl Key {
    /// The key's hexadecimal form (64 characters).
    pub fn hex(&self) -> String {
        self.0.to_hex().to_string()
    }
}

/// Builds a [`Key`] from parts; each part is length-prefixed, so `("ab", "c")` and
/// `("a", "bc")` give different keys.
#[derive(Debug, Clone)]
pub struct KeyHasher(blake3::Hasher);

impl KeyHasher {
    /// A hasher for keys of one kind of value that prep computes (`piece`, `embedding`),
    /// the build included (`version::BUILD`): a build from other sources never reads values
    /// this one computed.
    pub fn new(kind: &str) -> Self {
        let mut hasher = Self::received(kind);
        hasher.text(crate::version::BUILD);
        hasher
    }

    /// A hasher for keys of one kind of value prep receives rather than computes (a
    /// server's `answer`): what was sent decides it, whichever build sent it, so a rebuilt
    /// prep does not ask a server again for the same request.
    pub fn received(kind: &str) -> Self {
        let mut hasher = KeyHasher(blake3::Hasher::new());
        hasher.text(kind);
        hasher
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    pub fn number(&mut self, value: f64) -> &mut Self {
        self.bytes(&value.to_bits().to_le_bytes())
    }

    /// Adds a hash computed elsewhere (a file's, from [`file_hash`]).
    pub fn hash(&mut self, hash: &blake3::Hash) -> &mut Self {
        self.bytes(hash.as_bytes())
    }

    pub fn key(&self) -> Key {
        Key(self.0.finalize())
    }
}

/// The blake3 hash of a file's bytes.
pub fn file_hash(path: &Path) -> Result<blake3::Hash> {
    let mut reader = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(&mut reader).with_context(|| format!("reading {}", path.display()))?;
    Ok(hasher.finalize())
}

/// One folder of entries.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    /// Entries this run read or wrote (`retain_used` keeps only these).
    used: Mutex<HashSet<PathBuf>>,
    /// Damaged entries found, and other things the user should know.
    notes: Mutex<Vec<String>>,
}

impl Store {
    /// The store in `dir` (created when first written), with the temporary files of a
    /// killed run removed.
    pub fn open(dir: &Path) -> Result<Store> {
        crate::output::remove_stale_temp_files(dir, TempFolder::Shared)?;
        Ok(Store { dir: dir.to_path_buf(), used: Mutex::default(), notes: Mutex::default() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The payload stored under `key`, or `None` when there is none or it is damaged (then
    /// a note names the file and says why).
    pub fn get(&self, key: &Key, label: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(key, label);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        self.mark_used(&path);
        match payload(&bytes, key) {
            Ok(payload) => Ok(Some(payload.to_vec())),
            Err(why) => {
                self.note(format!("{}: damaged cache entry ({why}); computed again", path.display()));
                Ok(None)
            }
        }
    }

    /// Stores `payload` under `key` (atomically: a reader sees the old entry or the new one).
    pub fn put(&self, key: &Key, label: &str, payload: &[u8]) -> Result<()> {
        let path = self.path(key, label);
        let mut bytes = Vec::with_capacity(HEADER_BYTES + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(key.0.as_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(blake3::hash(payload).as_bytes());
        bytes.extend_from_slice(payload);
        write_atomically(&path, &bytes)?;
        self.mark_used(&path);
        Ok(())
    }

    /// Adds a note for the caller's summary.
    pub fn note(&self, note: String) {
        if let Ok(mut notes) = self.notes.lock() {
            notes.push(note);
        }
    }

    /// The notes gathered so far (damaged entries), emptied.
    pub fn take_notes(&self) -> Vec<String> {
        self.notes.lock().map(|mut notes| std::mem::take(&mut *notes)).unwrap_or_default()
    }

    /// Removes every entry this run neither read nor wrote (older settings, changed or
    /// removed inputs): the store then holds exactly what the run's result came from.
    pub fn retain_used(&self) -> Result<()> {
        let used = self.used.lock().map_err(|_| anyhow::anyhow!("a worker panicked"))?;
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("listing {}", self.dir.display())),
        };
        for entry in entries {
            let path = entry.with_context(|| format!("listing {}", self.dir.display()))?.path();
            if path.is_file() && !used.contains(&path) {
                fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            }
        }
        Ok(())
    }

    fn path(&self, key: &Key, label: &str) -> PathBuf {
        let label: String =
            label.chars().take(64).map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        self.dir.join(format!("{label}-{}.{EXTENSION}", &key.hex()[..32]))
    }

    fn mark_used(&self, path: &Path) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(path.to_path_buf());
        }
    }
}

/// The payload of an entry's bytes, checked against its header; why not, otherwise.
fn payload<'a>(bytes: &'a [u8], key: &Key) -> Result<&'a [u8], String> {
    if bytes.len() < HEADER_BYTES {
        return Err(format!("{} bytes, shorter than the header", bytes.len()));
    }
    let (header, payload) = bytes.split_at(HEADER_BYTES);
    if &header[..8] != MAGIC {
        return Err("not a prep cache entry".to_string());
    }
    if &header[8..40] != key.0.as_bytes() {
        return Err("stored under another key".to_string());
    }
    let mut length = [0u8; 8];
    length.copy_from_slice(&header[40..48]);
    let length = u64::from_le_bytes(length);
    if payload.len() as u64 != length {
        return Err(format!("{} bytes of payload, the header says {length}", payload.len()));
    }
    if blake3::hash(payload).as_bytes() != &header[48..80] {
        return Err("checksum mismatch: the payload was changed".to_string());
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        KeyHasher::new("test").text(text).key()
    }

    #[test]
    fn a_value_comes_back_and_other_keys_miss() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("opens");
        store.put(&key("a"), "piece/1", b"records").expect("writes");
        assert_eq!(store.get(&key("a"), "piece/1").expect("reads").as_deref(), Some(&b"records"[..]));
        assert_eq!(store.get(&key("b"), "piece/1").expect("reads"), None);
        assert!(store.take_notes().is_empty());
    }

    #[test]
    fn computed_values_are_keyed_by_the_build_received_ones_by_what_was_sent() {
        let part = |text: &str| [(text.len() as u64).to_le_bytes().as_slice(), text.as_bytes()].concat();
        let received = blake3::hash(&[part("answer"), part("request")].concat());
        assert_eq!(KeyHasher::received("answer").text("request").key(), Key(received));
        let computed = blake3::hash(&[part("piece"), part(crate::version::BUILD), part("bytes")].concat());
        assert_eq!(KeyHasher::new("piece").text("bytes").key(), Key(computed));
    }

    #[test]
    fn parts_are_separated() {
        let ab_c = KeyHasher::new("t").text("ab").text("c").key();
        let a_bc = KeyHasher::new("t").text("a").text("bc").key();
        assert_ne!(ab_c, a_bc);
        assert_ne!(KeyHasher::new("t").key(), KeyHasher::new("u").key());
    }

    #[test]
    fn damaged_entries_are_misses_named_in_a_note() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("opens");
        let payload = vec![7u8; 1000];
        for (damage, why) in [
            (Box::new(|b: &mut Vec<u8>| b.truncate(500)) as Box<dyn Fn(&mut Vec<u8>)>, "420 bytes of payload"),
            (Box::new(|b: &mut Vec<u8>| b.truncate(10)), "shorter than the header"),
            (Box::new(|b: &mut Vec<u8>| b[HEADER_BYTES + 3] = 8), "checksum mismatch"),
            (Box::new(|b: &mut Vec<u8>| b[0] = b'X'), "not a prep cache entry"),
        ] {
            store.put(&key("a"), "x", &payload).expect("writes");
            let path = store.path(&key("a"), "x");
            let mut bytes = fs::read(&path).expect("reads");
            damage(&mut bytes);
            fs::write(&path, bytes).expect("damages");
            assert_eq!(store.get(&key("a"), "x").expect("a miss, not an error"), None);
            let notes = store.take_notes();
            assert!(notes.len() == 1 && notes[0].contains(&path.display().to_string()), "{notes:?}");
            assert!(notes[0].contains(why), "{notes:?}");
        }
    }

    #[test]
    fn an_entry_copied_under_another_key_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("opens");
        store.put(&key("a"), "x", b"value of a").expect("writes");
        fs::copy(store.path(&key("a"), "x"), store.path(&key("b"), "x")).expect("copies");
        assert_eq!(store.get(&key("b"), "x").expect("reads"), None);
        assert!(store.take_notes()[0].contains("another key"));
    }

    #[test]
    fn opening_removes_temporary_files_and_retain_removes_unused_entries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = Store::open(dir.path()).expect("opens");
        first.put(&key("old"), "x", b"1").expect("writes");
        first.put(&key("kept"), "x", b"2").expect("writes");
        fs::write(dir.path().join(".entry.prep-tmp-AbC123"), b"half").expect("writes");
        let second = Store::open(dir.path()).expect("opens");
        assert!(!dir.path().join(".entry.prep-tmp-AbC123").exists());
        assert!(second.get(&key("kept"), "x").expect("reads").is_some());
        second.retain_used().expect("prunes");
        let left: Vec<_> = fs::read_dir(dir.path()).expect("lists").map(|e| e.expect("entry").path()).collect();
        assert_eq!(left, [second.path(&key("kept"), "x")]);
    }
}
