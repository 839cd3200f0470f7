//! The semantic tier's place in a run: which Cargo workspaces to load with rust-analyzer, and the
//! facts it resolves for their files ([`lockfix_semantic`] does the loading and the resolving).
//!
//! A run analyses every file with the syntax tier first. In `auto` mode a workspace is loaded
//! only when one of its files has something rust-analyzer could settle
//! ([`lockfix_transforms::FileAnalysis::wants_semantics`]): a repository without lock-related
//! findings or doubts pays nothing. A workspace that cannot be loaded keeps its syntax-tier
//! results. When cargo cannot resolve it offline (vendored crates, dependencies never fetched)
//! that is a note, not an error — nothing is wrong, and the failure is remembered on disk so the
//! next run does not ask cargo again; any other failure (a panic inside rust-analyzer) is a
//! warning in `errors`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use lockfix_semantic::{LoadOptions, Prepared, Unresolvable, Workspace};
use lockfix_transforms::analysis::SemanticFacts;
use rayon::prelude::*;

use super::facts_cache;
use crate::input::discover::{SourcePath, display_path};
use crate::report::progress::Spinner;
use crate::report::{ErrorEntry, Note};

/// `--semantic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SemanticMode {
    /// Load a workspace when the syntax tier found something there to settle.
    #[default]
    Auto,
    /// Load every workspace that owns a scanned file.
    On,
    /// Never load: the syntax tier only.
    Off,
}

#[derive(Debug, Clone, Default)]
pub struct SemanticConfig {
    pub mode: SemanticMode,
    pub build_scripts: bool,
    pub proc_macros: bool,
    /// Name the slow phases (loading a workspace, resolving types) with a spinner on standard
    /// error ([`crate::report::progress::Spinner`]).
    pub progress: bool,
}

/// One scanned file as the semantic tier sees it.
pub struct Candidate<'a> {
    pub source: &'a SourcePath,
    /// The syntax tier would like rust-analyzer's answer for this file.
    pub wants_semantics: bool,
    /// ... and for the files that call it: the facts of every file of its package are resolved.
    pub semantics_for_callers: bool,
}

/// What the semantic tier resolved.
#[derive(Default)]
pub struct Resolution {
    /// Facts per file index (into the candidates), for files with at least one fact.
    pub facts: BTreeMap<usize, Arc<SemanticFacts>>,
    /// One line per workspace or file that failed to load or resolve.
    pub warnings: Vec<ErrorEntry>,
    /// One per workspace cargo cannot resolve offline.
    pub notes: Vec<Note>,
    /// Workspaces loaded, with how long each load took.
    pub loaded: Vec<(String, Duration)>,
    /// Time spent loading workspaces, the failed attempts included (`--statistics`).
    pub loading: Duration,
    /// Time spent asking rust-analyzer about the files (`--statistics`).
    pub resolving: Duration,
    /// Workspaces whose answers were remembered from an earlier run over the same sources.
    pub remembered: Vec<String>,
    /// Time spent keying and reading the remembered answers (`--statistics`).
    pub recalling: Duration,
}

