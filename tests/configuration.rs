//! End-to-end tests of configuration files: `lockfix.toml` and Cargo.toml metadata, flags
//! overriding them, per-path ignores, unknown keys and `--show-settings`.

mod common;

use common::{TICK, lockfix};
use std::fs;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn lockfix_toml_ignore_and_the_flag_that_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.rs"), TICK).unwrap();
    fs::write(
        dir.path().join("lockfix.toml"),
        "ignore = [\"guard-across-await\"]\n",
    )
    .unwrap();
    assert_eq!(lockfix(dir.path(), &[]).status.code(), Some(0));
    let overridden = lockfix(dir.path(), &["--ignore", "double-lock"]);
    assert_eq!(overridden.status.code(), Some(1));

    let settings = text(&lockfix(dir.path(), &["--show-settings"]).stdout);
    assert!(
        settings.contains("ignore = [\"guard-across-await\"]    # lockfix.toml"),
        "{settings}"
    );
    assert!(
        settings.contains("unsafe-fixes = false    # default"),
        "{settings}"
    );
    let settings = text(&lockfix(dir.path(), &["--show-settings", "--unsafe-fixes"]).stdout);
    assert!(
        settings.contains("unsafe-fixes = true    # command line"),
        "{settings}"
    );
}

#[test]
fn cargo_metadata_and_per_path_ignores() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("tests")).unwrap();
    fs::create_dir_all(dir.path().join("src")).unwrap();
    fs::write(dir.path().join("tests/a.rs"), TICK).unwrap();
    fs::write(dir.path().join("src/b.rs"), TICK).unwrap();
    fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.lockfix.per-path-ignores]\n\"tests/**\" = [\"guard-across-await\"]\n",
    )
    .unwrap();
    let output = lockfix(dir.path(), &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["src/b.rs"], "{report}");
    let settings = text(&lockfix(dir.path(), &["--show-settings"]).stdout);
    assert!(
        settings.contains("Cargo.toml [package.metadata.lockfix]"),
        "{settings}"
    );
}

#[test]
fn cargo_metadata_spelled_with_an_escape_is_read() {
    // Manifests without the word `lockfix` are not parsed for configuration: a quoted key that
    // spells it with an escape must still count.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.rs"), TICK).unwrap();
    let manifest = "[package]\nname = \"x\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";
    fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    assert_eq!(lockfix(dir.path(), &[]).status.code(), Some(1));
    fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "{manifest}\n[package.metadata.\"lock\\u0066ix\"]\nignore = [\"guard-across-await\"]\n"
        ),
    )
    .unwrap();
    assert_eq!(lockfix(dir.path(), &[]).status.code(), Some(0));
}

#[test]
fn extra_blocking_functions_are_read_by_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let slow = "pub async fn f(m: &std::sync::Mutex<u32>) {\n    let g = m.lock().unwrap();\n    mycrate::crunch(*g);\n    drop(g);\n}\n";
    fs::write(dir.path().join("a.rs"), slow).unwrap();
    assert_eq!(lockfix(dir.path(), &[]).status.code(), Some(0));
    fs::write(
        dir.path().join("lockfix.toml"),
        "extra-blocking-functions = [\"mycrate::crunch\"]\n",
    )
    .unwrap();
    let output = lockfix(dir.path(), &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["findings"][0]["rule"], "guard-across-blocking",
        "{report}"
    );
    let settings = text(&lockfix(dir.path(), &["--show-settings"]).stdout);
    assert!(
        settings.contains("extra-blocking-functions = [\"mycrate::crunch\"]    # lockfix.toml"),
        "{settings}"
    );
}

#[test]
fn unknown_keys_are_errors_naming_the_nearest_key() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.rs"), TICK).unwrap();
    fs::write(dir.path().join(".lockfix.toml"), "unsafe-fix = true\n").unwrap();
    let output = lockfix(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(
        error.contains("unknown key `unsafe-fix`; did you mean `unsafe-fixes`?"),
        "{error}"
    );
}

