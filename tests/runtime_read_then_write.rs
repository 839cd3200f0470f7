//! Runtime proof for `read-then-write`: the hangs it reports are real, and its fixes remove them.
//!
//! Each fixture named below carries a `#[cfg(test)]` module whose tests bound every call with a
//! timeout and fail with a message starting `HANG:` when it fires. The fixture's text and lockfix's
//! fixed text (`--apply --unsafe-fixes`) become two modules of the scratch crate
//! `tests/compile-check` (its build script turns the files in `LOCKFIX_FIXTURE_DIR` into modules),
//! and one `cargo test` of that crate runs both: the named tests must hang on the original and
//! pass on the fixed text, and every other test must pass on the fixed text.

mod common;

use std::path::Path;
use std::process::Command;

use lockfix_transforms::{Edition, RuleId};

/// Fixture (relative to `transforms/fixtures`) and the tests that hang before the fix.
const CASES: &[(&str, &[&str])] = &[
    (
        "read_then_write/seed_001_signup.rs",
        &["signup_of_a_new_user_completes"],
    ),
    (
        "read_then_write/std_rwlock_sync.rs",
        &[
            "registering_a_new_name_completes",
            "recording_a_hit_completes",
        ],
    ),
];

#[test]
fn the_reported_hangs_are_real_and_the_fixes_remove_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut modules = Vec::new();
    for (path, _) in CASES {
        let text = std::fs::read_to_string(root.join("transforms/fixtures").join(path))
            .unwrap_or_else(|e| panic!("fixture {path}: {e}"));
        // These fixtures are edition 2021, like the seed's crate.
        let outcome = common::fix_all(&text, Edition::Edition2021);
        assert!(
            outcome
                .applied
                .iter()
                .any(|a| a.rule == RuleId::ReadThenWrite),
            "{path}: lockfix applied no read-then-write fix"
        );
        assert!(
            outcome.remaining.findings.is_empty(),
            "{path}: findings remain after fixing: {:?}",
            outcome.remaining.findings
        );
        let stem = path.trim_end_matches(".rs").replace('/', "_");
        for (suffix, text) in [("before", &text), ("after", &outcome.text)] {
            let module = format!("{stem}_{suffix}");
            std::fs::write(dir.path().join(format!("{module}.rs")), text).expect("write");
            modules.push(module);
        }
    }

    let output = Command::new(env!("CARGO"))
        .args(["test", "--lib", "--manifest-path"])
        .arg(root.join("tests/compile-check/Cargo.toml"))
        // The hanging tests sleep in their timeouts: run them side by side whatever the core count.
        .args(["--", "--color", "never", "--test-threads", "8"])
        .env("CARGO_TARGET_DIR", root.join("target/runtime-check"))
        .env("RUST_BACKTRACE", "0")
        .env("LOCKFIX_FIXTURE_DIR", dir.path())
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(
        stdout.contains("test result:"),
        "the scratch crate's tests did not run:\n{report}"
    );

    for (path, hanging) in CASES {
        let stem = path.trim_end_matches(".rs").replace('/', "_");
        for test in *hanging {
            let before = format!("{stem}_before::tests::{test}");
            let after = format!("{stem}_after::tests::{test}");
            assert!(
                stdout.contains(&format!("test {before} ... FAILED")),
                "{before} should hang and time out:\n{report}"
            );
            // The failure must be the timeout, not some other panic.
            let section = failure_section(&stdout, &before);
            assert!(
                section.contains("HANG:"),
                "{before} failed, but not by timing out:\n{section}\n{report}"
            );
            assert!(
                stdout.contains(&format!("test {after} ... ok")),
                "{after} should pass after the fix:\n{report}"
            );
        }
    }
    let failed_after: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("_after::") && l.ends_with("FAILED"))
        .collect();
    assert!(
        failed_after.is_empty(),
        "tests fail on the fixed text: {failed_after:?}\n{report}"
    );
    assert!(modules.len() == CASES.len() * 2);
}

/// libtest's `---- name stdout ----` section for a failed test.
fn failure_section<'a>(stdout: &'a str, test: &str) -> &'a str {
    let header = format!("---- {test} stdout ----");
    let Some(start) = stdout.find(&header) else {
        return "";
    };
    let rest = &stdout[start + header.len()..];
    let end = rest.find("\n---- ").unwrap_or(rest.len());
    &rest[..end]
}
