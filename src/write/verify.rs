//! `--verify`: after writing, `cargo check` each affected workspace and roll back the files whose
//! fixes broke the build.
//!
//! Opt-in because `cargo check` executes the user's code: build scripts and procedural macros
//! run with the user's permissions. cargo runs with `--offline`, since lockfix never reaches the
//! network.
//!
//! The build is checked once before writing (the baseline) and again after. An error whose primary
//! span lies in a file lockfix wrote is blamed on that file's fixes: the file gets its exact
//! original bytes back and is reported as "reverted: does not compile" with the compiler's first
//! message, and the build is checked again, until no written file has errors and the error count
//! is no higher than the baseline's. If errors outside the written files still exceed the baseline
//! (a fix broke a caller elsewhere), every remaining written file of that workspace is reverted.
//! Fixes are per file in lockfix, so a file is the unit of rollback.
//!
//! Only the packages that own a written file are checked (`cargo check -p NAME …`: a one-member
//! fix in a 200-crate workspace checks that member), with `--keep-going` so that the error counts
//! compared are every crate's, not those of the first crate that fails. Each workspace ends with
//! one outcome line: passed, or how many files were reverted.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::report::{ErrorEntry, WorkspaceOutcome};
use crate::write::atomic::{WriteOutcome, write_if_unchanged};

/// Test-only hook, read by the lockfix binary: when set to a file name, the written text of every
/// file with that name gets an item appended that parses but does not compile. It stands in for a
/// fix that re-parses but breaks the build, which the transforms are not supposed to produce, so
/// the end-to-end test of `--verify` has something to roll back. Never set it outside tests.
pub const BREAK_FIX_ENV: &str = "LOCKFIX_TEST_BREAK_FIXES_IN";

/// Applies the [`BREAK_FIX_ENV`] hook to the text about to be written to `path`.
pub fn test_hook_break(path: &Path, text: String) -> String {
    match std::env::var_os(BREAK_FIX_ENV) {
        Some(name) if path.file_name() == Some(name.as_os_str()) => {
            format!("{text}\ncompile_error!(\"broken on purpose by {BREAK_FIX_ENV}\");\n")
        }
        _ => text,
    }
}

/// One file lockfix wrote.
#[derive(Debug, Clone)]
pub struct WrittenFile {
    /// As the user named it (symlinks are written through, so this may be a link).
    pub path: PathBuf,
    /// What the report calls it.
    pub display: String,
    /// The bytes before lockfix: a rollback restores exactly these.
    pub original: Vec<u8>,
    /// The bytes lockfix wrote.
    pub written: Vec<u8>,
    /// The text and findings the report shows again if the file is reverted.
    pub text_before: String,
    pub findings_before: Vec<lockfix_transforms::Finding>,
}

/// One error the compiler reported.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CompilerError {
    /// The canonical path of the primary span's file, when there is one.
    file: Option<PathBuf>,
    /// `error[E0308]: mismatched types at src/a.rs:3:5`.
    summary: String,
}

/// The result of one `cargo check` of a workspace.
#[derive(Debug)]
struct CheckResult {
    errors: Vec<CompilerError>,
    /// cargo itself failed (bad manifest, missing dependency offline) without compiler errors.
    cargo_failure: Option<String>,
}

/// What verification found before writing: the workspaces and their baseline error counts.
pub struct Baseline {
    /// Workspace manifest → errors before lockfix wrote anything.
    workspaces: BTreeMap<PathBuf, usize>,
    /// Workspace manifest → the packages to check (`-p`); empty means the whole workspace.
    packages: BTreeMap<PathBuf, Vec<String>>,
    /// Files lockfix is about to write that belong to no cargo workspace.
    orphans: Vec<String>,
    /// Canonical file path → its workspace manifest.
    owner: BTreeMap<PathBuf, PathBuf>,
    notes: Vec<ErrorEntry>,
}

/// Checks the workspaces that own `files` (canonical path, display) before anything is written.
pub fn baseline(files: &[(PathBuf, String)]) -> Baseline {
    let mut baseline = Baseline {
        workspaces: BTreeMap::new(),
        packages: BTreeMap::new(),
        orphans: Vec::new(),
        owner: BTreeMap::new(),
        notes: Vec::new(),
    };
    for (path, display) in files {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        match workspace_of(&canonical) {
            Some(manifest) => {
                let packages = baseline.packages.entry(manifest.clone()).or_default();
                match package_of(&canonical) {
                    Some(name) if !packages.contains(&name) => packages.push(name),
                    Some(_) => {}
                    // A file of no package (a virtual manifest's stray file): check everything.
                    None => packages.push(String::new()),
                }
                baseline.owner.insert(canonical, manifest.clone());
                baseline.workspaces.entry(manifest).or_insert(0);
            }
            None => baseline.orphans.push(display.clone()),
        }
    }
    for packages in baseline.packages.values_mut() {
        if packages.iter().any(String::is_empty) {
            packages.clear();
        }
        packages.sort();
    }
    let manifests: Vec<PathBuf> = baseline.workspaces.keys().cloned().collect();
    for manifest in manifests {
        let result = cargo_check(&manifest, &baseline.packages[&manifest]);
        let count = result.errors.len();
        if let Some(failure) = &result.cargo_failure {
            baseline.notes.push(workspace_note(
                &manifest,
                format!("--verify: cargo check failed before lockfix wrote anything: {failure}"),
            ));
        } else if count > 0 {
            baseline.notes.push(workspace_note(
                &manifest,
                format!(
                    "--verify: the build was already red before lockfix ({}); fixes are kept \
                     if they do not add errors",
                    crate::report::plural(count, "error")
                ),
            ));
        }
        baseline.workspaces.insert(manifest, count);
    }
    baseline
}

