//! End-to-end tests of `cargo lockfix`: the `cargo-lockfix` binary run the way cargo runs it, in a
//! temporary two-member workspace, with cargo's package selection.

mod common;

use common::TICK;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"alpha\", \"beta\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    for name in ["alpha", "beta"] {
        fs::create_dir_all(dir.path().join(name).join("src")).unwrap();
        fs::write(
            dir.path().join(name).join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        )
        .unwrap();
        fs::write(dir.path().join(name).join("src/lib.rs"), TICK).unwrap();
    }
    dir
}

fn cargo_lockfix(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-lockfix"))
        .arg("lockfix")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("cargo-lockfix runs")
}

fn paths(output: &Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    let mut paths: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["path"].as_str().unwrap().to_owned())
        .collect();
    paths.sort();
    paths
}

#[test]
fn package_selection_means_what_it_means_for_cargo() {
    let ws = workspace();
    let root = ws.path();
    let json = ["--format", "json"];
    let all = ["alpha/src/lib.rs", "beta/src/lib.rs"];
    // A virtual manifest: every member, as `cargo check` does.
    assert_eq!(paths(&cargo_lockfix(root, &json)), all);
    assert_eq!(
        paths(&cargo_lockfix(root, &["--workspace", "--format", "json"])),
        all
    );
    assert_eq!(
        paths(&cargo_lockfix(root, &["-p", "beta", "--format", "json"])),
        ["beta/src/lib.rs"]
    );
    assert_eq!(
        paths(&cargo_lockfix(
            root,
            &["--manifest-path", "alpha/Cargo.toml", "--format", "json"]
        )),
        ["alpha/src/lib.rs"]
    );
    // Inside a member: that package only, paths shown relative to where cargo was run.
    assert_eq!(
        paths(&cargo_lockfix(&root.join("alpha"), &json)),
        ["src/lib.rs"]
    );
    let unknown = cargo_lockfix(root, &["-p", "gamma"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("package `gamma`"));
}

/// Issue 16, defect 1: help, version and the documentation flags need no project, and the help
/// shows cargo's usage with the package selection.
#[test]
fn help_version_and_docs_work_outside_a_project() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["--version"],
        &["--list-rules"],
        &["--explain", "guard-across-await"],
    ] {
        let output = cargo_lockfix(dir.path(), args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let help = String::from_utf8_lossy(&cargo_lockfix(dir.path(), &["--help"]).stdout).into_owned();
    assert!(help.contains("Usage: cargo lockfix"), "{help}");
    for flag in [
        "--manifest-path",
        "-p, --package",
        "--workspace",
        "Package selection",
    ] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}

/// Issue 16, defects 2 and 6: a PATH restricts the check to it (and must lie inside the selected
/// packages), and the package's own `lockfix.toml` is used wherever cargo runs.
#[test]
fn paths_restrict_the_check_and_each_package_brings_its_configuration() {
    let ws = workspace();
    let root = ws.path();
    assert_eq!(
        paths(&cargo_lockfix(
            root,
            &["alpha/src/lib.rs", "--format", "json"]
        )),
        ["alpha/src/lib.rs"]
    );
    let outside = cargo_lockfix(root, &["-p", "beta", "alpha/src/lib.rs"]);
    assert_eq!(outside.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&outside.stderr).contains("is not inside the selected package"),
        "{}",
        String::from_utf8_lossy(&outside.stderr)
    );
    fs::write(
        root.join("alpha/lockfix.toml"),
        "ignore = [\"guard-across-await\"]\n",
    )
    .unwrap();
    assert_eq!(
        paths(&cargo_lockfix(root, &["--workspace", "--format", "json"])),
        ["beta/src/lib.rs"]
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let manifest = root.join("alpha/Cargo.toml");
    let output = cargo_lockfix(
        elsewhere.path(),
        &["--manifest-path", manifest.to_str().unwrap()],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
