//! The semantic tier's answers, remembered on disk under `<cache>/semantic-facts/`: a second run
//! over code that has not changed asks rust-analyzer nothing, where loading a workspace and
//! resolving the types of its doubted files costs seconds (a ruff-like cache).
//!
//! One file per workspace, named by a key of everything the answers depend on: what decides
//! cargo's resolution ([`lockfix_semantic::unresolvable::key`]: manifests, `Cargo.lock`,
//! lockfix's version), the load options, and the path and contents of every Rust file under the
//! workspace's root (the directory of its `Cargo.lock`, else the package's), so an edit anywhere
//! in the workspace asks again. Dependencies are pinned by `Cargo.lock`; a workspace without one
//! resolves to what the local registry holds, which this key does not see (delete the directory
//! to forget). A file whose answer failed is not remembered, so the next run asks again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lockfix_semantic::LoadOptions;
use lockfix_transforms::analysis::SemanticFacts;

/// Subdirectory of the cache directory holding one file per remembered workspace.
const DIR: &str = "semantic-facts";

/// The answers of one workspace, by canonical file path (files without facts have empty ones).
pub type Answers = HashMap<PathBuf, SemanticFacts>;

/// The key of the answers for the workspace of `manifest`, or `None` when a file cannot be read
/// (then nothing is remembered).
pub fn key(manifest: &Path, options: &LoadOptions) -> Option<String> {
    let resolution = lockfix_semantic::unresolvable::key(manifest)?;
    let manifest = std::fs::canonicalize(manifest).ok()?;
    let package = manifest.parent()?;
    let root = package
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(package);
    let mut sources: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
        .map(ignore::DirEntry::into_path)
        .filter(|path| {
            path.extension().is_some_and(|e| e == "rs")
                && !path.components().any(|c| c.as_os_str() == "target")
        })
        .collect();
    sources.sort();
    let mut hash = lockfix_semantic::cache_file::StableHash::new();
    hash.write(&[
        u8::from(options.build_scripts),
        u8::from(options.proc_macros),
    ]);
    for source in sources {
        hash.write(source.as_os_str().as_encoded_bytes());
        hash.write(&std::fs::read(&source).ok()?);
    }
    Some(format!("{resolution}-{:016x}", hash.finish()))
}

/// The answers remembered under `key`, if any.
pub fn recall(cache_dir: &Path, key: &str) -> Option<Answers> {
    let text = std::fs::read(entry(cache_dir, key)).ok()?;
    let pairs: Vec<(PathBuf, SemanticFacts)> = serde_json::from_slice(&text).ok()?;
    Some(pairs.into_iter().collect())
}

/// Remembers `answers` under `key`, replacing what was remembered for the same workspace with
/// other sources. Best effort: a cache that cannot be written only costs the next run the load.
pub fn remember(cache_dir: &Path, key: &str, answers: &Answers) {
    let dir = cache_dir.join(DIR);
    let workspace = key.split('-').next().unwrap_or(key);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for old in entries.filter_map(Result::ok) {
            let name = old.file_name();
            if name.to_string_lossy().starts_with(&format!("{workspace}-")) {
                let _ = std::fs::remove_file(old.path());
            }
        }
    }
    let pairs: Vec<(&PathBuf, &SemanticFacts)> = answers.iter().collect();
    let Ok(text) = serde_json::to_vec(&pairs) else {
        return;
    };
    lockfix_semantic::cache_file::write_whole(&dir, &entry(cache_dir, key), &text);
}

fn entry(cache_dir: &Path, key: &str) -> PathBuf {
    cache_dir.join(DIR).join(format!("{key}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_survive_the_round_trip_and_an_edit_changes_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("pkg");
        std::fs::create_dir_all(package.join("src")).unwrap();
        std::fs::write(
            package.join("Cargo.toml"),
            "[package]\nname = \"pkg\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        std::fs::write(package.join("src/lib.rs"), "pub fn f() {}\n").unwrap();
        let options = LoadOptions::default();
        let manifest = package.join("Cargo.toml");
        let before = key(&manifest, &options).expect("a key");
        assert_eq!(key(&manifest, &options).as_deref(), Some(before.as_str()));

        let mut facts = SemanticFacts::default();
        facts.record_receiver(
            ("f".into(), "self.state".into(), "lock".into()),
            lockfix_transforms::analysis::ReceiverFact::NotALock,
        );
        let file = std::fs::canonicalize(package.join("src/lib.rs")).unwrap();
        let answers: Answers = [(file.clone(), facts.clone())].into_iter().collect();
        let cache = dir.path().join("cache");
        remember(&cache, &before, &answers);
        assert_eq!(
            recall(&cache, &before).and_then(|a| a.get(&file).cloned()),
            Some(facts)
        );

        std::fs::write(package.join("src/lib.rs"), "pub fn g() {}\n").unwrap();
        let after = key(&manifest, &options).expect("a key");
        assert_ne!(after, before);
        assert!(recall(&cache, &after).is_none());
        remember(&cache, &after, &Answers::new());
        // The workspace's older entry is replaced, not kept beside the new one.
        assert!(recall(&cache, &before).is_none());
    }
}
