//! Finding the files to analyse.
//!
//! Directories are walked with the `ignore` crate, so `.gitignore`, `.ignore` and git's exclude
//! files are honoured, inside a git repository or not (`require_git(false)`: a freshly unpacked
//! tarball has no `.git` but its `target/` is still build output). Cargo's build directories are
//! skipped even when nothing ignores them (a `target` next to a `Cargo.toml`, or any directory
//! holding the `CACHEDIR.TAG` cargo writes), and so are the `--exclude` globs and the
//! configuration's `extend-exclude`. Hidden files and directories are skipped, only `*.rs` files
//! are taken, and symbolic links are followed (a loop becomes an error entry). A file named on the
//! command line is always taken, ignored or not, whatever its extension: the user asked for it.
//!
//! A path named on the command line that is missing, a symlink loop, or not a file or directory
//! (a FIFO would block the read forever) is reported and the others are still scanned; the run
//! then fails (exit 2), as it does when no Rust file is found at all.
//!
//! The result is sorted and free of duplicates (a file reached twice, say through a symlink, is
//! analysed and written once), so output and exit codes do not depend on the walk order.

use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use globset::GlobSet;
use ignore::{DirEntry, WalkBuilder, WalkState};
use rayon::prelude::*;

use crate::input::config::ConfigResolver;
use crate::report::ErrorEntry;

/// A file to analyse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePath {
    /// The path to open: as given or found (relative to the current directory, or absolute).
    pub path: PathBuf,
    /// The path to show: relative to the current directory when possible, with `/` separators.
    pub display: String,
    /// Named on the command line (not found by walking a directory): a file the user asked for
    /// explicitly, so failing to read it fails the run.
    pub named: bool,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<SourcePath>,
    /// Directories that could not be read, symlink loops: the walk goes on past them.
    pub errors: Vec<ErrorEntry>,
    /// A path named on the command line could not be scanned, or nothing was found to scan: the
    /// run reports what it could and exits with 2.
    pub failed: bool,
}

/// What the walk leaves out besides ignored and hidden files.
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    /// `--exclude`: globs relative to the current directory, or bare names matched anywhere.
    pub globs: Arc<GlobSet>,
    /// For each directory's `extend-exclude`.
    pub configs: Arc<ConfigResolver>,
}

/// Finds the files under `paths`. `cwd` shortens displayed paths and anchors `--exclude` globs.
pub fn discover(paths: &[PathBuf], cwd: &Path, excludes: &Excludes) -> Discovery {
    let mut discovery = Discovery::default();
    let mut found = Vec::new();
    for path in paths {
        let display = display_path(path, cwd);
        let problem = match fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => {
                walk(path, &mut found, &mut discovery.errors, cwd, excludes);
                continue;
            }
            Ok(metadata) if metadata.is_file() => {
                found.push((path.clone(), true));
                continue;
            }
            Ok(_) => "not a file or directory (a FIFO, socket or device); not read".to_owned(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                match fs::symlink_metadata(path) {
                    Ok(_) => "a symbolic link to nothing".to_owned(),
                    Err(_) => "path not found".to_owned(),
                }
            }
            // ELOOP and friends: the system's words say it best.
            Err(error) => format!("cannot be read: {error}"),
        };
        discovery.failed = true;
        discovery.errors.push(ErrorEntry {
            fatal: true,
            path: display,
            message: problem,
        });
    }
    if found.is_empty() && !discovery.failed {
        let names: Vec<String> = paths.iter().map(|path| display_path(path, cwd)).collect();
        discovery.failed = true;
        discovery.errors.push(ErrorEntry {
            fatal: true,
            path: names.join(", "),
            message: "no Rust files found (nothing was checked)".to_owned(),
        });
    }

    let mut files: Vec<SourcePath> = found
        .into_iter()
        .map(|(path, named)| SourcePath {
            display: display_path(&path, cwd),
            path,
            named,
        })
        .collect();
    files.sort_by(|a, b| a.display.cmp(&b.display).then_with(|| a.path.cmp(&b.path)));
    // One `realpath` per file: done on every core, then the first of each file is kept in order.
    let canonical: Vec<PathBuf> = files
        .par_iter()
        .map(|file| fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone()))
        .collect();
    let mut seen = HashSet::new();
    discovery.files = files
        .into_iter()
        .zip(canonical)
        .filter_map(|(file, canonical)| seen.insert(canonical).then_some(file))
        .collect();
    discovery
        .errors
        .sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.message.cmp(&b.message)));
    discovery
}

/// Whether the walk skips `entry` (never the directory it started from: that one was named).
fn excluded(entry: &DirEntry, cwd: &Path, excludes: &Excludes) -> bool {
    if entry.depth() == 0 {
        return false;
    }
    let path = entry.path();
    let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
    if is_dir && is_cargo_build_dir(path) {
        return true;
    }
    if !excludes.globs.is_empty() {
        let relative = display_path(path, cwd);
        if excludes.globs.is_match(&relative)
            || path
                .file_name()
                .is_some_and(|name| excludes.globs.is_match(name))
        {
            return true;
        }
    }
    let Ok(absolute) = std::path::absolute(cwd.join(path)) else {
        return false;
    };
    let config = absolute
        .parent()
        .and_then(|dir| excludes.configs.for_dir(dir).ok().flatten());
    config.is_some_and(|config| config.excludes(&absolute))
}

/// Cargo's output: `target` beside a `Cargo.toml`, or any directory with the `CACHEDIR.TAG` cargo
/// writes into its build directories (a custom `CARGO_TARGET_DIR` too).
fn is_cargo_build_dir(path: &Path) -> bool {
    let beside_manifest = path.file_name().is_some_and(|name| name == "target")
        && path
            .parent()
            .is_some_and(|parent| parent.join("Cargo.toml").is_file());
    beside_manifest || path.join("CACHEDIR.TAG").is_file()
}