/// A project's own lock wrapper: its bare `read()` is a lock only because the configuration says
/// the type is one (without evidence, a no-argument `read()` is as likely a pointer or IO read).
#[test]
fn extra_lock_types_make_a_wrapper_a_lock() {
    let dir = tempfile::tempdir().unwrap();
    let source = "pub struct TrackedRwLock<T>(T);\n\
                  impl<T> TrackedRwLock<T> { pub fn read(&self) -> &T { &self.0 } }\n\
                  pub struct Registry { names: TrackedRwLock<Vec<String>> }\n\
                  impl Registry {\n\
                  pub async fn announce(&self) {\n\
                  let names = self.names.read();\n\
                  let count = names.len();\n\
                  tokio::task::yield_now().await;\n\
                  println!(\"{count}\");\n\
                  }\n\
                  }\n";
    fs::write(dir.path().join("registry.rs"), source).unwrap();
    let without = common::lockfix(dir.path(), &["--format", "json"]);
    assert_eq!(
        without.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&without.stdout)
    );

    fs::write(
        dir.path().join("lockfix.toml"),
        "extra-lock-types = [\"TrackedRwLock\"]\n",
    )
    .unwrap();
    let with = common::lockfix(dir.path(), &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&with.stdout).expect("JSON");
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["guard-across-await"], "{json}");

    let settings = common::lockfix(dir.path(), &["--show-settings"]);
    assert!(String::from_utf8_lossy(&settings.stdout).contains("extra-lock-types"));
}

/// Issue 16, defect 6: each file's configuration is found from its own directory upwards, so
/// `lockfix /path/to/project` uses that project's `lockfix.toml`; `--config FILE` overrides.
#[test]
fn each_files_configuration_is_found_from_its_directory_and_config_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir_all(project.join("src")).unwrap();
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(project.join("src/a.rs"), TICK).unwrap();
    fs::write(
        project.join("lockfix.toml"),
        "ignore = [\"guard-across-await\"]\n",
    )
    .unwrap();
    let project_arg = project.to_str().unwrap();
    assert_eq!(lockfix(&elsewhere, &[project_arg]).status.code(), Some(0));

    let strict = elsewhere.join("strict.toml");
    fs::write(&strict, "select = [\"guard-across-await\"]\n").unwrap();
    let output = lockfix(
        &elsewhere,
        &["--config", strict.to_str().unwrap(), project_arg],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let missing = lockfix(&elsewhere, &["--config", "nope.toml", project_arg]);
    assert_eq!(missing.status.code(), Some(2));
}

/// Issue 16, defect 10: two configuration files in one directory: the one used is said, and
/// the other is not silently ignored.
#[test]
fn two_configuration_files_in_one_directory_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.rs"), TICK).unwrap();
    fs::write(
        dir.path().join("lockfix.toml"),
        "ignore = [\"guard-across-await\"]\n",
    )
    .unwrap();
    fs::write(dir.path().join(".lockfix.toml"), "unsafe-fixes = true\n").unwrap();
    let output = lockfix(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        text(&output.stderr)
            .contains("lockfix.toml is used; .lockfix.toml in the same directory is ignored"),
        "{}",
        text(&output.stderr)
    );
}

/// Issue 16, defect 10: `--show-settings` prints TOML (per-path ignores as a table).
#[test]
fn show_settings_is_valid_toml() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("lockfix.toml"),
        "extra-blocking-functions = [\"my::slow\"]\n[per-path-ignores]\n\"tests/**\" = [\"guard-across-await\"]\n",
    )
    .unwrap();
    let settings = text(&lockfix(dir.path(), &["--show-settings"]).stdout);
    let parsed: toml::Table = settings
        .parse()
        .unwrap_or_else(|error| panic!("{error}\n{settings}"));
    assert_eq!(
        parsed["per-path-ignores"]["tests/**"][0].as_str(),
        Some("guard-across-await"),
        "{settings}"
    );
    assert_eq!(
        parsed["extra-blocking-functions"][0].as_str(),
        Some("my::slow")
    );
}
