//! What a push must change on the Hub, decided from the local files and the remote tree
//! alone (no I/O): the files whose content the Hub lacks, the stale files in the folders a
//! push mirrors (`data/`, `chat/`, `audio/clips/`: a stale shard's name would still match
//! the card's `data/<config>/<split>-*` globs, a stale clip would linger unreferenced) it
//! must drop, and how those changes are cut into commits.

use std::collections::{BTreeMap, BTreeSet};

use super::local::{CARD, LocalFile, MIRRORED};

/// A file in the remote tree: its path and git object id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub path: String,
    pub oid: String,
}

/// One change in a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<'a> {
    Upload(&'a LocalFile),
    Delete(String),
}

impl Change<'_> {
    pub fn path(&self) -> &str {
        match self {
            Change::Upload(file) => &file.repo_path,
            Change::Delete(path) => path,
        }
    }

    /// Bytes this change sends.
    pub fn bytes(&self) -> u64 {
        match self {
            Change::Upload(file) => file.size,
            Change::Delete(_) => 0,
        }
    }
}

/// What differs between the local files and the remote tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan<'a> {
    /// Local files the Hub does not hold with this content.
    pub uploads: Vec<&'a LocalFile>,
    /// Local files the Hub already holds, byte for byte.
    pub unchanged: usize,
    /// Remote files in the mirrored folders with no local counterpart.
    pub deletes: Vec<String>,
}

impl<'a> Plan<'a> {
    pub fn new(local: &'a [LocalFile], remote: &[RemoteFile]) -> Plan<'a> {
        let remote: BTreeMap<&str, &str> = remote.iter().map(|f| (f.path.as_str(), f.oid.as_str())).collect();
        let (unchanged, uploads): (Vec<&LocalFile>, Vec<&LocalFile>) = local
            .iter()
            .partition(|file| remote.get(file.repo_path.as_str()).is_some_and(|oid| file.hashes.matches(oid)));
        let local_paths: BTreeSet<&str> = local.iter().map(|f| f.repo_path.as_str()).collect();
        let mirrored = |path: &str| MIRRORED.iter().any(|folder| path.strip_prefix(folder).is_some_and(|rest| rest.starts_with('/')));
        let deletes = remote
            .keys()
            .filter(|path| mirrored(path) && !local_paths.contains(*path))
            .map(|path| path.to_string())
            .collect();
        Plan { uploads, unchanged: unchanged.len(), deletes }
    }

    pub fn is_empty(&self) -> bool {
        self.uploads.is_empty() && self.deletes.is_empty()
    }

    /// Bytes the uploads send.
    pub fn bytes(&self) -> u64 {
        self.uploads.iter().map(|file| file.size).sum()
    }

    /// The changes in commits of at most `per_commit` changes, in order: the data and
    /// other files, then the card, then the deletions. The card lands once the files it
    /// names are there, and old shards go only after it.
    pub fn commits(&self, per_commit: usize) -> Vec<Vec<Change<'a>>> {
        let (card, files): (Vec<&LocalFile>, Vec<&LocalFile>) =
            self.uploads.iter().partition(|file| file.repo_path == CARD);
        let changes: Vec<Change<'a>> = files
            .into_iter()
            .chain(card)
            .map(Change::Upload)
            .chain(self.deletes.iter().cloned().map(Change::Delete))
            .collect();
        changes.chunks(per_commit.max(1)).map(<[Change<'a>]>::to_vec).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::local::ContentHashes;

    fn file(path: &str, content: &[u8]) -> LocalFile {
        let hashes = ContentHashes::of_reader(content, content.len() as u64).expect("hashed");
        LocalFile { repo_path: path.to_string(), path: path.into(), size: content.len() as u64, hashes }
    }

    fn remote(path: &str, oid: &str) -> RemoteFile {
        RemoteFile { path: path.to_string(), oid: oid.to_string() }
    }

    #[test]
    fn files_the_hub_holds_as_blob_or_lfs_pointer_are_not_sent_again() {
        let local = [file("README.md", b"card"), file("data/a/train-0.parquet", b"rows"), file("chat/train.jsonl", b"{}")];
        let tree = [
            remote("README.md", &local[0].hashes.blob_oid),
            remote("data/a/train-0.parquet", &local[1].hashes.pointer_oid),
            remote("chat/train.jsonl", "0000000000000000000000000000000000000000"),
            remote("data/a/train-1.parquet", "1111111111111111111111111111111111111111"),
            remote("chat/old.jsonl", "1111111111111111111111111111111111111111"),
            remote("audio/clips/gone.wav", "1111111111111111111111111111111111111111"),
            remote("audio/piece.wav", "1111111111111111111111111111111111111111"),
            remote("database/x", "1111111111111111111111111111111111111111"),
            remote(".gitattributes", "2222222222222222222222222222222222222222"),
        ];
        let plan = Plan::new(&local, &tree);
        assert_eq!(plan.uploads, [&local[2]]);
        assert_eq!(plan.unchanged, 2);
        let stale = ["audio/clips/gone.wav", "chat/old.jsonl", "data/a/train-1.parquet"];
        assert_eq!(plan.deletes, stale, "stale shards, chat files and clips go, other files stay");
        assert_eq!(plan.bytes(), 2);
        assert!(Plan::new(&local[..2], &tree[..2]).is_empty());
    }

    #[test]
    fn commits_hold_at_most_the_limit_and_end_with_the_card_then_deletions() {
        let mut local: Vec<LocalFile> = (0..7).map(|i| file(&format!("data/c/train-{i}.parquet"), &[i])).collect();
        local.insert(0, file("README.md", b"card"));
        let tree = [remote("data/c/old.parquet", "33")];
        let plan = Plan::new(&local, &tree);
        let commits = plan.commits(3);
        let paths: Vec<Vec<&str>> = commits.iter().map(|c| c.iter().map(Change::path).collect()).collect();
        assert_eq!(
            paths,
            [
                vec!["data/c/train-0.parquet", "data/c/train-1.parquet", "data/c/train-2.parquet"],
                vec!["data/c/train-3.parquet", "data/c/train-4.parquet", "data/c/train-5.parquet"],
                vec!["data/c/train-6.parquet", "README.md", "data/c/old.parquet"],
            ]
        );
        assert_eq!(commits[2][2], Change::Delete("data/c/old.parquet".into()));
        assert!(Plan::new(&[], &[]).commits(50).is_empty());
    }
}
