//! Every compilable fixture compiles before and after `--apply --unsafe-fixes`: the fixes are
//! checked by rustc, not only by the parser. The scratch crate `tests/compile-check` depends on
//! tokio, parking_lot, async-lock, futures and dashmap; its build script turns each file in
//! `LOCKFIX_FIXTURE_DIR` into a module.
//!
//! The same fixtures also check the form of the fixes: a fixture that `rustfmt --check` accepts
//! is still accepted after fixing (a fix keeps `cargo fmt --check` green).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

/// Whether rustfmt accepts `text` as it is. (`rustfmt --check` on standard input exits with 0
/// even when it prints a diff, so the text goes through a file.)
fn rustfmt_accepts(text: &str, edition: &str) -> Option<bool> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("fixture.rs");
    std::fs::write(&path, text).ok()?;
    let status = Command::new("rustfmt")
        .args(["--check", "--edition", edition])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    Some(status.success())
}

#[test]
fn fixes_keep_rustfmt_clean_fixtures_clean() {
    if rustfmt_accepts("fn main() {}\n", "2021").is_none() {
        eprintln!("rustfmt is not installed: skipped");
        return;
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for fixture in common::fixtures() {
        let edition = match fixture.edition {
            lockfix_transforms::Edition::Edition2015 => "2015",
            lockfix_transforms::Edition::Edition2018 => "2018",
            lockfix_transforms::Edition::Edition2021 => "2021",
            _ => "2024",
        };
        if rustfmt_accepts(&fixture.text, edition) != Some(true) {
            continue;
        }
        checked += 1;
        let fixed = common::fix_all(&fixture.text, fixture.edition).text;
        if rustfmt_accepts(&fixed, edition) != Some(true) {
            failures.push(fixture.name.clone());
        }
    }
    assert!(checked > 0, "no rustfmt-clean fixture");
    assert!(
        failures.is_empty(),
        "rustfmt-clean fixtures that their fixes leave unformatted: {failures:?}"
    );
}

#[test]
fn fixtures_compile_before_and_after_fixing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut count = 0;
    for fixture in common::fixtures().iter().filter(|f| f.compiles) {
        let stem = fixture.name.replace("__", "_");
        let fixed = common::fix_all(&fixture.text, fixture.edition).text;
        std::fs::write(dir.path().join(format!("{stem}_before.rs")), &fixture.text).expect("write");
        std::fs::write(dir.path().join(format!("{stem}_after.rs")), &fixed).expect("write");
        count += 1;
    }
    assert!(count > 0, "no compilable fixtures");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile-check/Cargo.toml");
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/compile-check");
    let output = Command::new(env!("CARGO"))
        .args([
            "check",
            "--quiet",
            "--message-format",
            "short",
            "--manifest-path",
        ])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        .env("LOCKFIX_FIXTURE_DIR", dir.path())
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "fixtures or their fixed versions do not compile:\n{stderr}"
    );
}
