//! Writing one output file so that no reader, and no resumed run, ever sees it half
//! written, whatever the path names: a regular file (or a missing one), a symbolic link,
//! a FIFO or a character device such as `/dev/stdout` or `/dev/null`.
//!
//! - A regular file or a missing path is written to a temporary file in the same folder
//!   (`.<name>.prep-tmp-XXXXXX`) and renamed over the final name.
//! - A symbolic link is followed (chains too); its final target is then written as
//!   above, so the link stays a link and the file it points at gets the content. A
//!   dangling link creates its target, as a shell's `>` would; the target's folder must
//!   exist.
//! - A FIFO or a character device is written straight through: renaming over it would
//!   replace the node (as root, `-o /dev/stdout` would destroy the device). The same
//!   holds behind the kernel's magic links: `-o /dev/stdout` with stdout a pipe names
//!   `/proc/self/fd/1` -> `pipe:[N]`, which is no path but is a FIFO.
//! - A folder, a block device or a socket is refused with a message.
//!
//! Modes follow the umask: a written file gets `0666 & !umask`, as a file a shell or `cp`
//! creates. Replacing an existing regular file does not keep its old mode: the result is
//! the same file the first run would have written, so the modes of a dataset depend on
//! the umask it was made under and nothing else (set `umask 077` for a private one).
//!
//! Durability: the data is not fsynced. A killed process (the common fault: preempted
//! jobs, Ctrl-C, OOM kills) never leaves a half-written file under its final name; a
//! power cut or kernel crash can, like most build tools. What a resumed run finds is
//! checked before it is reused, which is the place to catch that case. Temporary files
//! a killed process left behind are removed by [`remove_stale_temp_files`]: prep's own
//! `.<name>.prep-tmp-XXXXXX` in any folder it is asked to clean, and in the folders only
//! prep writes ([`TempFolder::PrepOnly`]: a dataset's `audio/` and `.prep/`) also the
//! `.tmpXXXXXX` names earlier prep versions used (the `tempfile` crate's default: `.tmp`
//! and six letters or digits). Elsewhere such a name may be another tool's file at work,
//! so it is left alone.

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// What every temporary file's name holds, after its final name: `.<name>.prep-tmp-XXXXXX`.
pub const TEMP_MARKER: &str = ".prep-tmp-";

/// Links followed before giving up, as Linux's `ELOOP` limit.
const MAX_LINKS: usize = 40;

/// Bytes of the final name kept in a temporary name, so that `.<name>.prep-tmp-XXXXXX`
/// stays under the usual 255-byte limit on a file name.
const MAX_NAME_IN_TEMP: usize = 200;

/// Writes `bytes` to `path`: atomically for a regular file, a missing path or a link to
/// one, straight through for a FIFO or character device (see the module doc).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with(path, |out| out.write_all(bytes).map_err(Into::into))
}

/// As [`write_atomically`], the content streamed by `fill` into a buffered writer rather
/// than held whole in memory (a file merged from several others, say). An error from
/// `fill` leaves the final name as it was and no temporary file behind.
pub fn write_atomically_with(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    match destination(path)? {
        Destination::Replace { file, through_link } => replace(&file, through_link, fill),
        Destination::Stream(node) => write_through(&node, fill),
    }
}

/// What else may write into a folder that stale temporary files are removed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TempFolder {
    /// A folder the user names or may share with other tools (an output root, `-o DIR`,
    /// `--cache DIR`): only prep's `.<name>.prep-tmp-XXXXXX` names are removed.
    Shared,
    /// A folder inside a dataset that only prep writes (`audio/`, `.prep/`): the
    /// `.tmpXXXXXX` names of earlier prep versions are removed too.
    PrepOnly,
}

/// Removes the temporary files in `dir`, not in its subfolders, that a killed run left
/// behind (which names, by `folder`: see the module documentation); returns what it
/// removed. A missing folder holds none. Call it only while no other prep process writes
/// into `dir`: their temporary files look the same.
pub fn remove_stale_temp_files(dir: &Path, folder: TempFolder) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("listing {}", dir.display())),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let name = entry.file_name();
        if is_file && (is_temp_name(&name) || (folder == TempFolder::PrepOnly && is_legacy_temp_name(&name))) {
            let path = entry.path();
            match fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                // Gone already: another cleaner got there first.
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err).with_context(|| format!("removing stale {}", path.display())),
            }
        }
    }
    removed.sort();
    Ok(removed)
}

/// Whether a file name is one [`write_atomically`] gives its temporary files.
pub fn is_temp_name(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') && name.contains(TEMP_MARKER)
}

