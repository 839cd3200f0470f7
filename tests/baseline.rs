//! End-to-end tests of `--baseline` / `--update-baseline`: recorded findings stay quiet after
//! the code around them moves; new ones are reported.

mod common;

use common::TICK;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn lockfix(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("lockfix runs")
}

fn finding_count(output: &Output) -> usize {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["findings"].as_array().unwrap().len()
}

#[test]
fn only_new_findings_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.rs"), TICK).unwrap();
    let missing = lockfix(root, &["--baseline", "lockfix-baseline.json"]);
    assert_eq!(missing.status.code(), Some(2), "no baseline yet");

    let recorded = lockfix(
        root,
        &["--baseline", "lockfix-baseline.json", "--update-baseline"],
    );
    assert_eq!(recorded.status.code(), Some(0));
    let baseline = fs::read_to_string(root.join("lockfix-baseline.json")).unwrap();
    assert!(baseline.contains("\"function\": \"tick\""), "{baseline}");
    assert!(!baseline.contains("\"line\""), "{baseline}");

    let json = ["--baseline", "lockfix-baseline.json", "--format", "json"];
    let quiet = lockfix(root, &json);
    assert_eq!((quiet.status.code(), finding_count(&quiet)), (Some(0), 0));

    // Moved down by unrelated code: still recorded.
    fs::write(root.join("a.rs"), format!("pub fn added() {{}}\n\n{TICK}")).unwrap();
    let moved = lockfix(root, &json);
    assert_eq!((moved.status.code(), finding_count(&moved)), (Some(0), 0));

    // A new function with the same hold: new.
    let second = TICK.replace("tick", "tock");
    fs::write(root.join("a.rs"), format!("{TICK}\n{second}")).unwrap();
    let new = lockfix(root, &json);
    assert_eq!((new.status.code(), finding_count(&new)), (Some(1), 1));
}
