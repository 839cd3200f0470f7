//! The phase split must not change what a caller that runs alone observes. Every `double_lock`
//! fixture with a test of its own (a `#[cfg(test)] mod tests` that prints `lockfix-transcript`
//! lines: counters, state transitions, events) is run twice in the scratch crate
//! `tests/compile-check`: as written, and as `lockfix --apply --unsafe-fixes` rewrites it. Both runs
//! must pass and print the same transcript, and the rewrite must really be a phase split (the
//! `double-lock` finding is gone). `LOCKFIX_SHOW_RUNTIME=1` prints what the fixtures' tests printed.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use lockfix_transforms::{Edition, Options, RuleId, analyze};

const MARKER: &str = "lockfix-transcript ";

#[test]
fn phase_split_fixtures_behave_the_same_before_and_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut stems = Vec::new();
    for fixture in common::fixtures() {
        let in_folder = fixture
            .path
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == "double_lock");
        if !in_folder || !fixture.compiles || !fixture.text.contains(MARKER) {
            continue;
        }
        let outcome = common::fix_all(&fixture.text, fixture.edition);
        let split = outcome.applied.iter().any(|f| f.rule == RuleId::DoubleLock);
        assert!(split, "{}: no phase split was applied", fixture.name);
        let options = Options {
            edition: Edition::Edition2021,
            rules: vec![RuleId::DoubleLock],
            extra: Default::default(),
            facts: None,
            test_file: false,
            crate_index: None,
        };
        assert!(
            analyze(&outcome.text, &options).findings.is_empty(),
            "{}: the rewrite still holds locks together",
            fixture.name
        );
        let stem = fixture.name.replace("__", "_");
        std::fs::write(dir.path().join(format!("{stem}_before.rs")), &fixture.text).expect("write");
        std::fs::write(dir.path().join(format!("{stem}_after.rs")), &outcome.text).expect("write");
        stems.push(stem);
    }
    assert!(
        !stems.is_empty(),
        "no double_lock fixture has a runtime test"
    );

    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile-check/Cargo.toml");
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/runtime-check");
    let output = Command::new(env!("CARGO"))
        .args(["test", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .args(["--", "--nocapture", "--test-threads=1"])
        .env("CARGO_TARGET_DIR", &target)
        .env("LOCKFIX_FIXTURE_DIR", dir.path())
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    if std::env::var_os("LOCKFIX_SHOW_RUNTIME").is_some() {
        eprintln!("{stdout}");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "a fixture's own test fails before or after the rewrite:\n{stdout}\n{stderr}"
    );

    // `lockfix-transcript lockfix_compile_check::<module>::tests: <line>`
    let mut transcripts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in stdout.lines() {
        // libtest's progress dots may share the line with the first transcript line.
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let rest = &line[at + MARKER.len()..];
        let Some((module, entry)) = rest.split_once(": ") else {
            continue;
        };
        let module = module.split("::").nth(1).unwrap_or(module).to_string();
        transcripts
            .entry(module)
            .or_default()
            .push(entry.to_string());
    }
    for stem in &stems {
        let before = transcripts.get(&format!("{stem}_before"));
        let after = transcripts.get(&format!("{stem}_after"));
        assert!(
            before.is_some_and(|b| !b.is_empty()),
            "{stem}: no transcript from the original"
        );
        assert_eq!(
            before, after,
            "{stem}: the rewrite changes what a caller observes"
        );
    }
}
