//! Names the build: a BLAKE3 hash of everything that decides what prep computes (its
//! sources, the data it embeds, the locked dependency versions and the enabled features),
//! passed to the crate as `PREP_SOURCE_HASH` (see `src/version.rs`). The crate's version
//! number alone stays the same across every change made between releases, so resume
//! caches and shard fingerprints keyed by it would hand back values an older build
//! computed.

use std::fs;
use std::path::{Path, PathBuf};

/// What shapes prep's outputs, relative to the package root.
const INPUTS: [&str; 6] = ["src", "pipelines", "schemas", "Cargo.toml", "Cargo.lock", "build.rs"];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        collect(&root.join(input), &mut files);
    }
    files.sort();
    let mut hasher = blake3::Hasher::new();
    for path in &files {
        let relative = path.strip_prefix(&root).expect("collected under the root");
        let name = relative.to_string_lossy().replace('\\', "/");
        let bytes = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        for part in [name.as_bytes(), &bytes] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    }
    let mut features: Vec<String> =
        std::env::vars().map(|(k, _)| k).filter(|k| k.starts_with("CARGO_FEATURE_")).collect();
    features.sort();
    hasher.update(features.join(",").as_bytes());
    let hex = hasher.finalize().to_hex();
    println!("cargo:rustc-env=PREP_SOURCE_HASH={}", &hex[..12]);
}

/// Every regular file at or under `path` (nothing when it does not exist).
fn collect(path: &Path, files: &mut Vec<PathBuf>) {
    let Ok(meta) = fs::symlink_metadata(path) else { return };
    if meta.is_dir() {
        let entries = fs::read_dir(path).unwrap_or_else(|e| panic!("listing {}: {e}", path.display()));
        for entry in entries {
            collect(&entry.unwrap_or_else(|e| panic!("listing {}: {e}", path.display())).path(), files);
        }
    } else if meta.is_file() {
        files.push(path.to_path_buf());
    }
}
