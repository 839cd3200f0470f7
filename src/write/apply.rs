//! Writing a run's fixes, once every file has been analysed: the dirty-tree check, the
//! interactive pass that asks about each fix, the atomic writes, and `--verify`'s verdict; each
//! recorded in the report.

use std::fs;
use std::path::PathBuf;

use crate::fix::analysis::catch_panic;
use crate::fix::files::{Analysed, note_outcome, per_file_fixes};
use crate::fix::fix_loop::{self, Decision, FixOutcome};
use crate::output::diff::unified_diff;
use crate::report::{ErrorEntry, FileReport, Report};
use crate::write::atomic::{WriteOutcome, write_if_unchanged};
use crate::write::git::{self, FileToWrite, Refusal};
use crate::write::interactive::Prompter;
use crate::write::verify::{self, WrittenFile};

pub fn check_clean(analysed: &[Analysed]) -> Result<(), Refusal> {
    let files: Vec<FileToWrite> = analysed
        .iter()
        .filter(|analysed| analysed.outcome.changed())
        .map(|analysed| FileToWrite {
            path: fs::canonicalize(&analysed.source.path)
                .unwrap_or_else(|_| analysed.source.path.clone()),
            display: analysed.source.display.clone(),
        })
        .collect();
    if files.is_empty() {
        Ok(())
    } else {
        git::check_clean(&files)
    }
}

/// Re-runs the fix loop on each file with fixes, asking the user about every fix.
pub fn ask(
    analysed: Vec<Analysed>,
    prompter: &mut Prompter,
    errors: &mut Vec<ErrorEntry>,
) -> Vec<Analysed> {
    analysed
        .into_iter()
        .map(|mut analysed| {
            if !analysed.outcome.changed() {
                return analysed;
            }
            let path = analysed.source.display.clone();
            prompter.start_file();
            let text = &analysed.file.text;
            let outcome = catch_panic(|| {
                let mut accept = |text: &str, finding: &_| {
                    if prompter.quit_requested() {
                        Decision::Stop
                    } else {
                        prompter.decide(&path, text, finding)
                    }
                };
                fix_loop::fix_source(text, &analysed.options, analysed.unsafe_fixes, &mut accept)
            })
            .and_then(|outcome| outcome);
            // The same text was analysed without panicking moments ago, so a panic here is in
            // the prompt itself: keep the file as it is.
            analysed.outcome = match outcome {
                Ok(outcome) => outcome,
                Err(panic) => {
                    errors.push(ErrorEntry {
                        fatal: false,
                        path,
                        message: panic.to_string(),
                    });
                    unchanged(&analysed.file.text, &analysed.outcome)
                }
            };
            analysed
        })
        .collect()
}

/// The outcome of fixing nothing.
fn unchanged(text: &str, outcome: &FixOutcome) -> FixOutcome {
    FixOutcome {
        text: text.to_owned(),
        applied: Vec::new(),
        remaining: outcome.initial.clone(),
        dropped: Vec::new(),
        passes: 0,
        converged: true,
        ..outcome.clone()
    }
}

/// The files about to be written, for the `--verify` baseline.
pub fn to_write(analysed: &[Analysed]) -> Vec<(PathBuf, String)> {
    analysed
        .iter()
        .filter(|analysed| analysed.outcome.changed())
        .map(|analysed| {
            (
                analysed.source.path.clone(),
                analysed.source.display.clone(),
            )
        })
        .collect()
}

/// Records `--verify`'s rollbacks: a reverted file reports what it had before, unfixed.
pub fn apply_verdict(verdict: verify::Verdict, written: &[WrittenFile], report: &mut Report) {
    report.errors.extend(verdict.notes);
    report.failed |= verdict.failed;
    report.verify = verdict.outcomes;
    for (display, reason) in &verdict.reverted {
        let Some(file) = written.iter().find(|file| &file.display == display) else {
            continue;
        };
        if let Some(entry) = report.files.iter_mut().find(|entry| &entry.path == display) {
            entry.text = file.text_before.clone();
            entry.findings = file.findings_before.clone();
            entry.diff.clear();
            entry.fixes = 0;
            for fix in entry.applied.drain(..) {
                report.rolled_back.push(crate::report::RolledBack {
                    path: display.clone(),
                    fix,
                    reason: reason.clone(),
                });
            }
        }
    }
}

/// Writes every changed file and records what the report shows for each. Returns what was
/// written, for `--verify`.
pub fn write_all(analysed: Vec<Analysed>, report: &mut Report) -> Vec<WrittenFile> {
    let mut written_files = Vec::new();
    for analysed in analysed {
        note_outcome(&analysed, report);
        let Analysed {
            source,
            file,
            outcome,
            unsafe_fixes,
            ..
        } = analysed;
        if !outcome.changed() {
            report.files.push(FileReport {
                path: source.display,
                text: file.text,
                findings: outcome.remaining.findings,
                diff: String::new(),
                fixes: 0,
                applied: Vec::new(),
                unsafe_fixes,
                fixes_withheld: outcome.withheld_for_syntax_errors,
            });
            continue;
        }
        let text = verify::test_hook_break(&source.path, outcome.text.clone());
        let bytes = file.encode(&text);
        let written = write_if_unchanged(&source.path, &file.original(), &bytes);
        let problem = match written {
            Ok(WriteOutcome::Written) => {
                written_files.push(WrittenFile {
                    path: source.path.clone(),
                    display: source.display.clone(),
                    original: file.original(),
                    written: bytes,
                    text_before: file.text.clone(),
                    findings_before: outcome.initial.findings.clone(),
                });
                report.files.push(FileReport {
                    diff: unified_diff(&source.display, &file.text, &outcome.text),
                    fixes: per_file_fixes(&outcome),
                    applied: outcome.applied,
                    path: source.display,
                    text: outcome.text,
                    findings: outcome.remaining.findings,
                    unsafe_fixes,
                    fixes_withheld: false,
                });
                continue;
            }
            Ok(WriteOutcome::ChangedOnDisk) => {
                "the file changed on disk while lockfix was running; it was not written".to_owned()
            }
            Ok(WriteOutcome::Deleted) => {
                "the file was deleted while lockfix was running; it was not written".to_owned()
            }
            Err(error) => {
                report.failed = true;
                format!("could not write the file: {error}")
            }
        };
        report.errors.push(ErrorEntry {
            fatal: false,
            path: source.display.clone(),
            message: problem,
        });
        // Not written: what was found in the file is still there.
        report.files.push(FileReport {
            path: source.display,
            text: file.text,
            findings: outcome.initial.findings,
            diff: String::new(),
            fixes: 0,
            applied: Vec::new(),
            unsafe_fixes,
            fixes_withheld: false,
        });
    }
    written_files
}
