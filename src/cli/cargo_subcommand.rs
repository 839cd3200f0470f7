//! `cargo lockfix …`: cargo runs `cargo-lockfix lockfix …`. Cargo's package selection
//! (`--manifest-path`, `-p/--package`, `--workspace`) is part of the command line (see
//! [`crate::cli::command`]) and is turned into the package directories to check, found with
//! `cargo metadata --no-deps` (which reads manifests only: no resolution, no network).
//!
//! Without `-p` or `--workspace`, the package of the manifest is checked, or every member when the
//! manifest is a virtual workspace — what `cargo check` does. PATHs given on the command line are
//! checked instead (`cargo lockfix src/main.rs` checks that file), and must lie inside the
//! selected packages when `-p`/`--workspace`/`--manifest-path` select some. Help, version and the
//! documentation flags need no project at all.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;

/// What cargo's selection flags asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub manifest_path: Option<PathBuf>,
    pub packages: Vec<String>,
    pub workspace: bool,
}

impl Selection {
    fn is_default(&self) -> bool {
        self == &Selection::default()
    }
}

/// The paths to check: the selected packages' directories, or the `explicit` PATHs (checked to
/// lie inside the selected packages when a selection flag was given).
pub fn paths_to_check(
    selection: &Selection,
    explicit: Option<&Vec<PathBuf>>,
) -> Result<Vec<PathBuf>, String> {
    match explicit {
        None => package_dirs(selection),
        Some(paths) if selection.is_default() => Ok(paths.clone()),
        Some(paths) => {
            let dirs: Vec<PathBuf> = package_dirs(selection)?
                .iter()
                .map(|dir| std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()))
                .collect();
            for path in paths.iter().filter(|path| path.as_os_str() != "-") {
                // A missing path is reported by the run itself, with the others.
                let Ok(canonical) = std::fs::canonicalize(path) else {
                    continue;
                };
                if !dirs.iter().any(|dir| canonical.starts_with(dir)) {
                    let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
                    return Err(format!(
                        "{} is not inside the selected package{} ({})",
                        path.display(),
                        if dirs.len() == 1 { "" } else { "s" },
                        names.join(", ")
                    ));
                }
            }
            Ok(paths.clone())
        }
    }
}

#[derive(Debug, Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
    #[serde(default)]
    workspace_default_members: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Package {
    id: String,
    name: String,
    manifest_path: PathBuf,
}

/// The directories of the selected packages.
fn package_dirs(selection: &Selection) -> Result<Vec<PathBuf>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["metadata", "--no-deps", "--format-version", "1"]);
    if let Some(manifest) = &selection.manifest_path {
        command.arg("--manifest-path").arg(manifest);
    }
    let output = command
        .output()
        .map_err(|error| format!("cannot run `cargo metadata`: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("cannot read `cargo metadata` output: {error}"))?;
    let members: Vec<&Package> = metadata
        .packages
        .iter()
        .filter(|package| metadata.workspace_members.contains(&package.id))
        .collect();
    let chosen: Vec<&Package> = if selection.workspace {
        members
    } else if !selection.packages.is_empty() {
        let mut chosen = Vec::new();
        for name in &selection.packages {
            let package = members
                .iter()
                .find(|package| &package.name == name)
                .ok_or_else(|| format!("package `{name}` is not a member of the workspace"))?;
            chosen.push(*package);
        }
        chosen
    } else {
        let manifest = match &selection.manifest_path {
            Some(path) => std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()),
            None => find_manifest()?,
        };
        match members
            .iter()
            .find(|package| package.manifest_path == manifest)
        {
            Some(package) => vec![*package],
            // A virtual manifest: its default members, as cargo does.
            None => members
                .into_iter()
                .filter(|package| {
                    metadata.workspace_default_members.is_empty()
                        || metadata.workspace_default_members.contains(&package.id)
                })
                .collect(),
        }
    };
    Ok(chosen
        .into_iter()
        .filter_map(|package| package.manifest_path.parent().map(PathBuf::from))
        .collect())
}

/// The `Cargo.toml` of the current directory or the nearest one above it.
fn find_manifest() -> Result<PathBuf, String> {
    let cwd = std::env::current_dir()
        .map_err(|error| format!("cannot read the current directory: {error}"))?;
    cwd.ancestors()
        .map(|dir| dir.join("Cargo.toml"))
        .find(|manifest| manifest.is_file())
        .ok_or_else(|| "could not find `Cargo.toml` in the current directory or above".to_owned())
}

/// The `cargo-lockfix` binary's entry point.
pub fn main() -> i32 {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    // `cargo lockfix x` runs `cargo-lockfix lockfix x`; run directly, there is no `lockfix`.
    if args.get(1).is_some_and(|arg| arg == "lockfix") {
        args.remove(1);
    }
    crate::cli::run_command(args, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_paths_without_selection_need_no_cargo() {
        let paths = vec![PathBuf::from("src/main.rs")];
        assert_eq!(
            paths_to_check(&Selection::default(), Some(&paths)),
            Ok(paths.clone())
        );
    }
}
