//! Workspaces cargo cannot resolve offline (vendored crates, dependencies never fetched), and the
//! memory of them: loading one costs a `cargo metadata` run that is bound to fail again, so a
//! failure is remembered for the rest of the run and on disk, under
//! `<cache>/unresolvable-workspaces/<key>`.
//!
//! The key hashes what decides whether cargo can resolve the workspace — its `Cargo.lock` and
//! manifests — and lockfix's version, so an edited manifest or lock file, or a new lockfix, tries
//! again. Fetching the dependencies changes neither: deleting the directory forgets everything.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Subdirectory of the cache directory holding one file per remembered workspace.
const DIR: &str = "unresolvable-workspaces";

/// Why a workspace was not loaded: cargo could not resolve its dependencies offline. The
/// front ends report it as a note, not as an error: nothing is wrong with the user's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolvable {
    /// cargo's first line (`error: no matching package named `x` found`).
    pub reason: String,
    /// The failure was remembered from an earlier run (or an earlier load in this one); cargo
    /// was not run.
    pub remembered: bool,
}

impl std::fmt::Display for Unresolvable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cargo cannot resolve the workspace offline: {}",
            self.reason
        )
    }
}

impl std::error::Error for Unresolvable {}

/// Failures already seen in this process, by key: the swap planner loads the workspaces the
/// semantic tier loaded, and must not pay for cargo twice even when the cache is not writable.
static THIS_RUN: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

/// The key of the workspace whose manifest is `manifest`, or `None` when the manifest cannot be
/// read (then nothing is remembered).
pub fn key(manifest: &Path) -> Option<String> {
    let manifest = std::fs::canonicalize(manifest).ok()?;
    let mut hash = crate::cache_file::StableHash::new();
    hash.write(env!("CARGO_PKG_VERSION").as_bytes());
    hash.write(manifest.to_string_lossy().as_bytes());
    hash.write(&std::fs::read(&manifest).ok()?);
    // The manifests up to the directory holding `Cargo.lock`: a workspace root above the package
    // decides its members' dependencies too.
    for dir in manifest.ancestors().skip(2) {
        if let Ok(parent) = std::fs::read(dir.join("Cargo.toml")) {
            hash.write(b"\0Cargo.toml\0");
            hash.write(&parent);
        }
        if dir.join("Cargo.lock").is_file() {
            break;
        }
    }
    if let Some(lock) = manifest
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("Cargo.lock"))
        .find(|lock| lock.is_file())
    {
        hash.write(b"\0Cargo.lock\0");
        hash.write(&std::fs::read(lock).ok()?);
    }
    Some(format!("{:016x}", hash.finish()))
}

/// The reason a workspace with this key could not be resolved, if that is remembered.
pub fn recall(cache_dir: &Path, key: &str) -> Option<String> {
    if let Some(reason) = THIS_RUN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(|seen| seen.get(key).cloned())
    {
        return Some(reason);
    }
    std::fs::read_to_string(entry(cache_dir, key)).ok()
}

/// Remembers that the workspace with this key cannot be resolved. A cache that cannot be
/// written only costs the next run a `cargo metadata`: errors are ignored on purpose.
pub fn remember(cache_dir: &Path, key: &str, reason: &str) {
    THIS_RUN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(key.to_owned(), reason.to_owned());
    crate::cache_file::write_whole(
        &directory(cache_dir),
        &entry(cache_dir, key),
        reason.as_bytes(),
    );
}

/// Where the failure of the workspace with this key is remembered.
pub fn entry(cache_dir: &Path, key: &str) -> PathBuf {
    directory(cache_dir).join(key)
}

/// Where all the failures are remembered: deleting it makes every workspace be tried again.
pub fn directory(cache_dir: &Path) -> PathBuf {
    cache_dir.join(DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_until_the_manifest_changes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = tempfile::tempdir().expect("cache dir");
        let manifest = dir.path().join("Cargo.toml");
        std::fs::write(&manifest, "[package]\nname = \"a\"\n").expect("manifest");
        let first = key(&manifest).expect("key");
        assert_eq!(recall(cache.path(), &first), None);
        remember(cache.path(), &first, "no matching package");
        assert!(entry(cache.path(), &first).is_file());
        assert_eq!(
            recall(cache.path(), &first).as_deref(),
            Some("no matching package")
        );
        std::fs::write(&manifest, "[package]\nname = \"b\"\n").expect("manifest");
        let second = key(&manifest).expect("key");
        assert_ne!(first, second);
        assert_eq!(recall(cache.path(), &second), None);
        std::fs::write(dir.path().join("Cargo.lock"), "version = 4\n").expect("lock");
        assert_ne!(key(&manifest).expect("key"), second, "the lock file counts");
    }

    #[test]
    fn an_unwritable_cache_is_not_an_error() {
        let file = tempfile::NamedTempFile::new().expect("a file, not a directory");
        remember(file.path(), "0123", "reason");
        assert!(!entry(file.path(), "0123").exists());
    }
}
