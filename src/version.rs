//! Which build of prep is running: the crate's version number and a hash of the sources
//! it was built from (`build.rs`: the code, the data it embeds, the locked dependencies,
//! the enabled features), as `0.1.0+1a2b3c4d5e6f`.
//!
//! The version number alone does not change between releases, while what prep writes
//! does. Everything that must not outlive a change of code names [`BUILD`]: the resume
//! store's keys, the shard fingerprints `prep merge` checks, `prep run`'s settings hash,
//! and the provenance in eval reports and dataset cards. Two machines that build the same
//! sources get the same name, so the shards of one SLURM array built on several nodes
//! still merge.

/// The build's name: `<version>+<first 12 hex digits of the source hash>`.
pub const BUILD: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("PREP_SOURCE_HASH"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_version_and_twelve_hex_digits_of_the_sources() {
        let (version, hash) = BUILD.split_once('+').expect("a + between version and hash");
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        assert_eq!(hash.len(), 12);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{hash}");
    }
}