/// Loads the workspaces the mode asks for and collects facts for their files.
pub fn resolve(candidates: &[Candidate<'_>], config: &SemanticConfig, cwd: &Path) -> Resolution {
    let mut resolution = Resolution::default();
    if config.mode == SemanticMode::Off {
        return resolution;
    }
    let options = LoadOptions {
        build_scripts: config.build_scripts,
        proc_macros: config.proc_macros,
        ..LoadOptions::default()
    };
    // In auto mode most runs want nothing: no manifest is looked for then.
    if config.mode == SemanticMode::Auto && !candidates.iter().any(|c| c.wants_semantics) {
        return resolution;
    }
    let mut manifests = ManifestsByDirectory::default();
    let mut groups: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        if let Some(manifest) = manifests.owning(&cwd.join(&candidate.source.path)) {
            groups.entry(manifest).or_default().push(index);
        }
    }
    let wanted = |members: &[usize]| match config.mode {
        SemanticMode::Auto => members.iter().any(|&i| candidates[i].wants_semantics),
        SemanticMode::On => true,
        SemanticMode::Off => false,
    };
    groups.retain(|_, members| wanted(members));
    // Answers remembered from an earlier run over the same sources: no cargo, no load.
    let started = Instant::now();
    let mut keys: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut asked: BTreeMap<PathBuf, Vec<(usize, PathBuf)>> = groups
        .iter()
        .map(|(manifest, members)| {
            (
                manifest.clone(),
                asked_files(candidates, members, config, cwd),
            )
        })
        .collect();
    groups.retain(|manifest, _| {
        let Some(key) = facts_cache::key(manifest, &options) else {
            return true;
        };
        let files = asked.get(manifest).map_or(&[][..], Vec::as_slice);
        let known = facts_cache::recall(&options.cache_dir, &key)
            .filter(|known| files.iter().all(|(_, path)| known.contains_key(path)));
        let Some(known) = known else {
            keys.insert(manifest.clone(), key);
            return true;
        };
        for (index, path) in files {
            if let Some(facts) = known.get(path).filter(|facts| !facts.is_empty()) {
                resolution.facts.insert(*index, Arc::new(facts.clone()));
            }
        }
        resolution.remembered.push(display_path(manifest, cwd));
        false
    });
    resolution.recalling += started.elapsed();
    // `cargo metadata` for every workspace at once when there are several: in a tree of many
    // crates most of a first run's semantic time is cargo failing, one workspace after another,
    // on dependencies it cannot resolve offline. The loads themselves stay one at a time (each
    // holds a whole database in memory).
    let started = Instant::now();
    let mut prepared: BTreeMap<PathBuf, anyhow::Result<Prepared>> = if groups.len() > 1 {
        let _spinner = Spinner::start(
            config.progress,
            format!(
                "asking cargo about {}",
                crate::report::plural(groups.len(), "workspace")
            ),
        );
        groups
            .keys()
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|manifest| (manifest.clone(), Workspace::prepare(manifest, &options)))
            .collect()
    } else {
        BTreeMap::new()
    };
    resolution.loading += started.elapsed();
    // Two packages of one Cargo workspace are two groups but one load: the workspace loaded for
    // the previous group is reused when it contains this group's files.
    let mut current: Option<Workspace> = None;
    for (manifest, members) in groups {
        let first = cwd.join(&candidates[members[0]].source.path);
        if !current.as_ref().is_some_and(|ws| ws.contains(&first)) {
            current = None;
            let started = Instant::now();
            let spinner = Spinner::start(
                config.progress,
                format!("loading workspace {}", display_path(&manifest, cwd)),
            );
            let loaded = match prepared.remove(&manifest) {
                Some(ready) => ready.and_then(Prepared::load),
                None => Workspace::load(&manifest, &options),
            };
            drop(spinner);
            resolution.loading += started.elapsed();
            match loaded {
                Ok(ws) => {
                    resolution
                        .loaded
                        .push((display_path(&manifest, cwd), ws.stats.duration));
                    current = Some(ws);
                }
                Err(error) => {
                    match error.downcast_ref::<Unresolvable>() {
                        Some(failure) => resolution.notes.push(skipped(
                            &manifest,
                            cwd,
                            failure,
                            &options.cache_dir,
                        )),
                        None => resolution
                            .warnings
                            .push(unavailable(&manifest, cwd, &error)),
                    }
                    continue;
                }
            }
        }
        let Some(ws) = current.as_ref() else {
            continue;
        };
        let started = Instant::now();
        let _spinner = Spinner::start(
            config.progress,
            format!(
                "resolving types in {}",
                crate::report::plural(members.len(), "file")
            ),
        );
        let mut answers = facts_cache::Answers::new();
        let mut complete = true;
        for (index, canonical) in asked.remove(&manifest).unwrap_or_default() {
            let path = cwd.join(&candidates[index].source.path);
            match ws.facts(&path) {
                Ok(facts) => {
                    let facts = facts.unwrap_or_default();
                    if !facts.is_empty() {
                        resolution.facts.insert(index, Arc::new(facts.clone()));
                    }
                    answers.insert(canonical, facts);
                }
                Err(error) => {
                    complete = false;
                    resolution.warnings.push(ErrorEntry {
                        fatal: false,
                        path: candidates[index].source.display.clone(),
                        message: format!(
                            "semantic tier failed on this file, syntax tier used: {error:#}"
                        ),
                    });
                }
            }
        }
        if complete && let Some(key) = keys.get(&manifest) {
            facts_cache::remember(&options.cache_dir, key, &answers);
        }
        resolution.resolving += started.elapsed();
    }
    resolution
}

