//! The per-file passes of a run: every file read and checked through the [`Engine`] on rayon's
//! pool (in memory, every fix the policy allows), then the two second looks that analyse some
//! files again with more knowledge: their package's crate index, and the facts the semantic tier
//! resolved. Results stay in the order of the files, so the output is the same as a serial run's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lockfix_transforms::analysis::crate_index::{CrateIndex, FileSummary};
use lockfix_transforms::{Options, RuleId};
use rayon::prelude::*;

use crate::fix::engine::{Engine, FileCheck, FixPolicy, absolute};
use crate::fix::fix_loop::{FixOutcome, MAX_PASSES};
use crate::fix::semantic::SemanticConfig;
use crate::input::discover::SourcePath;
use crate::input::source::SourceFile;
use crate::report::{ErrorEntry, Report};

/// A file that had something to say after the first, non-interactive fix loop.
pub struct Analysed {
    pub source: SourcePath,
    pub file: SourceFile,
    pub options: Options,
    pub outcome: FixOutcome,
    /// The file's configuration allows unsafe fixes.
    pub unsafe_fixes: bool,
    /// Unused or malformed suppressions in the file fail the run.
    pub strict_suppressions: bool,
}

/// What the first, non-interactive fix loop made of one file.
pub enum FileResult {
    /// No findings, nothing to fix; the syntax tier may still want rust-analyzer's view.
    NothingFound {
        wants_semantics: bool,
        /// See [`lockfix_transforms::FileAnalysis::semantics_for_callers`].
        semantics_for_callers: bool,
        /// What the file tells the other files of its crate (it may define their helpers).
        summary: FileSummary,
    },
    Analysed(Box<Analysed>),
    /// Fatal when the file was named on the command line and could not be read: the run did not
    /// check what it was asked to.
    Failed(ErrorEntry),
}

impl FileResult {
    fn wants_semantics(&self) -> bool {
        match self {
            FileResult::NothingFound {
                wants_semantics, ..
            } => *wants_semantics,
            FileResult::Analysed(analysed) => analysed.outcome.initial.wants_semantics,
            FileResult::Failed(_) => false,
        }
    }

    fn semantics_for_callers(&self) -> bool {
        match self {
            FileResult::NothingFound {
                semantics_for_callers,
                ..
            } => *semantics_for_callers,
            FileResult::Analysed(analysed) => analysed.outcome.initial.semantics_for_callers,
            FileResult::Failed(_) => false,
        }
    }

    /// What the file's analysis tells the other files of its crate.
    fn summary(&self) -> Option<&FileSummary> {
        match self {
            FileResult::NothingFound { summary, .. } => Some(summary),
            FileResult::Analysed(analysed) => Some(&analysed.outcome.initial.summary),
            FileResult::Failed(_) => None,
        }
    }
}

/// Each file's crate index (by position in `files`), for the files that call a method another
/// file of their package locks in or returns a guard from ([`crate::fix::crate_index`]).
pub type CrateIndexes = HashMap<usize, Arc<CrateIndex>>;

/// One run's files and what reading and checking them needs.
pub struct FilePass<'a> {
    pub files: &'a [SourcePath],
    pub cwd: &'a Path,
    pub engine: &'a Engine,
    /// `-`: the text read from standard input, checked as the one file of `files`.
    pub stdin: Option<&'a str>,
}