/// What verification did after writing.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Display paths of the files rolled back to their original bytes, with the reason.
    pub reverted: Vec<(String, String)>,
    /// One per workspace checked: its outcome line.
    pub outcomes: Vec<WorkspaceOutcome>,
    pub notes: Vec<ErrorEntry>,
    /// A rollback failed: the user must look at the file.
    pub failed: bool,
}

/// Checks the workspaces again after `written` were written, rolling back what broke the build.
pub fn verify(baseline: Baseline, written: &[WrittenFile]) -> Verdict {
    let mut verdict = Verdict {
        notes: baseline.notes,
        ..Verdict::default()
    };
    for display in baseline.orphans {
        verdict.notes.push(ErrorEntry {
            fatal: false,
            path: display,
            message: "--verify: no Cargo.toml above this file, so it was not checked".to_owned(),
        });
    }
    for (manifest, errors_before) in baseline.workspaces {
        let packages = &baseline.packages[&manifest];
        let reverted_before = verdict.reverted.len();
        let mut live: Vec<(&WrittenFile, PathBuf)> = written
            .iter()
            .filter_map(|file| {
                let canonical = std::fs::canonicalize(&file.path).ok()?;
                (baseline.owner.get(&canonical) == Some(&manifest)).then_some((file, canonical))
            })
            .collect();
        let checked = live.len();
        let mut cargo_failed = false;
        // Each round reverts at least one file or stops, so this ends.
        while !live.is_empty() {
            let result = cargo_check(&manifest, packages);
            cargo_failed = result.cargo_failure.is_some();
            if let Some(failure) = result.cargo_failure {
                verdict.notes.push(workspace_note(
                    &manifest,
                    format!("--verify: cargo check failed after writing: {failure}"),
                ));
            }
            let mut first_error: BTreeMap<&Path, &str> = BTreeMap::new();
            for error in &result.errors {
                if let Some(file) = &error.file {
                    first_error.entry(file.as_path()).or_insert(&error.summary);
                }
            }
            let guilty: Vec<usize> = live
                .iter()
                .enumerate()
                .filter(|(_, (_, canonical))| first_error.contains_key(canonical.as_path()))
                .map(|(i, _)| i)
                .collect();
            if !guilty.is_empty() {
                for &i in guilty.iter().rev() {
                    let (file, canonical) = live.remove(i);
                    let reason = format!(
                        "reverted: does not compile: {}",
                        first_error[canonical.as_path()]
                    );
                    revert(file, reason, &mut verdict);
                }
                continue;
            }
            if result.errors.len() > errors_before {
                let first = result
                    .errors
                    .first()
                    .map_or("", |error| error.summary.as_str());
                for (file, _) in live.drain(..) {
                    let reason = format!(
                        "reverted: the build has more errors than before lockfix ({} > {errors_before}) \
                         and the compiler blames no file lockfix wrote: {first}",
                        result.errors.len()
                    );
                    revert(file, reason, &mut verdict);
                }
            }
            break;
        }
        let reverted = verdict.reverted.len() - reverted_before;
        verdict.outcomes.push(WorkspaceOutcome {
            workspace: manifest.display().to_string(),
            command: check_command(packages),
            passed: reverted == 0 && !cargo_failed,
            kept: checked - reverted,
            reverted,
            errors_before,
        });
    }
    verdict
}

fn check_command(packages: &[String]) -> String {
    let mut command = "cargo check".to_owned();
    if packages.is_empty() {
        command.push_str(" --workspace");
    }
    for package in packages {
        command.push_str(&format!(" -p {package}"));
    }
    command.push_str(" --all-targets --keep-going");
    command
}

/// Puts `file`'s original bytes back, unless someone edited it after lockfix wrote it.
fn revert(file: &WrittenFile, reason: String, verdict: &mut Verdict) {
    let message = match write_if_unchanged(&file.path, &file.written, &file.original) {
        Ok(WriteOutcome::Written) => {
            verdict
                .reverted
                .push((file.display.clone(), reason.clone()));
            reason
        }
        Ok(WriteOutcome::ChangedOnDisk | WriteOutcome::Deleted) => {
            verdict.failed = true;
            format!(
                "{reason}; but the file changed on disk after lockfix wrote it, so it was left as it is"
            )
        }
        Err(error) => {
            verdict.failed = true;
            format!("{reason}; but restoring the original failed: {error}")
        }
    };
    verdict.notes.push(ErrorEntry {
        fatal: false,
        path: file.display.clone(),
        message,
    });
}

