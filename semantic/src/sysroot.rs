//! Which standard library rust-analyzer reads: the user's `rust-src` when installed, otherwise the
//! stub in `stub-sysroot/`, written once to a cache directory.
//!
//! rust-analyzer must never look for a sysroot on its own: without an explicit source directory it
//! runs `rustup component add rust-src`, a download. lockfix always hands it one.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::unresolvable::Unresolvable;

/// The stub's files, relative to its root, with their contents. Bumping any file changes the
/// cache key, so a stale stub from an older lockfix is never read.
const STUB_FILES: &[(&str, &str)] = &[
    (
        "core/src/lib.rs",
        include_str!("../stub-sysroot/core/src/lib.rs"),
    ),
    (
        "alloc/src/lib.rs",
        include_str!("../stub-sysroot/alloc/src/lib.rs"),
    ),
    (
        "std/src/lib.rs",
        include_str!("../stub-sysroot/std/src/lib.rs"),
    ),
];

/// The standard library sources handed to rust-analyzer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StdSources {
    /// The toolchain's sysroot (`rustc --print sysroot`), when rustc could be asked.
    pub sysroot: Option<PathBuf>,
    /// The `library/` directory: the real one or the stub's root.
    pub library: PathBuf,
    pub is_stub: bool,
}

/// The user's `rust-src` if their toolchain has it, else the stub (written under `cache_dir`).
///
/// A project whose `rust-toolchain` file pins a toolchain that is not installed cannot be
/// resolved (cargo would fail the same way): that is an [`Unresolvable`] error, a note for the
/// user, remembered like cargo's own failures.
pub fn locate(project_dir: &Path, cache_dir: &Path) -> Result<StdSources> {
    let sysroot = match rustc_sysroot(project_dir) {
        Ok(sysroot) => sysroot,
        Err(failure) => {
            if pinned_toolchain(project_dir).is_some() {
                return Err(anyhow::Error::new(Unresolvable {
                    reason: format!(
                        "its rust-toolchain file pins a toolchain that is not installed ({failure})"
                    ),
                    remembered: false,
                }));
            }
            None
        }
    };
    if let Some(root) = &sysroot {
        let library = root.join("lib/rustlib/src/rust/library");
        if library.join("core/src/lib.rs").is_file() {
            return Ok(StdSources {
                sysroot: sysroot.clone(),
                library,
                is_stub: false,
            });
        }
    }
    Ok(StdSources {
        sysroot,
        library: write_stub(cache_dir)?,
        is_stub: true,
    })
}

/// `rustc --print sysroot`, run where the project is so that its `rust-toolchain.toml` applies.
/// Asking rustc reads local files only: rustup is told not to install a missing toolchain.
/// `Ok(None)` when rustc cannot be run or names no directory; `Err` with rustc's first line when
/// it fails.
fn rustc_sysroot(project_dir: &Path) -> std::result::Result<Option<PathBuf>, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(output) = Command::new(rustc)
        .args(["--print", "sysroot"])
        .current_dir(project_dir)
        .env("RUSTUP_AUTO_INSTALL", "0")
        .output()
    else {
        return Ok(None);
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or_default().trim();
        return Err(first.strip_prefix("error: ").unwrap_or(first).to_owned());
    }
    let Ok(path) = String::from_utf8(output.stdout) else {
        return Ok(None);
    };
    let path = PathBuf::from(path.trim());
    Ok(path.is_dir().then_some(path))
}

/// The `rust-toolchain` or `rust-toolchain.toml` file that applies in `project_dir`.
fn pinned_toolchain(project_dir: &Path) -> Option<PathBuf> {
    project_dir.ancestors().find_map(|dir| {
        ["rust-toolchain.toml", "rust-toolchain"]
            .into_iter()
            .map(|name| dir.join(name))
            .find(|file| file.is_file())
    })
}

/// Writes the stub under `cache_dir/stub-sysroot-<hash>/` unless it is already there. Written to a
/// temporary directory first and renamed into place, so a concurrent lockfix never reads half a
/// stub.
pub fn write_stub(cache_dir: &Path) -> Result<PathBuf> {
    let target = cache_dir.join(format!("stub-sysroot-{:016x}", stub_hash()));
    if target.join("std/src/lib.rs").is_file() {
        return Ok(target);
    }
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("cannot create the cache directory {}", cache_dir.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".stub-sysroot-")
        .tempdir_in(cache_dir)
        .with_context(|| format!("cannot write to {}", cache_dir.display()))?;
    for (relative, contents) in STUB_FILES {
        let path = staging.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let staging = staging.keep();
    if let Err(error) = std::fs::rename(&staging, &target) {
        // Another lockfix got there first: theirs is identical.
        let _ = std::fs::remove_dir_all(&staging);
        if !target.join("std/src/lib.rs").is_file() {
            return Err(error).with_context(|| format!("cannot create {}", target.display()));
        }
    }
    Ok(target)
}

/// FNV-1a over the stub's paths and contents: stable across runs and builds.
fn stub_hash() -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, contents) in STUB_FILES {
        for byte in path.bytes().chain(contents.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// Where lockfix keeps its cache: `$LOCKFIX_CACHE_DIR`, else `$XDG_CACHE_HOME/lockfix`, else
/// `~/.cache/lockfix`, else the system's temporary directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LOCKFIX_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("lockfix");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache/lockfix");
    }
    std::env::temp_dir().join("lockfix")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stub_is_written_once_and_complete() {
        let cache = tempfile::tempdir().expect("temp dir");
        let first = write_stub(cache.path()).expect("stub written");
        for (relative, contents) in STUB_FILES {
            assert_eq!(
                std::fs::read_to_string(first.join(relative)).expect("stub file"),
                *contents
            );
        }
        let second = write_stub(cache.path()).expect("stub reused");
        assert_eq!(first, second);
        let leftovers: Vec<_> = std::fs::read_dir(cache.path())
            .expect("cache dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".stub"))
            .collect();
        assert!(leftovers.is_empty(), "staging directories left behind");
    }
}