impl FilePass<'_> {
    /// Analyses every file on rayon's pool; results come back in the order of `files`, so the
    /// output is the same as a serial run's.
    pub fn analyse_all(&self, progress: bool) -> Vec<FileResult> {
        let bar = crate::report::progress::bar(progress, self.files.len());
        let analyse = || {
            self.files
                .par_iter()
                .map(|source| {
                    let result = self.analyse_file(source, None, None);
                    bar.inc(1);
                    result
                })
                .collect()
        };
        // The parser recurses on nesting: a big stack keeps deeply nested real-world files
        // (generated code) from overflowing, which would abort the process rather than panic.
        match rayon::ThreadPoolBuilder::new()
            .stack_size(WORKER_STACK_SIZE)
            .build()
        {
            Ok(pool) => {
                let results = pool.install(analyse);
                bar.finish_and_clear();
                results
            }
            Err(_) => self
                .files
                .iter()
                .map(|source| self.analyse_file(source, None, None))
                .collect(),
        }
    }

    /// Reads one file and runs the fix loop on it through the [`Engine`], accepting every fix the
    /// policy allows; with the semantic tier's `facts` when it resolved the file.
    fn analyse_file(
        &self,
        source: &SourcePath,
        facts: Option<std::sync::Arc<lockfix_transforms::analysis::SemanticFacts>>,
        crate_index: Option<Arc<CrateIndex>>,
    ) -> FileResult {
        let failed = |message: String| {
            FileResult::Failed(ErrorEntry {
                fatal: false,
                path: source.display.clone(),
                message,
            })
        };
        let read = match self.stdin {
            Some(text) => SourceFile::from_bytes(text.to_owned().into_bytes()),
            None => SourceFile::read(&source.path),
        };
        let file = match read {
            Ok(file) => file,
            Err(error) => {
                return FileResult::Failed(ErrorEntry {
                    fatal: source.named,
                    path: source.display.clone(),
                    message: error.to_string(),
                });
            }
        };
        // Files the prefilter rejects cannot hold a guard: nothing to resolve, lex or parse (most
        // of a big tree ends here). With facts, a guard helper may be the only acquisition: no
        // shortcut.
        if facts.is_none()
            && crate_index.is_none()
            && !lockfix_transforms::prefilter::may_contain_locks(&file.text)
        {
            return FileResult::NothingFound {
                wants_semantics: false,
                semantics_for_callers: false,
                summary: FileSummary::default(),
            };
        }
        // Every configuration was resolved (and checked) before the analysis began: the engine's
        // lookups are cache hits. Files beyond the parser's safe nesting are reported through
        // `not_analysed` below (`lockfix_transforms::bounded_parse` checks every parse).
        let path = absolute(self.cwd, &source.path);
        let check = self.engine.check_in_crate(
            Some(&path),
            &file.text,
            facts,
            crate_index,
            FixPolicy::AsConfigured,
        );
        match check {
            Ok(FileCheck {
                outcome:
                    FixOutcome {
                        initial:
                            lockfix_transforms::FileAnalysis {
                                not_analysed: Some(message),
                                ..
                            },
                        ..
                    },
                ..
            }) => failed(message),
            Ok(check)
                if check.outcome.initial.findings.is_empty()
                    && check.outcome.initial.unused_suppressions.is_empty()
                    && check.outcome.initial.syntax_errors.is_empty()
                    && !check.outcome.changed() =>
            {
                FileResult::NothingFound {
                    wants_semantics: check.outcome.initial.wants_semantics,
                    semantics_for_callers: check.outcome.initial.semantics_for_callers,
                    summary: check.outcome.initial.summary,
                }
            }
            Ok(check) => FileResult::Analysed(Box::new(Analysed {
                source: source.clone(),
                file,
                options: check.options,
                outcome: check.outcome,
                unsafe_fixes: check.unsafe_fixes,
                strict_suppressions: check.strict_suppressions,
            })),
            Err(panic) => failed(panic.to_string()),
        }
    }

    /// The crate index's second look: the summaries every file's analysis left are merged per
    /// package, and the files that call one of a package's lock-taking methods are analysed again
    /// with its index; those results replace the first ones.
    pub fn resolve_crate_indexes(&self, results: &mut [FileResult]) -> CrateIndexes {
        if self.stdin.is_some() {
            return CrateIndexes::new();
        }
        let paths: Vec<PathBuf> = self
            .files
            .iter()
            .map(|f| absolute(self.cwd, &f.path))
            .collect();
        let empty = FileSummary::default();
        let summaries: Vec<&FileSummary> = results
            .iter()
            .map(|r| r.summary().unwrap_or(&empty))
            .collect();
        let displays: Vec<&str> = self.files.iter().map(|f| f.display.as_str()).collect();
        let to_apply =
            crate::fix::crate_index::indexes_to_apply(&paths, &summaries, &displays, |i| {
                std::fs::read_to_string(&paths[i]).ok()
            });
        let redo: Vec<(usize, FileResult)> = to_apply
            .par_iter()
            .map(|(index, crate_index)| {
                let result =
                    self.analyse_file(&self.files[*index], None, Some(crate_index.clone()));
                (*index, result)
            })
            .collect();
        for (index, result) in redo {
            // A file the first look skipped (no lock-named call: the prefilter did not parse it)
            // keeps that answer unless the index shows a guard in it: its syntax errors, now
            // parsed, are not news (a template named `.rs`).
            let skipped_before = matches!(results[index], FileResult::NothingFound { .. });
            if skipped_before
                && matches!(
                    result,
                    FileResult::NothingFound { .. } | FileResult::Failed(_)
                )
            {
                continue;
            }
            if skipped_before
                && let FileResult::Analysed(analysed) = &result
                && analysed.outcome.initial.findings.is_empty()
            {
                continue;
            }
            results[index] = result;
        }
        to_apply.into_iter().collect()
    }

    /// The semantic tier's second look: files of the workspaces it loaded are analysed again with
    /// the facts rust-analyzer resolved for them, and those results replace the syntax tier's.
    pub fn resolve_semantics(
        &self,
        results: &mut [FileResult],
        crate_indexes: &CrateIndexes,
        semantic: &SemanticConfig,
    ) -> SemanticOutcome {
        let candidates: Vec<crate::fix::semantic::Candidate<'_>> = self
            .files
            .iter()
            .zip(results.iter())
            .map(|(source, result)| crate::fix::semantic::Candidate {
                source,
                wants_semantics: result.wants_semantics(),
                semantics_for_callers: result.semantics_for_callers(),
            })
            .collect();
        let resolution = crate::fix::semantic::resolve(&candidates, semantic, self.cwd);
        let redo: Vec<(usize, FileResult)> = resolution
            .facts
            .into_par_iter()
            .map(|(index, facts)| {
                (
                    index,
                    self.analyse_file(
                        &self.files[index],
                        Some(facts),
                        crate_indexes.get(&index).cloned(),
                    ),
                )
            })
            .collect();
        for (index, result) in redo {
            results[index] = result;
        }
        SemanticOutcome {
            warnings: resolution.warnings,
            notes: resolution.notes,
            loaded: resolution.loaded,
            remembered: resolution.remembered,
            loading: resolution.loading + resolution.recalling,
            resolving: resolution.resolving,
        }
    }
}