fn workspace_note(manifest: &Path, message: String) -> ErrorEntry {
    ErrorEntry {
        fatal: false,
        path: manifest.display().to_string(),
        message,
    }
}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The manifest of the workspace that owns the file at `path`: the nearest Cargo.toml above it,
/// resolved to its workspace root by cargo itself (which knows `workspace.exclude` and friends).
fn workspace_of(path: &Path) -> Option<PathBuf> {
    let package = path
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("Cargo.toml"))
        .find(|manifest| manifest.is_file())?;
    let output = Command::new(cargo())
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .arg("--manifest-path")
        .arg(&package)
        .arg("--offline")
        .output()
        .ok()?;
    let located = String::from_utf8(output.stdout).ok()?;
    let located = located.trim();
    if output.status.success() && !located.is_empty() {
        Some(PathBuf::from(located))
    } else {
        Some(package)
    }
}

/// The name of the package whose `Cargo.toml` is nearest above `path`, if it has one.
fn package_of(path: &Path) -> Option<String> {
    let manifest = path
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("Cargo.toml"))
        .find(|manifest| manifest.is_file())?;
    let text = std::fs::read_to_string(manifest).ok()?;
    let value: toml::Value = toml::from_str(&text).ok()?;
    value
        .get("package")?
        .get("name")?
        .as_str()
        .map(str::to_owned)
}

/// `cargo check` of `packages` (the whole workspace when empty), every target, not stopping at
/// the first crate that fails.
fn cargo_check(manifest: &Path, packages: &[String]) -> CheckResult {
    let mut command = Command::new(cargo());
    command.arg("check");
    if packages.is_empty() {
        command.arg("--workspace");
    }
    for package in packages {
        command.args(["-p", package]);
    }
    let output = command
        .args([
            "--all-targets",
            "--keep-going",
            "--message-format=json",
            "--offline",
            "--quiet",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => {
            return CheckResult {
                errors: Vec::new(),
                cargo_failure: Some(format!("could not run cargo: {error}")),
            };
        }
    };
    let root = manifest.parent().unwrap_or(Path::new("."));
    let errors = parse_messages(&String::from_utf8_lossy(&output.stdout), root);
    let cargo_failure = (!output.status.success() && errors.is_empty()).then(|| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        stderr
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("cargo check failed")
            .to_owned()
    });
    CheckResult {
        errors,
        cargo_failure,
    }
}

/// The distinct errors in cargo's JSON messages (a library and its test target report the same
/// error twice). Relative span paths are relative to the workspace root `root`.
fn parse_messages(stdout: &str, root: &Path) -> Vec<CompilerError> {
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for line in stdout.lines() {
        let Ok(value) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if value["reason"] != "compiler-message" || value["message"]["level"] != "error" {
            continue;
        }
        let message = &value["message"];
        let spans = message["spans"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        // "aborting due to N previous errors" has no span: it is a summary, not an error.
        let Some(primary) = spans
            .iter()
            .find(|span| span["is_primary"] == true)
            .or(spans.first())
        else {
            continue;
        };
        let rendered = message["rendered"].as_str().unwrap_or_default();
        if !seen.insert(rendered.to_owned()) {
            continue;
        }
        let file_name = primary["file_name"].as_str().unwrap_or_default();
        let file = (!file_name.is_empty()).then(|| {
            let path = root.join(file_name);
            std::fs::canonicalize(&path).unwrap_or(path)
        });
        let code = message["code"]["code"]
            .as_str()
            .map_or_else(String::new, |code| format!("[{code}]"));
        errors.push(CompilerError {
            file,
            summary: format!(
                "error{code}: {} at {file_name}:{}:{}",
                message["message"].as_str().unwrap_or_default(),
                primary["line_start"],
                primary["column_start"]
            ),
        });
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_parsed_deduplicated_and_summaries_skipped() {
        let error = r#"{"reason":"compiler-message","message":{"level":"error","message":"mismatched types","code":{"code":"E0308"},"rendered":"R1","spans":[{"file_name":"src/a.rs","is_primary":true,"line_start":3,"column_start":5}]}}"#;
        let summary = r#"{"reason":"compiler-message","message":{"level":"error","message":"aborting due to 1 previous error","code":null,"rendered":"R2","spans":[]}}"#;
        let warning = r#"{"reason":"compiler-message","message":{"level":"warning","message":"unused","code":null,"rendered":"R3","spans":[{"file_name":"src/b.rs","is_primary":true,"line_start":1,"column_start":1}]}}"#;
        let stdout = [error, error, summary, warning, "not json"].join("\n");
        let errors = parse_messages(&stdout, Path::new("/nowhere"));
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].summary,
            "error[E0308]: mismatched types at src/a.rs:3:5"
        );
        assert_eq!(errors[0].file, Some(PathBuf::from("/nowhere/src/a.rs")));
    }
}
