//! Every compilable fixture compiles before and after `--apply --unsafe-fixes`: the fixes are
//! checked by rustc, not only by the parser. The scratch crate `tests/compile-check` depends on
//! tokio, parking_lot, async-lock, futures and dashmap; its build script turns each file in
//! `LOCKFIX_FIXTURE_DIR` into a module.

mod common;

use std::path::Path;
use std::process::Command;

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
