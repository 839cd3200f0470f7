//! End-to-end tests of suppressions: lockfix's own `// lockfix: ignore[..]` comments, clippy's
//! `#[allow]`/`#[expect]` of the equivalent lints, unused suppressions, and `--add-ignore`.

mod common;

use std::fs;
use std::path::Path;

use common::{TICK, lockfix};
use serde_json::Value;

fn json(dir: &Path) -> Value {
    let output = lockfix(dir, &["--format", "json"]);
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

#[test]
fn comment_on_the_item_suppresses_and_a_stale_one_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let suppressed = format!("// lockfix: ignore[guard-across-await] a test fixture\n{TICK}");
    fs::write(dir.path().join("a.rs"), &suppressed).unwrap();
    let report = json(dir.path());
    assert_eq!(report["findings"].as_array().unwrap().len(), 0, "{report}");
    assert_eq!(lockfix(dir.path(), &[]).status.code(), Some(0));

    let stale = TICK.replace(
        "    let n",
        "    // lockfix: ignore[read-then-write] not here\n    let n",
    );
    fs::write(dir.path().join("a.rs"), stale).unwrap();
    let report = json(dir.path());
    assert_eq!(report["findings"].as_array().unwrap().len(), 1, "{report}");
    let message = report["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("line 3: unused suppression `lockfix: ignore[read-then-write]`"),
        "{report}"
    );
}

#[test]
fn clippy_expect_suppresses() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = format!("#[expect(clippy::await_holding_lock)]\n{TICK}");
    fs::write(dir.path().join("a.rs"), allowed).unwrap();
    assert_eq!(json(dir.path())["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn add_ignore_then_the_run_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let two = format!("{TICK}\n{}", TICK.replace("tick", "tock"));
    fs::write(dir.path().join("a.rs"), &two).unwrap();
    // Outside git, writing needs --allow-dirty, as --apply does.
    let refused = lockfix(dir.path(), &["--add-ignore"]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(fs::read_to_string(dir.path().join("a.rs")).unwrap(), two);

    let added = lockfix(dir.path(), &["--add-ignore", "--allow-dirty"]);
    assert_eq!(added.status.code(), Some(0), "{added:?}");
    assert_eq!(
        String::from_utf8_lossy(&added.stdout).trim(),
        "added 2 ignore comments to 1 file"
    );
    let text = fs::read_to_string(dir.path().join("a.rs")).unwrap();
    assert_eq!(
        text.matches("    // lockfix: ignore[guard-across-await] TODO(lockfix)")
            .count(),
        2,
        "{text}"
    );
    let clean = lockfix(dir.path(), &[]);
    assert_eq!(clean.status.code(), Some(0));
    // Nothing left to add.
    let again = lockfix(dir.path(), &["--add-ignore", "--allow-dirty"]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "added 0 ignore comments to 0 files"
    );
    assert!(
        lockfix(dir.path(), &["--add-ignore", "--apply"])
            .status
            .code()
            == Some(2)
    );
}

/// Issue 16, defect 5: `lockfix:ignore[rule]` (no space) works; a suppression that names no rule
/// is reported; `--strict-suppressions` (or `strict-suppressions = true`) fails the run on them.
#[test]
fn malformed_suppressions_are_reported_and_strict_ones_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let compact = format!("// lockfix:ignore[guard-across-await] no space\n{TICK}");
    fs::write(dir.path().join("a.rs"), &compact).unwrap();
    assert_eq!(json(dir.path())["findings"].as_array().unwrap().len(), 0);

    for malformed in [
        "// lockfix: ignore",
        "// lockfix: ignore[]",
        "// lockfix: ignore[guard",
    ] {
        let text = format!("{malformed}\n{TICK}");
        fs::write(dir.path().join("a.rs"), &text).unwrap();
        let report = json(dir.path());
        assert_eq!(
            report["findings"].as_array().unwrap().len(),
            1,
            "{malformed}"
        );
        let message = report["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("line 1: malformed suppression"),
            "{malformed}: {report}"
        );
    }

    let stale = format!("// lockfix: ignore[read-then-write] stale\n{TICK}").replace(
        "    let g",
        "    // lockfix: ignore[guard-across-await] held on purpose\n    let g",
    );
    fs::write(dir.path().join("a.rs"), &stale).unwrap();
    assert_eq!(lockfix(dir.path(), &[]).status.code(), Some(0));
    let strict = lockfix(dir.path(), &["--strict-suppressions"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&strict.stderr).contains("1 unused or malformed suppression fail"),
        "{}",
        String::from_utf8_lossy(&strict.stderr)
    );
    fs::write(
        dir.path().join("lockfix.toml"),
        "strict-suppressions = true\n",
    )
    .unwrap();
    assert_eq!(lockfix(dir.path(), &[]).status.code(), Some(1));
}