/// Walks `root` on `ignore`'s parallel walker: on a big tree the walk is the one part of the run
/// that cannot overlap the analysis, and reading directories on every core halves it. The order
/// found does not matter: [`discover`] sorts.
fn walk(
    root: &Path,
    found: &mut Vec<(PathBuf, bool)>,
    errors: &mut Vec<ErrorEntry>,
    cwd: &Path,
    excludes: &Excludes,
) {
    let filter_cwd = cwd.to_path_buf();
    let filter_excludes = excludes.clone();
    let walker = WalkBuilder::new(root)
        .require_git(false)
        .follow_links(true)
        .filter_entry(move |entry| !excluded(entry, &filter_cwd, &filter_excludes))
        .build_parallel();
    let shared = Mutex::new((Vec::new(), Vec::new()));
    walker.run(|| {
        Box::new(|entry| {
            let mut shared = shared.lock().unwrap_or_else(PoisonError::into_inner);
            match entry {
                Ok(entry) => {
                    let is_file = entry.file_type().is_some_and(|kind| kind.is_file());
                    if is_file && entry.path().extension().is_some_and(|ext| ext == "rs") {
                        shared.0.push(entry.into_path());
                    }
                }
                Err(error) => {
                    let path = error_path(&error).unwrap_or(root);
                    shared.1.push(ErrorEntry {
                        fatal: false,
                        path: display_path(path, cwd),
                        message: error_message(&error),
                    });
                }
            }
            WalkState::Continue
        })
    });
    let (files, walk_errors) = shared.into_inner().unwrap_or_else(PoisonError::into_inner);
    found.extend(files.into_iter().map(|path| (path, false)));
    errors.extend(walk_errors);
}

/// The path an `ignore` error is about, if it names one.
fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errors) => errors.first().and_then(error_path),
        _ => None,
    }
}

/// The message of an `ignore` error without the path, which the entry carries separately.
fn error_message(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            error_message(err)
        }
        ignore::Error::Loop { ancestor, .. } => {
            format!(
                "symbolic link loop back to {}; not followed",
                ancestor.display()
            )
        }
        other => other.to_string(),
    }
}

/// How a path is shown (and written into JSON and diff headers): relative to `cwd` when it is
/// below it, without `./` components, with `/` separators.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let relative = if path.is_absolute() {
        path.strip_prefix(cwd).unwrap_or(path)
    } else {
        path
    };
    let parts: Vec<String> = relative
        .components()
        .filter(|component| !matches!(component, Component::CurDir))
        .map(|component| match component {
            Component::RootDir => String::new(),
            other => other.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    match parts.as_slice() {
        [] => ".".to_owned(),
        [root, rest @ ..] if root.is_empty() => format!("/{}", rest.join("/")),
        _ => parts.join("/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn displayed(discovery: &Discovery) -> Vec<&str> {
        discovery
            .files
            .iter()
            .map(|file| file.display.as_str())
            .collect()
    }

    #[test]
    fn walks_rs_files_honouring_gitignore_outside_git() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".gitignore", "target/\nskipped.rs\n");
        write(root, "src/b.rs", "");
        write(root, "src/a.rs", "");
        write(root, "src/notes.txt", "");
        write(root, "target/debug/gen.rs", "");
        write(root, "skipped.rs", "");
        write(root, ".hidden/x.rs", "");

        let discovery = discover(&[root.to_path_buf()], root, &Excludes::default());
        assert_eq!(displayed(&discovery), ["src/a.rs", "src/b.rs"]);
        assert!(discovery.errors.is_empty());

        // Named explicitly, an ignored file is taken anyway, and named twice it is taken once.
        let paths = [
            root.join("skipped.rs"),
            root.to_path_buf(),
            root.join("src/a.rs"),
        ];
        let discovery = discover(&paths, root, &Excludes::default());
        assert_eq!(
            displayed(&discovery),
            ["skipped.rs", "src/a.rs", "src/b.rs"]
        );
    }

    #[test]
    fn missing_paths_are_reported_together() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.rs", "");
        let discovery = discover(
            &[
                dir.path().join("nope"),
                dir.path().join("a.rs"),
                dir.path().join("nada"),
            ],
            dir.path(),
            &Excludes::default(),
        );
        assert!(discovery.failed);
        assert_eq!(discovery.errors.len(), 2);
        assert_eq!(displayed(&discovery), ["a.rs"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_error_entries_and_the_walk_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "src/a.rs", "");
        std::os::unix::fs::symlink(root.join("src"), root.join("src/again")).unwrap();
        let discovery = discover(&[root.to_path_buf()], root, &Excludes::default());
        assert_eq!(displayed(&discovery), ["src/a.rs"]);
        assert_eq!(discovery.errors.len(), 1, "{:?}", discovery.errors);
        assert_eq!(discovery.errors[0].path, "src/again");
        assert!(
            discovery.errors[0].message.contains("loop"),
            "{:?}",
            discovery.errors
        );
    }

    #[test]
    fn display_paths() {
        let cwd = Path::new("/work/repo");
        assert_eq!(display_path(Path::new("./src/a.rs"), cwd), "src/a.rs");
        assert_eq!(
            display_path(Path::new("/work/repo/src/a.rs"), cwd),
            "src/a.rs"
        );
        assert_eq!(
            display_path(Path::new("/elsewhere/a.rs"), cwd),
            "/elsewhere/a.rs"
        );
        assert_eq!(display_path(Path::new("../x/a.rs"), cwd), "../x/a.rs");
    }
}
