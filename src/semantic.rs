//! The semantic tier's place in a run: which Cargo workspaces to load with rust-analyzer, and the
//! facts it resolves for their files ([`lockfix_semantic`] does the loading and the resolving).
//!
//! A run analyses every file with the syntax tier first. In `auto` mode a workspace is loaded
//! only when one of its files has something rust-analyzer could settle
//! ([`lockfix_transforms::FileAnalysis::wants_semantics`]): a repository without lock-related
//! findings or doubts pays nothing. A workspace that cannot be loaded (no dependencies in the
//! local cargo cache, a `cargo metadata` error, a panic inside rust-analyzer) keeps its syntax-tier
//! results, and the run says so in one line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::ValueEnum;
use lockfix_semantic::{LoadOptions, Workspace};
use lockfix_transforms::analysis::SemanticFacts;

use crate::discover::{SourcePath, display_path};
use crate::report::ErrorEntry;

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
}

/// One scanned file as the semantic tier sees it.
pub struct Candidate<'a> {
    pub source: &'a SourcePath,
    /// The syntax tier would like rust-analyzer's answer for this file.
    pub wants_semantics: bool,
}

/// What the semantic tier resolved.
#[derive(Default)]
pub struct Resolution {
    /// Facts per file index (into the candidates), for files with at least one fact.
    pub facts: BTreeMap<usize, Arc<SemanticFacts>>,
    /// One line per workspace that could not be loaded or resolved.
    pub warnings: Vec<ErrorEntry>,
    /// Workspaces loaded, with how long each load took.
    pub loaded: Vec<(String, std::time::Duration)>,
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
    let mut groups: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        if let Some(manifest) = owning_manifest(&cwd.join(&candidate.source.path)) {
            groups.entry(manifest).or_default().push(index);
        }
    }
    // Two packages of one Cargo workspace are two groups but one load: the workspace loaded for
    // the previous group is reused when it contains this group's files.
    let mut current: Option<Workspace> = None;
    for (manifest, members) in groups {
        let wanted = match config.mode {
            SemanticMode::Auto => members.iter().any(|&i| candidates[i].wants_semantics),
            SemanticMode::On => true,
            SemanticMode::Off => false,
        };
        if !wanted {
            continue;
        }
        let first = cwd.join(&candidates[members[0]].source.path);
        if !current.as_ref().is_some_and(|ws| ws.contains(&first)) {
            current = None;
            match Workspace::load(&manifest, &options) {
                Ok(ws) => {
                    resolution
                        .loaded
                        .push((display_path(&manifest, cwd), ws.stats.duration));
                    current = Some(ws);
                }
                Err(error) => {
                    resolution
                        .warnings
                        .push(unavailable(&manifest, cwd, &error));
                    continue;
                }
            }
        }
        let Some(ws) = current.as_ref() else {
            continue;
        };
        for index in members {
            let path = cwd.join(&candidates[index].source.path);
            if !may_need_facts(&path) {
                continue;
            }
            match ws.facts(&path) {
                Ok(Some(facts)) if !facts.is_empty() => {
                    resolution.facts.insert(index, Arc::new(facts));
                }
                Ok(_) => {}
                Err(error) => resolution.warnings.push(ErrorEntry {
                    fatal: false,
                    path: candidates[index].source.display.clone(),
                    message: format!(
                        "semantic tier failed on this file, syntax tier used: {error:#}"
                    ),
                }),
            }
        }
    }
    resolution
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

/// The nearest `Cargo.toml` above `file`.
pub fn owning_manifest(file: &Path) -> Option<PathBuf> {
    let file = std::fs::canonicalize(file).ok()?;
    file.ancestors()
        .skip(1)
        .map(|dir| dir.join("Cargo.toml"))
        .find(|manifest| manifest.is_file())
}
