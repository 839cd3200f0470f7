//! One run, from paths to a [`Report`]: discover, read, analyse and fix in memory, then (when
//! asked to write) check git, ask the user if interactive, and write.
//!
//! Nothing is written before every file has been analysed and the dirty check has passed, so a
//! refusal leaves the tree untouched, and an interactive user is not asked about fixes that could
//! then not be written.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use lockfix_transforms::RuleId;

use crate::fix::analysis::catch_panic;
use crate::fix::engine::{Engine, absolute};
use crate::fix::files::{Analysed, FilePass, FileResult, note_outcome, per_file_fixes};
use crate::fix::fix_loop::FixOutcome;
use crate::input::config::{ConfigResolver, Overrides};
use crate::input::discover::{self, Excludes, SourcePath, display_path};
use crate::input::source::SourceFile;
use crate::output::diff::unified_diff;
use crate::report::{ErrorEntry, FileReport, Mode, Report};
use crate::write::apply::{apply_verdict, ask, check_clean, to_write, write_all};
use crate::write::git::Refusal;
use crate::write::interactive::Prompter;
use crate::write::verify;

/// What to do, as decided by the command line.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub paths: Vec<PathBuf>,
    pub mode: Mode,
    /// `--unsafe-fixes` on the command line (a configuration file may say so for its files).
    pub unsafe_fixes: bool,
    /// What the command line says about rules and fix safety, over every configuration file.
    pub overrides: Overrides,
    /// Each file's configuration file.
    pub configs: Arc<ConfigResolver>,
    /// What the walk leaves out.
    pub excludes: Excludes,
    /// `-`: the text read from standard input, checked as the one path of `paths`
    /// (`--stdin-filename`); nothing is written.
    pub stdin: Option<String>,
    pub allow_dirty: bool,
    /// Show a progress bar on standard error (see [`crate::report::progress`]).
    pub progress: bool,
    /// After writing, `cargo check` and roll back what broke the build ([`crate::write::verify`]).
    pub verify: bool,
    /// When and how to load the semantic tier ([`crate::fix::semantic`]).
    pub semantic: crate::fix::semantic::SemanticConfig,
}

/// Why a run stopped without a report: all exit with code 2.
#[derive(Debug)]
pub enum RunError {
    /// A configuration file that cannot be read or is invalid.
    Config(String),
    Refused(Refusal),
    /// Ctrl-C in the interactive prompt.
    Aborted,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Config(message) => f.write_str(message),
            RunError::Refused(refusal) => write!(f, "{refusal}"),
            RunError::Aborted => write!(f, "aborted; nothing was written"),
        }
    }
}

