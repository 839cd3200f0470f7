//! What a run found and did, independent of how it is printed ([`crate::output::human`],
//! [`crate::output::json`]), and the exit code it implies; and, while the run goes on, its
//! [`progress`]. Every stage adds to the record, so it depends on no stage.

pub mod progress;

use lockfix_transforms::{Applicability, Finding, RuleId, Severity};

/// What the run was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report and show the diff of the fixes; write nothing.
    DryRun,
    /// Write the fixes the policy allows.
    Apply,
    /// Ask about each fix; write what was accepted.
    Interactive,
}

impl Mode {
    pub fn writes(self) -> bool {
        !matches!(self, Mode::DryRun)
    }
}

/// The process exit code, as documented in the README's command-line contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Nothing found, or everything fixed.
    Clean = 0,
    /// Findings remain (info findings do not count).
    FindingsRemain = 1,
    /// A usage error, a refused or failed write, or an internal error of the run as a whole.
    Error = 2,
}

/// A problem with one path that did not stop the run: an unreadable or non-UTF-8 file, a panic
/// in the analysis, a dropped fix, a symlink loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEntry {
    /// Shown as given: relative to the current directory when possible.
    pub path: String,
    pub message: String,
    /// This problem fails the run (exit 2): a path named on the command line that could not be
    /// checked, or nothing found to check. Shown as an error rather than a warning.
    pub fatal: bool,
}

/// Something the user should know that is not a problem of their code or of the run: a workspace
/// the semantic tier skipped because cargo cannot resolve it offline (its files keep the syntax
/// tier's answers). Printed as one summary line for people, listed in JSON's `notes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The workspace's manifest, shown as given.
    pub path: String,
    pub message: String,
    /// Known from an earlier run: cargo was not asked again.
    pub remembered: bool,
}

/// One file with something to report.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: String,
    /// The text the findings' offsets refer to: the original text in a dry run, the written
    /// text after fixing.
    pub text: String,
    pub findings: Vec<Finding>,
    /// The diff of the file's change: would-be in a dry run, written otherwise. Empty if none.
    pub diff: String,
    /// Fixes applied (or, in a dry run, that would be), a crate-wide swap left out (it is counted
    /// once, in [`Report::crate_fixes`]).
    pub fixes: usize,
    /// Every fix applied (would be, in a dry run), in order, the swap included.
    pub applied: Vec<AppliedFix>,
    /// The file's settings allow unsafe fixes.
    pub unsafe_fixes: bool,
    /// The file has syntax errors, so none of its fixes is applied.
    pub fixes_withheld: bool,
}

/// Everything a run reports.
#[derive(Debug, Clone)]
pub struct Report {
    pub mode: Mode,
    pub unsafe_fixes: bool,
    pub files_scanned: usize,
    /// Sorted by path; only files with findings or changes.
    pub files: Vec<FileReport>,
    pub errors: Vec<ErrorEntry>,
    /// Workspaces the semantic tier skipped (see [`Note`]).
    pub notes: Vec<Note>,
    /// Set when something that makes the exit code 2 happened after reporting began: a write
    /// failed, or the user aborted an interactive session.
    pub failed: bool,
    /// The multi-file diffs of crate-wide fixes ([`crate::fix::crate_fix`]), by the `(path, start)`
    /// of the finding each resolves.
    pub crate_fix_diffs: std::collections::BTreeMap<(String, usize), String>,
    /// What a crate-wide fix's user must know (blocking sites left, a manifest change), keyed as
    /// `crate_fix_diffs`.
    pub crate_fix_caveats: std::collections::BTreeMap<(String, usize), Vec<String>>,
    /// `--verify`: one outcome per workspace checked.
    pub verify: Vec<WorkspaceOutcome>,
    /// `--verify`: fixes written and then rolled back because their file no longer compiled.
    pub rolled_back: Vec<RolledBack>,
    /// Crate-wide swaps applied (would be, in a dry run).
    pub crate_fixes: usize,
    /// Workspaces the semantic tier loaded, with the time each load took (`--statistics`).
    pub semantic_loads: Vec<(String, std::time::Duration)>,
    /// Workspaces whose semantic answers were remembered from an earlier run over the same
    /// sources, so not loaded (`--statistics`).
    pub semantic_remembered: Vec<String>,
    /// Unused or malformed suppressions in files whose settings make them fail the run
    /// (`--strict-suppressions`).
    pub failing_suppressions: usize,
    /// How long each phase of the run took, in order (`--statistics`).
    pub timings: Vec<(&'static str, std::time::Duration)>,
    /// With `-` (standard input): the text after the fixes the policy allows, and what remains
    /// in it.
    pub stdin_fixed: Option<FileReport>,
}

/// A fix `--verify` rolled back.
#[derive(Debug, Clone)]
pub struct RolledBack {
    pub path: String,
    pub fix: AppliedFix,
    /// `"reverted: does not compile: error[E0597]: …"`.
    pub reason: String,
}

/// A fix that made it into the final text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFix {
    pub rule: RuleId,
    pub title: String,
    pub applicability: Applicability,
}