/// The fixes a file's report counts: a crate-wide swap touches several files but is one fix,
/// counted once in [`crate::report::Report::crate_fixes`].
pub fn per_file_fixes(outcome: &FixOutcome) -> usize {
    outcome
        .applied
        .iter()
        .filter(|fix| fix.rule != RuleId::StdLockInAsync)
        .count()
}

/// The notes of one file's fix loop into the report's errors, and its suppression problems into
/// the count that fails a strict run.
pub fn note_outcome(analysed: &Analysed, report: &mut Report) {
    report.errors.extend(outcome_notes(
        &analysed.source.display,
        &analysed.file.text,
        &analysed.outcome,
    ));
    if analysed.strict_suppressions {
        report.failing_suppressions += analysed.outcome.initial.unused_suppressions.len();
    }
}

/// Things about the fix loop the user should hear about: they are lockfix bugs or limits.
pub fn outcome_notes(path: &str, input: &str, outcome: &FixOutcome) -> Vec<ErrorEntry> {
    let mut notes: Vec<ErrorEntry> = outcome
        .dropped
        .iter()
        .map(|dropped| ErrorEntry {
            fatal: false,
            path: path.to_owned(),
            message: dropped.reason.clone(),
        })
        .collect();
    // Reported against the text the user has: the input.
    let index = crate::input::line_index::LineIndex::new(input);
    for unused in &outcome.initial.unused_suppressions {
        let line = index.line_of(unused.range.start) + 1;
        notes.push(ErrorEntry {
            fatal: false,
            path: path.to_owned(),
            message: format!("line {line}: {}", unused.message),
        });
    }
    if !outcome.converged {
        notes.push(ErrorEntry {
            fatal: false,
            path: path.to_owned(),
            message: format!(
                "fixes did not converge after {MAX_PASSES} passes; the fixes of those passes are \
                 kept and the rest reported; this is a lockfix bug"
            ),
        });
    }
    if let Some((range, first)) = outcome.initial.syntax_errors.first() {
        let line = index.line_of(range.start) + 1;
        let consequence = if outcome.withheld_for_syntax_errors {
            "; findings are reported but not fixed"
        } else {
            ""
        };
        notes.push(ErrorEntry {
            fatal: false,
            path: path.to_owned(),
            message: format!(
                "the file has {} (first, line {line}: {first}){consequence}",
                crate::report::plural(outcome.initial.syntax_errors.len(), "syntax error")
            ),
        });
    }
    notes
}

// Reserved address space, not memory: pages are only committed when the recursion reaches them.
const WORKER_STACK_SIZE: usize = 64 * 1024 * 1024;

/// What [`FilePass::resolve_semantics`] hands back to the run: everything of the semantic tier's
/// [`crate::fix::semantic::Resolution`] but the facts, already used.
pub struct SemanticOutcome {
    pub warnings: Vec<ErrorEntry>,
    pub notes: Vec<crate::report::Note>,
    pub loaded: Vec<(String, std::time::Duration)>,
    /// Workspaces whose answers were remembered from an earlier run (no load).
    pub remembered: Vec<String>,
    pub loading: std::time::Duration,
    pub resolving: std::time::Duration,
}