/// Whether `name` is a temporary file of a prep version before `.prep-tmp-` names:
/// `.tmp` and exactly six ASCII letters or digits, as `tempfile::NamedTempFile` makes them.
fn is_legacy_temp_name(name: &OsStr) -> bool {
    name.to_str()
        .and_then(|name| name.strip_prefix(".tmp"))
        .is_some_and(|random| random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Where the bytes of a write go.
#[derive(Debug, PartialEq)]
enum Destination {
    /// A regular file, existing or not, replaced through a temporary file.
    Replace { file: PathBuf, through_link: bool },
    /// A FIFO or a character device, written in place.
    Stream(PathBuf),
}

/// Follows `path` through its links to what a write should replace or stream into.
fn destination(path: &Path) -> Result<Destination> {
    // What the path finally names, by stat: it also follows the kernel's magic links
    // (`/dev/stdout` -> `/proc/self/fd/1` -> `pipe:[N]`), whose targets are no paths.
    match fs::metadata(path) {
        Ok(meta) if is_stream(&meta.file_type()) => return Ok(Destination::Stream(path.to_path_buf())),
        Ok(meta) if !meta.is_file() && !meta.is_dir() => bail!(not_writable(&path.display().to_string())),
        _ => {}
    }
    let mut current = path.to_path_buf();
    for hops in 0..=MAX_LINKS {
        let through_link = hops > 0;
        let meta = match fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Ok(Destination::Replace { file: current, through_link });
            }
            Err(err) => return Err(err).with_context(|| format!("inspecting {}", current.display())),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = fs::read_link(&current).with_context(|| format!("reading the link {}", current.display()))?;
            current = current.parent().unwrap_or(Path::new("")).join(target);
        } else if kind.is_file() {
            return Ok(Destination::Replace { file: current, through_link });
        } else if kind.is_dir() {
            bail!("{} is a folder, not a file to write", shown(path, &current));
        } else if is_stream(&kind) {
            return Ok(Destination::Stream(current));
        } else {
            bail!(not_writable(&shown(path, &current)));
        }
    }
    bail!("{}: more than {MAX_LINKS} levels of symbolic links", path.display())
}

/// Why the node `shown` is not written.
fn not_writable(shown: &str) -> String {
    format!("{shown} is a block device or socket; prep writes regular files, FIFOs and character devices")
}

/// `path`, and where its links lead when that is elsewhere.
fn shown(path: &Path, resolved: &Path) -> String {
    if path == resolved {
        path.display().to_string()
    } else {
        format!("{} (the link's target {})", path.display(), resolved.display())
    }
}

#[cfg(unix)]
fn is_stream(kind: &fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_fifo() || kind.is_char_device()
}

#[cfg(not(unix))]
fn is_stream(_kind: &fs::FileType) -> bool {
    false
}

/// Writes a temporary file beside `file` and renames it over `file`. The folder is
/// created when `file` was named directly, not when a link points into it.
fn replace(file: &Path, through_link: bool, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let name = file
        .file_name()
        .with_context(|| format!("{} does not name a file", file.display()))?;
    let parent = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !through_link {
        fs::create_dir_all(parent).with_context(|| format!("creating folder {}", parent.display()))?;
    }
    let prefix = format!(".{}{TEMP_MARKER}", truncated(&name.to_string_lossy(), MAX_NAME_IN_TEMP));
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).rand_bytes(6);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The kernel applies the umask to this mode, as for any newly created file.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder
        .tempfile_in(parent)
        .with_context(|| format!("creating a temporary file in {} for {}", parent.display(), file.display()))?;
    let mut buffered = io::BufWriter::new(&mut temp);
    fill(&mut buffered)
        .and_then(|()| buffered.flush().map_err(Into::into))
        .with_context(|| format!("writing {}", file.display()))?;
    drop(buffered);
    temp.persist(file)
        .map_err(|err| err.error)
        .with_context(|| format!("renaming the temporary file to {}", file.display()))?;
    Ok(())
}

