//! The dirty-tree check before writing, as `cargo fix` does it.
//!
//! lockfix rewrites files in place; the undo button is version control. So before writing, every
//! file to be written must be tracked by git and unchanged since the last commit: otherwise the
//! user's own uncommitted work would be mixed with lockfix's changes, with no clean way back.
//! Untracked and ignored files count as dirty for the same reason. Outside a git repository (or
//! without a working git) nothing can be checked. In all these cases the user can still write with
//! `--allow-dirty`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file lockfix is about to write.
#[derive(Debug, Clone)]
pub struct FileToWrite {
    /// The path to check (for a symlink: the file it points to, which is what gets written).
    pub path: PathBuf,
    /// How the file is shown in messages.
    pub display: String,
}

/// Why a file may not be written without `--allow-dirty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `git status` lists the file: a description of its status ("modified", "untracked"…).
    Dirty(String),
    NotInRepository,
    /// git is missing or failed: its message.
    GitFailed(String),
}

/// The files that may not be written, with the reason for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub files: Vec<(String, Problem)>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outside = self
            .files
            .iter()
            .all(|(_, problem)| matches!(problem, Problem::NotInRepository));
        if outside {
            writeln!(
                f,
                "the files to be written are not inside a git repository, so their current \
                 contents could not be recovered after lockfix changes them:"
            )?;
        } else {
            writeln!(
                f,
                "the files to be written have uncommitted changes or could not be checked:"
            )?;
        }
        for (display, problem) in &self.files {
            match problem {
                Problem::Dirty(status) => writeln!(f, "  {display} ({status})")?,
                Problem::NotInRepository => writeln!(f, "  {display} (not in a git repository)")?,
                Problem::GitFailed(message) => writeln!(f, "  {display} (git: {message})")?,
            }
        }
        if outside {
            write!(f, "pass --allow-dirty to write them anyway")
        } else {
            write!(
                f,
                "commit or stash the changes first, or pass --allow-dirty to write anyway"
            )
        }
    }
}

