//! A workspace cargo cannot resolve offline (a dependency in no local cache) is one note, not an
//! error, and is remembered in the cache directory: the next run does not ask cargo again, and a
//! changed manifest is tried again. Nothing here reaches the network: lockfix runs cargo with
//! `--offline`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// A guard held across an await, of a lock whose kind only the (unresolvable) dependency's types
/// tell: the syntax tier reports it on line 2 whatever the semantic tier does, and in the default
/// mode the semantic tier is asked (a lock of a declared kind would not be worth asking).
const LIB: &str = "pub async fn f(m: &nonexistent_crate_lockfix_test::Lock<u8>) -> u8 {\n    \
                   let g = m.lock();\n    let v = *g;\n    tick().await;\n    v\n}\n\
                   async fn tick() {}\n";

fn manifest(version: &str) -> String {
    format!(
        "[package]\nname = \"unresolvable\"\nversion = \"{version}\"\nedition = \"2021\"\n\n\
         [workspace]\n\n[dependencies]\nnonexistent-crate-lockfix-test = \"=9.9.9\"\n"
    )
}

fn unresolvable_crate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("Cargo.toml"), manifest("0.1.0")).expect("manifest");
    std::fs::create_dir(dir.path().join("src")).expect("src");
    std::fs::write(dir.path().join("src/lib.rs"), LIB).expect("source");
    dir
}

fn lockfix(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args(args)
        .current_dir(dir)
        .env("LOCKFIX_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("lockfix runs")
}

/// The JSON report of a default-mode run.
fn report(dir: &Path, cache: &Path) -> Value {
    let output = lockfix(dir, cache, &["--dry-run", "--format", "json", "."]);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "lockfix printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The one note of `report`, after checking the syntax tier's finding and that nothing is an
/// error.
fn the_note(report: &Value) -> String {
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "guard-across-await");
    assert_eq!(findings[0]["line"], 2);
    assert_eq!(findings[0]["tier"], "syntax");
    assert_eq!(report["errors"], Value::Array(Vec::new()), "not an error");
    let notes = report["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["path"], "Cargo.toml");
    notes[0]["message"].as_str().expect("message").to_owned()
}

fn remembered(cache: &Path) -> usize {
    std::fs::read_dir(cache.join("unresolvable-workspaces"))
        .map(|entries| entries.count())
        .unwrap_or(0)
}

#[test]
fn one_note_remembered_until_the_manifest_changes() {
    let dir = unresolvable_crate();
    let cache = tempfile::tempdir().expect("cache dir");

    let first = report(dir.path(), cache.path());
    let message = the_note(&first);
    assert!(
        message.starts_with("semantic tier skipped, syntax tier used: "),
        "{message}"
    );
    assert!(
        message.contains("nonexistent-crate-lockfix-test"),
        "{message}"
    );
    assert!(
        !message.contains("remembered from an earlier run"),
        "{message}"
    );
    assert_eq!(first["notes"][0]["remembered"], false);
    assert_eq!(remembered(cache.path()), 1, "written to the cache");

    let second = report(dir.path(), cache.path());
    let message = the_note(&second);
    assert!(
        message.contains("remembered from an earlier run"),
        "{message}"
    );
    assert!(
        message.contains("nonexistent-crate-lockfix-test"),
        "{message}"
    );
    assert_eq!(second["notes"][0]["remembered"], true);
    assert_eq!(second["findings"], first["findings"], "the same answer");

    // A changed manifest may resolve now: cargo is asked again.
    std::fs::write(dir.path().join("Cargo.toml"), manifest("0.1.1")).expect("manifest");
    let third = report(dir.path(), cache.path());
    let message = the_note(&third);
    assert!(
        !message.contains("remembered from an earlier run"),
        "{message}"
    );
    assert_eq!(third["notes"][0]["remembered"], false);
    assert_eq!(remembered(cache.path()), 2);
}

#[test]
fn people_see_one_summary_line() {
    let dir = unresolvable_crate();
    let cache = tempfile::tempdir().expect("cache dir");
    let output = lockfix(dir.path(), cache.path(), &["--dry-run", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("note: "))
        .collect();
    assert_eq!(
        notes,
        [
            "note: semantic tier skipped for Cargo.toml, which cargo cannot resolve offline; \
          syntax tier used (see --format json notes)"
        ],
        "{stderr}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// A `rust-toolchain.toml` that pins a toolchain the machine does not have: rustup refuses to
/// run there (lockfix tells it not to install anything), so cargo cannot resolve the workspace
/// either. One note, as for cargo's own failures, not an error.
#[test]
fn a_toolchain_that_is_not_installed_is_a_note() {
    let dir = unresolvable_crate();
    std::fs::write(
        dir.path().join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.0.0\"\n",
    )
    .expect("toolchain file");
    let cache = tempfile::tempdir().expect("cache dir");
    let message = the_note(&report(dir.path(), cache.path()));
    assert!(
        message.starts_with("semantic tier skipped, syntax tier used: cargo cannot resolve"),
        "{message}"
    );
    assert_eq!(
        remembered(cache.path()),
        1,
        "remembered like cargo's failures"
    );
}

/// Several workspaces with doubts are asked of cargo at once (`Workspace::prepare` in parallel):
/// each one cargo cannot resolve is its own note, and none is an error.
#[test]
fn several_workspaces_each_get_their_note() {
    let parent = tempfile::tempdir().expect("temp dir");
    for name in ["first", "second", "third"] {
        let dir = parent.path().join(name);
        std::fs::create_dir_all(dir.join("src")).expect("src");
        std::fs::write(dir.join("Cargo.toml"), manifest("0.1.0")).expect("manifest");
        std::fs::write(dir.join("src/lib.rs"), LIB).expect("source");
    }
    let cache = tempfile::tempdir().expect("cache dir");
    let report = report(parent.path(), cache.path());
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(3));
    assert_eq!(report["errors"], Value::Array(Vec::new()), "not errors");
    let mut noted: Vec<&str> = report["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["path"].as_str())
        .collect();
    noted.sort_unstable();
    assert_eq!(
        noted,
        ["first/Cargo.toml", "second/Cargo.toml", "third/Cargo.toml"]
    );
    assert_eq!(remembered(cache.path()), 3);
}

#[test]
fn an_unwritable_cache_changes_nothing() {
    let dir = unresolvable_crate();
    // A file where the cache directory should be: nothing can be written under it (the stub
    // standard library is not needed when the toolchain has rust-src, and is written elsewhere
    // otherwise — either way the run must not fail because of the memory).
    let cache = tempfile::NamedTempFile::new().expect("a file");
    let output = lockfix(
        dir.path(),
        cache.path(),
        &["--dry-run", "--format", "json", "."],
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(output.status.code(), Some(1), "findings remain, no failure");
}