/// Writes into an existing FIFO or character device without truncating or replacing it.
fn write_through(node: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let out = OpenOptions::new()
        .write(true)
        .open(node)
        .with_context(|| format!("opening {}", node.display()))?;
    let mut out = io::BufWriter::new(out);
    fill(&mut out)
        .and_then(|()| out.flush().map_err(Into::into))
        .with_context(|| format!("writing {}", node.display()))
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_and_its_folders_are_created() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a/b/out.abc");
        write_atomically(&path, b"X:1\n").expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"X:1\n");
        assert!(remove_stale_temp_files(&dir.path().join("a/b"), TempFolder::Shared).expect("clean").is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_stays_a_link_and_its_target_gets_the_content() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("t.abc");
        fs::write(&target, "old").expect("write");
        // A relative link, resolved against the link's own folder.
        let link = dir.path().join("l.abc");
        std::os::unix::fs::symlink("t.abc", &link).expect("symlink");
        write_atomically(&link, b"new").expect("write");
        assert!(fs::symlink_metadata(&link).expect("lstat").file_type().is_symlink());
        assert_eq!(fs::read_link(&link).expect("readlink"), Path::new("t.abc"));
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_chain_of_links_and_a_dangling_link_reach_their_final_target() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("final.txt");
        let middle = dir.path().join("middle");
        let first = dir.path().join("first");
        std::os::unix::fs::symlink(&target, &middle).expect("symlink");
        std::os::unix::fs::symlink(&middle, &first).expect("symlink");
        // `final.txt` does not exist yet: the dangling chain creates it.
        write_atomically(&first, b"x").expect("write");
        assert_eq!(fs::read(&target).expect("read"), b"x");
        assert!(fs::symlink_metadata(&first).expect("lstat").file_type().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_loop_and_a_folder_are_refused_with_their_names() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = dir.path().join("a");
        std::os::unix::fs::symlink(dir.path().join("b"), &a).expect("symlink");
        std::os::unix::fs::symlink(&a, dir.path().join("b")).expect("symlink");
        let err = write_atomically(&a, b"x").expect_err("loop");
        assert!(err.to_string().contains("levels of symbolic links"), "{err}");
        let err = write_atomically(dir.path(), b"x").expect_err("folder");
        assert!(format!("{err:#}").contains("is a folder"), "{err:#}");
    }

    #[cfg(unix)]
    #[test]
    fn dev_null_is_written_through_and_stays_a_device() {
        write_atomically(Path::new("/dev/null"), b"discarded").expect("write /dev/null");
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::metadata("/dev/null").expect("stat").file_type().is_char_device());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_through_to_its_reader() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(status.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(&fifo).expect("read the FIFO"))
        };
        write_atomically(&fifo, b"through the pipe").expect("write");
        assert_eq!(reader.join().expect("reader thread"), b"through the pipe");
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::symlink_metadata(&fifo).expect("lstat").file_type().is_fifo());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pipe_behind_a_magic_link_is_written_through() {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        // `/dev/stdout` when stdout is a pipe: `/proc/self/fd/N` names `pipe:[inode]`.
        let (mut reader, writer) = std::io::pipe().expect("a pipe");
        let path = PathBuf::from(format!("/proc/self/fd/{}", writer.as_raw_fd()));
        write_atomically(&path, b"through the pipe").expect("write");
        drop(writer);
        let mut got = Vec::new();
        reader.read_to_end(&mut got).expect("read the pipe");
        assert_eq!(got, b"through the pipe");
    }

    #[cfg(unix)]
    #[test]
    fn a_socket_is_refused_and_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind a socket");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&socket, &link).expect("link");
        for path in [&socket, &link] {
            let error = write_atomically(path, b"x").expect_err("a socket");
            let expected = format!("{} is a block device or socket; prep writes regular files", path.display());
            assert!(error.to_string().starts_with(&expected), "{error}");
        }
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::symlink_metadata(&socket).expect("lstat").file_type().is_socket());
    }

    #[test]
    fn stale_temp_files_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().expect("temp dir");
        let names = [".a.wav.prep-tmp-AbC123", ".b.json.prep-tmp-x", "keep.wav", ".hidden", "x.prep-tmp-1"];
        for name in names {
            fs::write(dir.path().join(name), "x").expect("write");
        }
        fs::create_dir(dir.path().join(".sub.prep-tmp-dir")).expect("mkdir");
        let removed = remove_stale_temp_files(dir.path(), TempFolder::Shared).expect("clean");
        assert_eq!(
            removed,
            vec![dir.path().join(".a.wav.prep-tmp-AbC123"), dir.path().join(".b.json.prep-tmp-x")]
        );
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".hidden", ".sub.prep-tmp-dir", "keep.wav", "x.prep-tmp-1"]);
        assert!(remove_stale_temp_files(&dir.path().join("missing"), TempFolder::Shared).expect("missing folder").is_empty());
    }

    #[test]
    fn old_versions_temp_names_are_removed_only_where_prep_alone_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let old = [".tmpAb3xYz", ".tmp000000"];
        let not_old = [".tmpAb3xY", ".tmpAb3xYz1", ".tmpAb3-Yz", ".tmpAb3xYz.wav", "tmpAb3xYz", ".TMPAb3xYz"];
        for name in old.iter().chain(&not_old) {
            fs::write(dir.path().join(name), "x").expect("write");
        }
        assert!(remove_stale_temp_files(dir.path(), TempFolder::Shared).expect("clean").is_empty());
        let removed = remove_stale_temp_files(dir.path(), TempFolder::PrepOnly).expect("clean");
        assert_eq!(removed, [dir.path().join(".tmp000000"), dir.path().join(".tmpAb3xYz")]);
        for name in not_old {
            assert!(dir.path().join(name).exists(), "{name}");
        }
    }

    #[test]
    fn a_long_name_keeps_its_temporary_name_under_the_limit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = format!("{}.abc", "é".repeat(120));
        let path = dir.path().join(&name);
        write_atomically(&path, b"x").expect("write a 244-byte name");
        assert_eq!(fs::read(&path).expect("read"), b"x");
        assert_eq!(truncated("aé", 2), "a");
    }
}