/// Checks that every file in `files` is committed and unchanged.
pub fn check_clean(files: &[FileToWrite]) -> Result<(), Refusal> {
    let mut problems = Vec::new();
    let mut by_repository: BTreeMap<PathBuf, Vec<&FileToWrite>> = BTreeMap::new();
    let mut toplevels: HashMap<PathBuf, Result<PathBuf, Problem>> = HashMap::new();
    for file in files {
        let dir = file
            .path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .to_path_buf();
        let toplevel = toplevels
            .entry(dir.clone())
            .or_insert_with(|| toplevel(&dir));
        match toplevel {
            Ok(root) => by_repository.entry(root.clone()).or_default().push(file),
            Err(problem) => problems.push((file.display.clone(), problem.clone())),
        }
    }
    for (root, files) in by_repository {
        match statuses(&root, &files) {
            Ok(statuses) => {
                for (file, status) in files.iter().zip(statuses) {
                    if let Some(status) = status {
                        problems.push((file.display.clone(), Problem::Dirty(status)));
                    }
                }
            }
            Err(message) => problems.extend(
                files
                    .iter()
                    .map(|file| (file.display.clone(), Problem::GitFailed(message.clone()))),
            ),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.sort_by(|a, b| a.0.cmp(&b.0));
        Err(Refusal { files: problems })
    }
}

/// The root of the work tree holding `dir`.
fn toplevel(dir: &Path) -> Result<PathBuf, Problem> {
    let output = git(dir).args(["rev-parse", "--show-toplevel"]).output();
    let output =
        output.map_err(|error| Problem::GitFailed(format!("could not run git: {error}")))?;
    if output.status.success() {
        let root = String::from_utf8_lossy(&output.stdout)
            .trim_end_matches('\n')
            .to_owned();
        return Ok(PathBuf::from(root));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("not a git repository") {
        Err(Problem::NotInRepository)
    } else {
        Err(Problem::GitFailed(stderr.trim().to_owned()))
    }
}

/// The `git status` of each file (None: clean and tracked), in the order given.
fn statuses(root: &Path, files: &[&FileToWrite]) -> Result<Vec<Option<String>>, String> {
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let relative: Vec<Option<String>> = files
        .iter()
        .map(|file| {
            let path = file.path.canonicalize().ok()?;
            let relative = path.strip_prefix(&canonical_root).ok()?;
            Some(relative.to_string_lossy().replace('\\', "/"))
        })
        .collect();
    let mut command = git(root);
    command.args([
        "--literal-pathspecs",
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--ignored=matching",
        "--",
    ]);
    command.args(relative.iter().flatten());
    let output = command
        .output()
        .map_err(|error| format!("could not run git: {error}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }

    // `-z` entries are "XY PATH", and a rename or copy is followed by its source path.
    let mut listed: HashMap<String, String> = HashMap::new();
    let mut entries = output
        .stdout
        .split(|&byte| byte == 0)
        .filter(|entry| !entry.is_empty());
    while let Some(entry) = entries.next() {
        let entry = String::from_utf8_lossy(entry);
        let (Some(code), Some(path)) = (entry.get(..2), entry.get(3..)) else {
            continue;
        };
        if code.starts_with('R') || code.starts_with('C') {
            entries.next();
        }
        listed.insert(path.to_owned(), describe(code));
    }
    Ok(relative
        .iter()
        .map(|path| match path {
            Some(path) => listed.get(path).cloned(),
            // A file git cannot place inside its work tree (a symlink target elsewhere).
            None => Some("outside the git work tree".to_owned()),
        })
        .collect())
}

fn describe(code: &str) -> String {
    match code {
        "??" => "untracked".to_owned(),
        "!!" => "ignored by git, not tracked".to_owned(),
        _ => {
            let mut parts = Vec::new();
            if !code.starts_with(' ') {
                parts.push("staged changes");
            }
            if !code.ends_with(' ') {
                parts.push("uncommitted changes");
            }
            parts.join(", ")
        }
    }
}

/// A git command in `dir` that does not take optional locks (a concurrent `git` run by the user
/// or an editor must not fail because lockfix refreshed the index).
fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir).env("GIT_OPTIONAL_LOCKS", "0");
    command
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn run(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
            .status;
        assert!(status.success(), "git {args:?}");
    }

    fn file(dir: &Path, name: &str) -> FileToWrite {
        FileToWrite {
            path: dir.join(name),
            display: name.to_owned(),
        }
    }

    #[test]
    fn dirty_untracked_and_clean_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        run(root, &["init", "-q"]);
        fs::write(root.join("clean.rs"), "a").unwrap();
        fs::write(root.join("dirty.rs"), "a").unwrap();
        fs::write(root.join("staged.rs"), "a").unwrap();
        run(root, &["add", "."]);
        run(root, &["commit", "-q", "-m", "init"]);
        fs::write(root.join("dirty.rs"), "b").unwrap();
        fs::write(root.join("staged.rs"), "b").unwrap();
        run(root, &["add", "staged.rs"]);
        fs::write(root.join("new file.rs"), "a").unwrap();

        assert_eq!(check_clean(&[file(root, "clean.rs")]), Ok(()));
        let refusal = check_clean(&[
            file(root, "clean.rs"),
            file(root, "dirty.rs"),
            file(root, "new file.rs"),
            file(root, "staged.rs"),
        ])
        .unwrap_err();
        assert_eq!(
            refusal.files,
            [
                (
                    "dirty.rs".to_owned(),
                    Problem::Dirty("uncommitted changes".to_owned())
                ),
                (
                    "new file.rs".to_owned(),
                    Problem::Dirty("untracked".to_owned())
                ),
                (
                    "staged.rs".to_owned(),
                    Problem::Dirty("staged changes".to_owned())
                ),
            ]
        );
        let message = refusal.to_string();
        assert!(
            message.contains("  dirty.rs (uncommitted changes)"),
            "{message}"
        );
        assert!(message.contains("--allow-dirty"), "{message}");
    }

    #[test]
    fn outside_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.rs"), "a").unwrap();
        let refusal = check_clean(&[file(dir.path(), "a.rs")]).unwrap_err();
        assert_eq!(
            refusal.files,
            [("a.rs".to_owned(), Problem::NotInRepository)]
        );
        assert!(refusal.to_string().contains("not inside a git repository"));
    }
}