/// Runs lockfix. `prompter` is used in [`Mode::Interactive`] only.
pub fn run(
    config: &RunConfig,
    cwd: &Path,
    prompter: Option<&mut Prompter>,
) -> Result<Report, RunError> {
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |timings: &mut Vec<(&'static str, std::time::Duration)>, phase| {
        timings.push((phase, clock.elapsed()));
        clock = Instant::now();
    };
    let discovery = match &config.stdin {
        Some(_) => discover::Discovery {
            files: config
                .paths
                .iter()
                .map(|path| SourcePath {
                    display: display_path(path, cwd),
                    path: path.clone(),
                    named: true,
                })
                .collect(),
            ..Default::default()
        },
        None => discover::discover(&config.paths, cwd, &config.excludes),
    };
    // Every file's configuration before any analysis: a broken one stops the run, early.
    for file in &discovery.files {
        config
            .configs
            .for_file(&absolute(cwd, &file.path))
            .map_err(RunError::Config)?;
    }
    let mut errors = discovery.errors;
    let mut failed = discovery.failed;
    for (dir, message) in config.configs.take_warnings() {
        errors.push(ErrorEntry {
            fatal: false,
            path: display_path(Path::new(&dir), cwd),
            message,
        });
    }
    lap(&mut timings, "finding files and configuration");
    let engine = Engine::new(config.configs.clone(), config.overrides.clone());
    let pass = FilePass {
        files: &discovery.files,
        cwd,
        engine: &engine,
        stdin: config.stdin.as_deref(),
    };
    let mut results = pass.analyse_all(config.progress);
    lap(&mut timings, "analysis and fixes");
    let crate_indexes = pass.resolve_crate_indexes(&mut results);
    lap(&mut timings, "crate index");
    let semantic = pass.resolve_semantics(&mut results, &crate_indexes, &config.semantic);
    errors.extend(semantic.warnings);
    // The semantic tier's own phases, so `--statistics` says where its time went.
    timings.push(("semantic tier: loading workspaces", semantic.loading));
    timings.push(("semantic tier: resolving types", semantic.resolving));
    lap(&mut timings, "semantic tier: analysis with types");
    if let Some((_, rest)) = timings.last_mut() {
        *rest = rest.saturating_sub(semantic.loading + semantic.resolving);
    }
    let mut analysed = Vec::new();
    for result in results {
        match result {
            FileResult::NothingFound { .. } => {}
            FileResult::Analysed(file) => analysed.push(*file),
            FileResult::Failed(error) => {
                failed |= error.fatal;
                errors.push(error);
            }
        }
    }
    for warning in engine.take_manifest_warnings() {
        errors.push(ErrorEntry {
            fatal: false,
            path: display_path(&warning.manifest, cwd),
            message: warning.message,
        });
    }

    // Interactive sessions re-run the per-file loop from the original text, which a crate-wide
    // rewrite would not survive: the swap is offered in dry runs and with --apply only.
    let (crate_fix_diffs, crate_fix_caveats, crate_fixes) = if config.mode == Mode::Interactive {
        Default::default()
    } else {
        apply_crate_fixes(&mut analysed, config, cwd)
    };
    lap(&mut timings, "crate-wide fixes");
    let mut report = Report {
        mode: config.mode,
        unsafe_fixes: config.unsafe_fixes,
        files_scanned: discovery.files.len(),
        files: Vec::new(),
        errors,
        failed,
        crate_fix_diffs,
        crate_fix_caveats,
        crate_fixes,
        verify: Vec::new(),
        rolled_back: Vec::new(),
        semantic_loads: semantic.loaded,
        semantic_remembered: semantic.remembered,
        notes: semantic.notes,
        failing_suppressions: 0,
        timings: Vec::new(),
        stdin_fixed: None,
    };
    match config.mode {
        Mode::DryRun => {
            for analysed in analysed {
                note_outcome(&analysed, &mut report);
                let Analysed {
                    source,
                    file,
                    outcome,
                    unsafe_fixes,
                    ..
                } = analysed;
                if config.stdin.is_some() {
                    report.stdin_fixed = Some(FileReport {
                        path: source.display.clone(),
                        text: outcome.text.clone(),
                        findings: outcome.remaining.findings.clone(),
                        diff: String::new(),
                        fixes: per_file_fixes(&outcome),
                        applied: outcome.applied.clone(),
                        unsafe_fixes,
                        fixes_withheld: outcome.withheld_for_syntax_errors,
                    });
                }
                report.files.push(FileReport {
                    diff: unified_diff(&source.display, &file.text, &outcome.text),
                    fixes: per_file_fixes(&outcome),
                    applied: outcome.applied,
                    path: source.display,
                    findings: outcome.initial.findings,
                    text: file.text,
                    unsafe_fixes,
                    fixes_withheld: outcome.withheld_for_syntax_errors,
                });
            }
        }
        Mode::Apply | Mode::Interactive => {
            if !config.allow_dirty {
                check_clean(&analysed).map_err(RunError::Refused)?;
            }
            let analysed = match (config.mode, prompter) {
                (Mode::Interactive, Some(prompter)) => {
                    prompter.set_total(analysed.iter().map(|a| a.outcome.applied.len()).sum());
                    let analysed = ask(analysed, prompter, &mut report.errors);
                    if prompter.aborted() {
                        return Err(RunError::Aborted);
                    }
                    analysed
                }
                _ => analysed,
            };
            let baseline = config
                .verify
                .then(|| verify::baseline(&to_write(&analysed)));
            let written = write_all(analysed, &mut report);
            if let Some(baseline) = baseline {
                apply_verdict(verify::verify(baseline, &written), &written, &mut report);
            }
        }
    }
    lap(&mut timings, "writing and verifying");
    report.timings = timings;
    // Worker threads finish in any order; sorting keeps the output stable.
    report
        .errors
        .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    Ok(report)
}