/// How one workspace's verification ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceOutcome {
    /// The workspace's manifest.
    pub workspace: String,
    /// The check that was run (`cargo check -p a --all-targets --keep-going`).
    pub command: String,
    /// Every written file was kept and cargo ran.
    pub passed: bool,
    /// Written files kept and reverted.
    pub kept: usize,
    pub reverted: usize,
    /// Errors the build had before lockfix wrote anything.
    pub errors_before: usize,
}

impl WorkspaceOutcome {
    /// The one line shown for the workspace.
    pub fn line(&self) -> String {
        let files = |n: usize| plural(n, "written file");
        let verdict = if self.reverted > 0 {
            format!("{} reverted, {} kept", files(self.reverted), self.kept)
        } else if self.passed {
            format!("passed, {} kept", files(self.kept))
        } else {
            format!("cargo failed, {} kept", files(self.kept))
        };
        let red_before = if self.errors_before > 0 {
            format!(
                " (the build had {} before lockfix)",
                plural(self.errors_before, "error")
            )
        } else {
            String::new()
        };
        format!(
            "--verify: {}: `{}` {verdict}{red_before}",
            self.workspace, self.command
        )
    }
}

/// The counts in the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub findings: usize,
    /// Findings with a fix the current policy applies.
    pub fixable: usize,
    /// Findings with an unsafe fix the current policy leaves out.
    pub unsafe_fixable: usize,
    /// Of the fixable findings, those whose fix is unsafe (with `--unsafe-fixes`).
    pub fixable_unsafe: usize,
    /// Fixes applied (would be applied, in a dry run), and the files they touch.
    pub fixes: usize,
    pub changed_files: usize,
}

impl Report {
    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files
            .iter()
            .flat_map(|file| file.findings.iter().map(move |finding| (file, finding)))
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for (file, finding) in self.findings() {
            summary.findings += 1;
            match file.fixability(finding) {
                Fixability::Fixable => {
                    summary.fixable += 1;
                    summary.fixable_unsafe += usize::from(
                        finding
                            .fix
                            .as_ref()
                            .is_some_and(|f| f.applicability == Applicability::Unsafe),
                    );
                }
                Fixability::WithUnsafeFixes => summary.unsafe_fixable += 1,
                Fixability::No => {}
            }
        }
        summary.fixes = self.crate_fixes;
        for file in &self.files {
            summary.fixes += file.fixes;
            summary.changed_files += usize::from(!file.diff.is_empty());
        }
        summary
    }

    /// Per-file errors do not change the exit code: they are reported, and a non-UTF-8 test
    /// fixture must not fail every CI run. Run-level failures do.
    pub fn exit_code(&self) -> ExitCode {
        if self.failed {
            ExitCode::Error
        } else if self.failing_suppressions > 0
            || self
                .findings()
                .any(|(_, finding)| finding.severity > Severity::Info)
        {
            ExitCode::FindingsRemain
        } else {
            ExitCode::Clean
        }
    }
}

/// Whether the current settings fix a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixability {
    Fixable,
    /// Its fix is unsafe and unsafe fixes are off.
    WithUnsafeFixes,
    /// No fix, or its file has syntax errors (fixes are withheld).
    No,
}

impl FileReport {
    pub fn fixability(&self, finding: &Finding) -> Fixability {
        match finding.fix.as_ref().map(|fix| fix.applicability) {
            _ if self.fixes_withheld => Fixability::No,
            Some(Applicability::Safe) => Fixability::Fixable,
            Some(Applicability::Unsafe) if self.unsafe_fixes => Fixability::Fixable,
            Some(Applicability::Unsafe) => Fixability::WithUnsafeFixes,
            None => Fixability::No,
        }
    }
}

/// "1 finding", "2 findings", "3 fixes".
pub fn plural(count: usize, noun: &str) -> String {
    match count {
        1 => format!("{count} {noun}"),
        _ if noun.ends_with(['s', 'x']) => format!("{count} {noun}es"),
        _ => format!("{count} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "fix"), "1 fix");
        assert_eq!(plural(3, "fix"), "3 fixes");
        assert_eq!(plural(0, "finding"), "0 findings");
    }
}
