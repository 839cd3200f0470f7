//! `--add-ignore`: adopt lockfix in a codebase with findings by writing a
//! `// lockfix: ignore[rule] TODO(lockfix): …` comment above every line where a finding starts, so
//! the next run is clean and only new code is held to the rules.
//!
//! It writes like `--apply` does: after the analysis of every file, refusing files with
//! uncommitted changes unless `--allow-dirty`, atomically, and never over a file that changed on
//! disk meanwhile.

use std::fs;
use std::path::Path;

use lockfix_transforms::Edition;
use lockfix_transforms::suppress::ignore_comment_edits;

use crate::fix::edit::apply_edits;
use crate::input::source::SourceFile;
use crate::report::{ErrorEntry, Report};
use crate::write::atomic::{WriteOutcome, write_if_unchanged};
use crate::write::git::{self, FileToWrite};

/// What `--add-ignore` did.
#[derive(Debug, Default)]
pub struct Added {
    pub comments: usize,
    pub files: usize,
    pub errors: Vec<ErrorEntry>,
}

/// Inserts the comments for every finding of a dry-run `report`.
pub fn add_ignore_comments(
    report: &Report,
    cwd: &Path,
    allow_dirty: bool,
) -> Result<Added, String> {
    let mut planned = Vec::new();
    let mut added = Added::default();
    for file in report.files.iter().filter(|file| !file.findings.is_empty()) {
        // The edition only changes how a few keywords lex; comments and strings, which decide
        // where a comment may go, lex the same in every edition.
        let (edits, skipped) = ignore_comment_edits(&file.text, Edition::CURRENT, &file.findings);
        for line in skipped {
            added.errors.push(ErrorEntry {
                fatal: false,
                path: file.path.clone(),
                message: format!(
                    "line {}: starts inside a multi-line string or comment; no ignore comment \
                     can go above it",
                    line + 1
                ),
            });
        }
        if edits.is_empty() {
            continue;
        }
        let text = apply_edits(&file.text, &edits).map_err(|error| error.to_string())?;
        planned.push((file.path.clone(), cwd.join(&file.path), text, edits.len()));
    }
    if !allow_dirty && !planned.is_empty() {
        let files: Vec<FileToWrite> = planned
            .iter()
            .map(|(display, path, _, _)| FileToWrite {
                path: fs::canonicalize(path).unwrap_or_else(|_| path.clone()),
                display: display.clone(),
            })
            .collect();
        git::check_clean(&files).map_err(|refusal| refusal.to_string())?;
    }
    for (display, path, text, comments) in planned {
        let problem = match SourceFile::read(&path) {
            Ok(source) if source.text != *analysed(report, &display) => {
                "the file changed on disk while lockfix was running; it was not written".to_owned()
            }
            Ok(source) => {
                match write_if_unchanged(&path, &source.original(), &source.encode(&text)) {
                    Ok(WriteOutcome::Written) => {
                        added.comments += comments;
                        added.files += 1;
                        continue;
                    }
                    Ok(WriteOutcome::ChangedOnDisk) => {
                        "the file changed on disk while lockfix was running; it was not written"
                            .to_owned()
                    }
                    Ok(WriteOutcome::Deleted) => {
                        "the file was deleted while lockfix was running; it was not recreated"
                            .to_owned()
                    }
                    Err(error) => format!("could not write the file: {error}"),
                }
            }
            Err(error) => error.to_string(),
        };
        added.errors.push(ErrorEntry {
            fatal: false,
            path: display,
            message: problem,
        });
    }
    Ok(added)
}

fn analysed<'a>(report: &'a Report, display: &str) -> &'a str {
    report
        .files
        .iter()
        .find(|file| file.path == display)
        .map_or("", |file| file.text.as_str())
}