/// Per finding of a crate-wide fix, by `(display path, start of the finding)`.
type CrateFixMap<T> = std::collections::BTreeMap<(String, usize), T>;

/// The crate-level phase ([`crate::fix::crate_fix`]): swaps planned on the per-file loop's texts
/// are attached to their findings, and applied to those texts when unsafe fixes are allowed.
/// Returns each swap's multi-file diff and its caveats by the `(path, start)` of the findings it
/// resolves, and how many swaps were applied.
fn apply_crate_fixes(
    analysed: &mut Vec<Analysed>,
    config: &RunConfig,
    cwd: &Path,
) -> (CrateFixMap<String>, CrateFixMap<Vec<String>>, usize) {
    use crate::fix::crate_fix::{CrateFile, Decision, SwapCandidate, plan_swaps};
    use lockfix_transforms::{Applicability, Fix};

    let mut diffs = std::collections::BTreeMap::new();
    let mut caveats = std::collections::BTreeMap::new();
    let mut applied_swaps = 0;
    let files: Vec<CrateFile> = analysed
        .iter()
        .map(|a| CrateFile {
            path: a.source.path.clone(),
            display: a.source.display.clone(),
            text: a.outcome.text.clone(),
            edition: a.options.edition,
        })
        .collect();
    let candidates: Vec<SwapCandidate> = analysed
        .iter()
        .enumerate()
        .flat_map(|(file, a)| {
            a.outcome
                .remaining
                .findings
                .iter()
                .filter(|f| f.rule == RuleId::StdLockInAsync)
                .map(move |f| SwapCandidate {
                    file,
                    range: f.range.clone(),
                })
        })
        .collect();
    let messages: Vec<(usize, String)> = candidates
        .iter()
        .map(|c| {
            let message = analysed[c.file]
                .outcome
                .remaining
                .findings
                .iter()
                .find(|f| f.rule == RuleId::StdLockInAsync && f.range == c.range)
                .map(|f| f.message.clone())
                .unwrap_or_default();
            (c.file, message)
        })
        .collect();
    // The finding a decision is about, in the file's initial findings (what a dry run shows) and
    // in the remaining ones: same rule and message.
    let annotate =
        |analysed: &mut Vec<Analysed>, candidate: usize, fix: Option<Fix>, help: String| {
            let (file, message) = &messages[candidate];
            let entry = &mut analysed[*file];
            for finding in entry
                .outcome
                .initial
                .findings
                .iter_mut()
                .chain(entry.outcome.remaining.findings.iter_mut())
                .filter(|f| f.rule == RuleId::StdLockInAsync && &f.message == message)
            {
                finding.fix = fix.clone();
                finding.help = Some(help.clone());
                finding.tier = lockfix_transforms::analysis::Tier::Semantic;
            }
        };
    for decision in plan_swaps(&files, &candidates, &config.semantic, cwd) {
        match decision {
            Decision::Refused(members, reason) => {
                for candidate in members {
                    annotate(
                        analysed,
                        candidate,
                        None,
                        format!("the swap to tokio::sync is not offered: {reason}"),
                    );
                }
            }
            Decision::Planned(swap) => {
                let diff: String = swap
                    .files
                    .iter()
                    .map(|(_, display, before, after)| unified_diff(display, before, after))
                    .collect();
                let fix = Fix {
                    title: swap.title.clone(),
                    applicability: Applicability::Unsafe,
                    edits: Vec::new(),
                };
                for &candidate in &swap.resolves {
                    let (file, _) = &messages[candidate];
                    let display = analysed[*file].source.display.clone();
                    for finding in &analysed[*file].outcome.initial.findings {
                        if finding.rule == RuleId::StdLockInAsync
                            && finding.message == messages[candidate].1
                        {
                            diffs.insert((display.clone(), finding.range.start), diff.clone());
                            caveats.insert(
                                (display.clone(), finding.range.start),
                                swap.caveats.clone(),
                            );
                        }
                    }
                    annotate(
                        analysed,
                        candidate,
                        Some(fix.clone()),
                        format!("{} ({})", swap.title, swap.note),
                    );
                }
                // The swap is applied when the files of its findings allow unsafe fixes.
                let allowed = swap
                    .resolves
                    .iter()
                    .any(|&candidate| analysed[messages[candidate].0].unsafe_fixes);
                if allowed {
                    match apply_swap(analysed, &swap, cwd) {
                        Ok(()) => applied_swaps += 1,
                        Err(reason) => {
                            for &candidate in &swap.resolves {
                                annotate(
                                    analysed,
                                    candidate,
                                    None,
                                    format!("the swap to tokio::sync was not applied: {reason}"),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    (diffs, caveats, applied_swaps)
}

/// Writes a planned swap into the run's texts: the files already analysed get the new text, the
/// others (a file that only uses the lock, Cargo.toml) join the run. All or nothing: when a file
/// the swap needs cannot be read again, or changed since the swap was planned, no file gets it.
fn apply_swap(
    analysed: &mut Vec<Analysed>,
    swap: &crate::fix::crate_fix::PlannedSwap,
    cwd: &Path,
) -> Result<(), String> {
    use crate::report::AppliedFix;
    use lockfix_transforms::Applicability;

    let applied = AppliedFix {
        rule: RuleId::StdLockInAsync,
        title: swap.title.clone(),
        applicability: Applicability::Unsafe,
    };
    // Every file first, so that a failure leaves the run untouched.
    let mut targets = Vec::new();
    let mut joining = Vec::new();
    for (path, display, before, after) in &swap.files {
        let existing = analysed.iter().position(|a| {
            fs::canonicalize(cwd.join(&a.source.path)).ok().as_deref() == Some(path.as_path())
        });
        match existing {
            Some(index) if analysed[index].outcome.text == *before => {
                targets.push((Target::Existing(index), path, after));
            }
            Some(_) => return Err(format!("{display} changed while the swap was planned")),
            None => {
                let file = SourceFile::read(path).map_err(|e| format!("{display}: {e}"))?;
                if file.text != *before {
                    return Err(format!(
                        "{display} changed on disk while the swap was planned"
                    ));
                }
                joining.push(Analysed {
                    source: SourcePath {
                        path: path.clone(),
                        display: display.clone(),
                        named: false,
                    },
                    outcome: FixOutcome {
                        text: file.text.clone(),
                        initial: Default::default(),
                        applied: Vec::new(),
                        remaining: Default::default(),
                        dropped: Vec::new(),
                        passes: 0,
                        converged: true,
                        withheld_for_syntax_errors: false,
                    },
                    unsafe_fixes: true,
                    strict_suppressions: false,
                    options: lockfix_transforms::Options::all_rules(
                        analysed
                            .first()
                            .map_or(lockfix_transforms::Edition::Edition2021, |a| {
                                a.options.edition
                            }),
                    ),
                    file,
                });
                targets.push((Target::Joining(joining.len() - 1), path, after));
            }
        }
    }
    let offset = analysed.len();
    analysed.extend(joining);
    for (target, path, after) in targets {
        let index = match target {
            Target::Existing(index) => index,
            Target::Joining(index) => offset + index,
        };
        let entry = &mut analysed[index];
        entry.outcome.text = after.clone();
        entry.outcome.applied.push(applied.clone());
        // What is left is judged on the new text without the old facts: they describe the lock
        // before the swap.
        if path.extension().is_some_and(|e| e == "rs") {
            let options = lockfix_transforms::Options {
                facts: None,
                ..entry.options.clone()
            };
            if let Ok(remaining) = catch_panic(|| lockfix_transforms::analyze(after, &options)) {
                entry.outcome.remaining = remaining;
            }
        }
    }
    Ok(())
}

/// Where a swapped file is in the run: analysed already, or joining it.
enum Target {
    Existing(usize),
    Joining(usize),
}
