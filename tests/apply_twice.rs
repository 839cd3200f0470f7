//! Idempotence through the binary: `--apply --unsafe-fixes` over a copy of every fixture, then
//! again; the second run writes nothing. (`tests/fixtures.rs` asserts the same per fixture on the
//! in-memory fix loop; this goes through discovery, writing and the BOM/CRLF encoding too.)

use std::fs;
use std::path::Path;
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for rule in fs::read_dir(dir).unwrap() {
        for file in fs::read_dir(rule.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            files.push((path.display().to_string(), fs::read(&path).unwrap()));
        }
    }
    files.sort();
    files
}

fn apply(dir: &Path) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args([
            "--apply",
            "--unsafe-fixes",
            "--allow-dirty",
            "--format",
            "json",
            ".",
        ])
        .current_dir(dir)
        .output()
        .expect("lockfix runs");
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

#[test]
fn a_second_apply_over_every_fixture_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("transforms/fixtures"),
        dir.path(),
    );
    let before = snapshot(dir.path());
    let first = apply(dir.path());
    let after_first = snapshot(dir.path());
    assert_ne!(before, after_first, "the fixtures have fixes to apply");
    assert_eq!(first["errors"], serde_json::json!([]), "{first}");
    let second = apply(dir.path());
    assert_eq!(
        snapshot(dir.path()),
        after_first,
        "the second --apply wrote something"
    );
    assert_eq!(second["errors"], serde_json::json!([]), "{second}");
    // Everything still reported after the first apply has no fix the policy would apply.
    for finding in second["findings"].as_array().unwrap() {
        assert!(finding["fix"].is_null(), "{finding}");
    }
}