/// The files of a workspace group rust-analyzer is asked about, with their canonical paths (the
/// remembered answers' keys). In auto mode only the doubting files (type inference per file is
/// what a loaded workspace costs after the load), unless one of them returns a guard its callers
/// hold: their facts record it.
fn asked_files(
    candidates: &[Candidate<'_>],
    members: &[usize],
    config: &SemanticConfig,
    cwd: &Path,
) -> Vec<(usize, PathBuf)> {
    let whole_package = config.mode == SemanticMode::On
        || members.iter().any(|&i| candidates[i].semantics_for_callers);
    members
        .iter()
        .copied()
        .filter(|&i| whole_package || candidates[i].wants_semantics)
        .filter_map(|i| {
            let path = cwd.join(&candidates[i].source.path);
            may_need_facts(&path).then(|| (i, std::fs::canonicalize(&path).unwrap_or(path)))
        })
        .collect()
}

/// Facts only matter where a lock is taken or a guard can be held across an await: other files
/// are not worth rust-analyzer's type inference.
fn may_need_facts(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.contains(".await") || lockfix_transforms::prefilter::may_contain_locks(&text)
    })
}

fn unavailable(manifest: &Path, cwd: &Path, error: &anyhow::Error) -> ErrorEntry {
    // The first line of cargo's message says what went wrong; the rest is its backtrace of causes.
    let reason = format!("{error:#}");
    let reason = reason.lines().next().unwrap_or_default().to_owned();
    ErrorEntry {
        fatal: false,
        path: display_path(manifest, cwd),
        message: format!("semantic tier unavailable, syntax tier used: {reason}"),
    }
}

fn skipped(manifest: &Path, cwd: &Path, failure: &Unresolvable, cache_dir: &Path) -> Note {
    let when = if failure.remembered {
        "remembered from an earlier run"
    } else {
        "remembered for the next runs"
    };
    Note {
        path: display_path(manifest, cwd),
        message: format!(
            "semantic tier skipped, syntax tier used: cargo cannot resolve the workspace offline \
             ({when}; delete {} to try again): {}",
            lockfix_semantic::unresolvable::directory(cache_dir).display(),
            failure.reason
        ),
        remembered: failure.remembered,
    }
}

/// [`owning_manifest`] remembered per directory: a run of thousands of files asks the file
/// system once per directory, not once per file and ancestor.
#[derive(Default)]
struct ManifestsByDirectory {
    known: std::collections::HashMap<PathBuf, Option<PathBuf>>,
}

impl ManifestsByDirectory {
    fn owning(&mut self, file: &Path) -> Option<PathBuf> {
        let Some(directory) = file.parent() else {
            return owning_manifest(file);
        };
        if let Some(known) = self.known.get(directory) {
            return known.clone();
        }
        let found = owning_manifest(file);
        self.known.insert(directory.to_path_buf(), found.clone());
        found
    }
}

/// The nearest `Cargo.toml` above `file`.
pub fn owning_manifest(file: &Path) -> Option<PathBuf> {
    let file = std::fs::canonicalize(file).ok()?;
    file.ancestors()
        .skip(1)
        .map(|dir| dir.join("Cargo.toml"))
        .find(|manifest| manifest.is_file())
}
