//! `cargo lockfix …`: cargo runs `cargo-lockfix lockfix …`. Cargo's package selection
//! (`--manifest-path`, `-p/--package`, `--workspace`) is turned into the package directories to
//! check, found with `cargo metadata --no-deps` (which reads manifests only: no resolution, no
//! network); every other argument goes to lockfix unchanged.
//!
//! Without `-p` or `--workspace`, the package of the manifest is checked, or every member when the
//! manifest is a virtual workspace — what `cargo check` does.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;

use crate::report::ExitCode;

/// What cargo's selection flags asked for; everything else is for lockfix.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub manifest_path: Option<PathBuf>,
    pub packages: Vec<String>,
    pub workspace: bool,
    pub rest: Vec<OsString>,
}

/// Splits cargo's selection flags from lockfix's arguments (`args` without the program name and
/// the `lockfix` cargo passes).
pub fn split_args(args: Vec<OsString>) -> Result<Selection, String> {
    let mut selection = Selection::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            selection.rest.push(arg);
            continue;
        };
        let mut value_of = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value"))
                .map(|value| value.to_string_lossy().into_owned())
        };
        match text {
            "--" => {
                selection.rest.push(arg);
                selection.rest.extend(args);
                break;
            }
            "--workspace" | "--all" => selection.workspace = true,
            "--manifest-path" => selection.manifest_path = Some(value_of(text)?.into()),
            "-p" | "--package" => selection.packages.push(value_of(text)?),
            _ => {
                if let Some(path) = text.strip_prefix("--manifest-path=") {
                    selection.manifest_path = Some(path.into());
                } else if let Some(name) = text.strip_prefix("--package=") {
                    selection.packages.push(name.to_owned());
                } else if let Some(name) = text.strip_prefix("-p").filter(|n| !n.is_empty()) {
                    selection.packages.push(name.to_owned());
                } else {
                    selection.rest.push(arg);
                }
            }
        }
    }
    Ok(selection)
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
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    // `cargo lockfix x` runs `cargo-lockfix lockfix x`; run directly, there is no `lockfix`.
    if args.first().is_some_and(|arg| arg == "lockfix") {
        args.remove(0);
    }
    let outcome = split_args(args).and_then(|selection| {
        let dirs = package_dirs(&selection)?;
        Ok((selection.rest, dirs))
    });
    match outcome {
        Ok((rest, dirs)) => {
            let program = std::iter::once(OsString::from("cargo-lockfix"));
            let dirs = dirs.into_iter().map(OsString::from);
            crate::run_with_args(program.chain(rest).chain(dirs))
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::Error as i32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_flags_are_taken_out() {
        let args = [
            "-p",
            "a",
            "--package=b",
            "-pc",
            "--format",
            "json",
            "--workspace",
            "--manifest-path",
            "x/Cargo.toml",
            "src",
        ];
        let selection = split_args(args.iter().map(OsString::from).collect()).unwrap();
        assert_eq!(selection.packages, ["a", "b", "c"]);
        assert!(selection.workspace);
        assert_eq!(selection.manifest_path, Some(PathBuf::from("x/Cargo.toml")));
        assert_eq!(selection.rest, ["--format", "json", "src"]);
        assert!(split_args(vec!["-p".into()]).is_err());
    }
}
