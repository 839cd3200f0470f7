//! The crate-level phase: fixes that span files. Today one transform needs it, the std→tokio lock
//! swap of `std-lock-in-async`: its edits touch the lock's declaration, its constructor, every use
//! across the crate and `Cargo.toml`, found through rust-analyzer's references.
//!
//! It runs after the per-file fix loop, on the texts that loop produced (rust-analyzer is told
//! about them), so a swap composes with the scoping fixes of the same run. A swap is planned all
//! or nothing: when one use cannot be rewritten, no file is touched and the finding says why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lockfix_semantic::swap::SwapTarget;
use lockfix_semantic::{LoadOptions, Workspace};
use lockfix_transforms::fixes::lock_swap::{
    self, AsyncCaller, AsyncChain, Site, SwapFile, SwapRequest,
};
use lockfix_transforms::{Edition, RuleId, TextEdit};

use crate::fix::cargo_manifest::ensure_tokio_sync;
use crate::fix::semantic::{SemanticConfig, SemanticMode, owning_manifest};

/// A file as the crate phase sees it: its text now, after the per-file fixes.
pub struct CrateFile {
    pub path: PathBuf,
    pub display: String,
    pub text: String,
    pub edition: Edition,
}

/// A `std-lock-in-async` finding left after the per-file fixes, in `files[file]`.
pub struct SwapCandidate {
    pub file: usize,
    pub range: std::ops::Range<usize>,
}

/// One planned swap: new texts for the files it touches (the Cargo.toml included).
#[derive(Debug, Clone)]
pub struct PlannedSwap {
    pub title: String,
    /// Blocking call sites and the Cargo.toml change, for the fix note.
    pub note: String,
    /// The same, one sentence each, for the JSON and SARIF fix objects.
    pub caveats: Vec<String>,
    /// `(path, display, text before, text after)`, the manifest last.
    pub files: Vec<(PathBuf, String, String, String)>,
    /// The candidates it resolves: `(file index, range)`.
    pub resolves: Vec<usize>,
}

/// What the crate phase decided for each candidate.
pub enum Decision {
    Planned(PlannedSwap),
    /// Not offered, and why (one sentence), for candidate indices.
    Refused(Vec<usize>, String),
}

/// Plans the swaps for `candidates`. Workspaces load offline like the semantic tier's; a load
/// failure refuses its candidates with the reason.
pub fn plan_swaps(
    files: &[CrateFile],
    candidates: &[SwapCandidate],
    config: &SemanticConfig,
    cwd: &Path,
) -> Vec<Decision> {
    if candidates.is_empty() || config.mode == SemanticMode::Off {
        return Vec::new();
    }
    let options = LoadOptions {
        build_scripts: config.build_scripts,
        proc_macros: config.proc_macros,
        ..LoadOptions::default()
    };
    let mut by_manifest: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        if let Some(manifest) = owning_manifest(&cwd.join(&files[candidate.file].path)) {
            by_manifest.entry(manifest).or_default().push(index);
        }
    }
    let mut decisions = Vec::new();
    for (manifest, members) in by_manifest {
        // First without the dependencies (a fraction of a full load's time); a swap that
        // rust-analyzer cannot settle that way asks the full workspace.
        let lean = LoadOptions {
            dependencies: false,
            ..options.clone()
        };
        if let Ok(settled) =
            load_and_plan(&manifest, &lean, files, candidates, &members, config, cwd)
            && let Some(settled) = settled
        {
            decisions.extend(settled);
            continue;
        }
        match load_and_plan(
            &manifest, &options, files, candidates, &members, config, cwd,
        ) {
            Ok(Some(settled)) => decisions.extend(settled),
            // A workspace loaded with its dependencies settles every question.
            Ok(None) => {}
            Err(reason) => decisions.push(Decision::Refused(
                members,
                format!("the semantic tier could not load the crate: {reason}"),
            )),
        }
    }
    decisions
}

/// Loads the workspace of `manifest` and plans the swaps of its candidates `members`: `Ok(None)`
/// when rust-analyzer could not tell without the dependencies, `Err` with the first line of why
/// the workspace did not load.
fn load_and_plan(
    manifest: &Path,
    options: &LoadOptions,
    files: &[CrateFile],
    candidates: &[SwapCandidate],
    members: &[usize],
    config: &SemanticConfig,
    cwd: &Path,
) -> Result<Option<Vec<Decision>>, String> {
    let spinner = crate::report::progress::Spinner::start(
        config.progress,
        format!(
            "loading workspace {} for the swap to tokio::sync",
            crate::input::discover::display_path(manifest, cwd)
        ),
    );
    let loaded = Workspace::load(manifest, options);
    drop(spinner);
    let mut workspace = loaded.map_err(|error| {
        let reason = format!("{error:#}");
        reason.lines().next().unwrap_or_default().to_owned()
    })?;
    // rust-analyzer must see the texts the per-file fixes produced.
    for file in files {
        workspace.set_file_text(&cwd.join(&file.path), &file.text);
    }
    Ok(plan_in_workspace(
        &workspace, files, candidates, members, cwd,
    ))
}

/// `None` when the workspace was loaded without its dependencies and one of the locks could not
/// be settled that way.
fn plan_in_workspace(
    workspace: &Workspace,
    files: &[CrateFile],
    candidates: &[SwapCandidate],
    members: &[usize],
    cwd: &Path,
) -> Option<Vec<Decision>> {
    let mut decisions = Vec::new();
    // Several findings may be about one lock: one swap each lock.
    let mut planned: Vec<(SwapTarget, Vec<usize>)> = Vec::new();
    for &index in members {
        let candidate = &candidates[index];
        let file = &files[candidate.file];
        let range = ra_ap_syntax::TextRange::new(
            (candidate.range.start as u32).into(),
            (candidate.range.end as u32).into(),
        );
        match workspace.swap_target(&cwd.join(&file.path), range) {
            Ok(target) => match planned
                .iter_mut()
                .find(|(t, _)| t.declaration == target.declaration)
            {
                Some((_, resolves)) => resolves.push(index),
                None => planned.push((target, vec![index])),
            },
            Err(_) if !workspace.with_dependencies => return None,
            Err(reason) => decisions.push(Decision::Refused(vec![index], reason)),
        }
    }
    // Two swaps touching one file were planned on the same text: only the first is offered, the
    // next run offers the other on the rewritten text.
    let mut touched: Vec<PathBuf> = Vec::new();
    for (target, resolves) in planned {
        match plan_one(&target, files, cwd) {
            Ok(swap) => {
                if swap.files.iter().any(|(p, ..)| touched.contains(p)) {
                    decisions.push(Decision::Refused(
                        resolves,
                        "another lock's swap rewrites the same files in this run; run lockfix again"
                            .to_owned(),
                    ));
                    continue;
                }
                touched.extend(swap.files.iter().map(|(p, ..)| p.clone()));
                decisions.push(Decision::Planned(PlannedSwap { resolves, ..swap }));
            }
            Err(reason) => decisions.push(Decision::Refused(resolves, reason)),
        }
    }
    Some(decisions)
}

/// The swap of one lock: the pure planner over the files rust-analyzer named, and Cargo.toml.
fn plan_one(target: &SwapTarget, files: &[CrateFile], cwd: &Path) -> Result<PlannedSwap, String> {
    // Every file the swap reads, with its current text: from this run, or from disk.
    let mut involved: Vec<CrateFile> = Vec::new();
    let mut index_of = |path: &Path| -> Result<usize, String> {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(i) = involved.iter().position(|f| f.path == canonical) {
            return Ok(i);
        }
        let known = files
            .iter()
            .find(|f| std::fs::canonicalize(cwd.join(&f.path)).ok().as_deref() == Some(&canonical));
        let (display, text, edition) = match known {
            Some(f) => (f.display.clone(), f.text.clone(), f.edition),
            None => {
                let source = crate::input::source::SourceFile::read(&canonical)
                    .map_err(|e| format!("cannot read {}: {e}", canonical.display()))?;
                (
                    crate::input::discover::display_path(&canonical, cwd),
                    source.text,
                    files.first().map_or(Edition::Edition2021, |f| f.edition),
                )
            }
        };
        involved.push(CrateFile {
            path: canonical,
            display,
            text,
            edition,
        });
        Ok(involved.len() - 1)
    };
    let declaration = Site {
        file: index_of(&target.declaration.path)?,
        range: target.declaration.range,
    };
    let mut references = Vec::new();
    for site in &target.references {
        references.push(Site {
            file: index_of(&site.path)?,
            range: site.range,
        });
    }
    let mut called_from_async = Vec::new();
    for (site, route) in &target.called_from_async {
        called_from_async.push(AsyncCaller {
            site: Site {
                file: index_of(&site.path)?,
                range: site.range,
            },
            route: route.clone(),
        });
    }
    let async_chain = match &target.async_chain {
        Ok(chain) => {
            let mut sites = |list: &[lockfix_semantic::swap::Site]| -> Result<Vec<Site>, String> {
                list.iter()
                    .map(|site| {
                        Ok(Site {
                            file: index_of(&site.path)?,
                            range: site.range,
                        })
                    })
                    .collect()
            };
            Ok(AsyncChain {
                functions: sites(&chain.functions)?,
                awaits: sites(&chain.awaits)?,
            })
        }
        Err(why) => Err(why.clone()),
    };
    // For the caveat: the functions made async, by the names they are declared with.
    let (made_async, awaited): (Vec<String>, usize) = match &async_chain {
        Ok(chain) => (
            chain
                .functions
                .iter()
                .filter_map(|site| {
                    involved[site.file]
                        .text
                        .get(lockfix_transforms::analysis::syntax::to_range(site.range))
                })
                .map(|name| format!("`{name}`"))
                .collect(),
            chain.awaits.len(),
        ),
        Err(_) => (Vec::new(), 0),
    };
    let swap_files: Vec<SwapFile<'_>> = involved
        .iter()
        .map(|f| SwapFile {
            path: &f.display,
            text: &f.text,
            edition: f.edition,
        })
        .collect();
    let plan = lock_swap::plan_swap(&SwapRequest {
        files: &swap_files,
        declaration,
        lock_type: &target.lock_type,
        references,
        called_from_async,
        async_chain,
    })?;
    let mut changed: Vec<(PathBuf, String, String, String)> = plan
        .edits
        .iter()
        .map(|(file, edits)| {
            let f = &involved[*file];
            let after = lock_swap::apply(&f.text, edits);
            (f.path.clone(), f.display.clone(), f.text.clone(), after)
        })
        .collect();
    let mut caveats = Vec::new();
    if !plan.blocking_sites.is_empty() {
        let sites: Vec<String> = plan
            .blocking_sites
            .iter()
            .map(|s| {
                let f = &involved[s.file];
                format!("{}:{}", f.display, line_of(&f.text, s.range.start().into()))
            })
            .collect();
        caveats.push(format!(
            "synchronous uses now call blocking_*(), which panics inside a tokio runtime (no async \
             code of the workspace reaches them; callers outside it must not be async): {}.",
            sites.join(", ")
        ));
    }
    if !made_async.is_empty() {
        caveats.push(format!(
            "async code reaches synchronous users of the lock, so {} become{} async and {} call{} \
             of them {} awaited; code outside the workspace that calls them must await them too.",
            made_async.join(", "),
            if made_async.len() == 1 { "s" } else { "" },
            awaited,
            if awaited == 1 { "" } else { "s" },
            if awaited == 1 { "is" } else { "are" },
        ));
    }
    let manifest = owning_manifest(&involved[declaration.file].path)
        .ok_or("the crate's Cargo.toml was not found")?;
    let manifest_text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    match ensure_tokio_sync(&manifest_text)? {
        Some(after) => {
            caveats.push("tokio's `sync` feature is added to Cargo.toml.".to_owned());
            changed.push((
                manifest.clone(),
                crate::input::discover::display_path(&manifest, cwd),
                manifest_text,
                after,
            ));
        }
        None => caveats.push("tokio's `sync` feature is already enabled.".to_owned()),
    }
    let note = caveats.join(" ");
    Ok(PlannedSwap {
        title: format!(
            "Swap `{}` for `tokio::sync::{}` across the crate ({} file{})",
            target.name,
            target.lock_type,
            changed.len(),
            if changed.len() == 1 { "" } else { "s" }
        ),
        note,
        caveats,
        files: changed,
        resolves: Vec::new(),
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The finding a swap resolves, for reports: the same rule and message in the file's findings.
pub fn is_swap_finding(rule: RuleId) -> bool {
    rule == RuleId::StdLockInAsync
}

/// The edits that turn `before` into `after` as one replacement, for a [`lockfix_transforms::Fix`]
/// shown in reports.
pub fn whole_file_edit(before: &str, after: &str) -> TextEdit {
    TextEdit {
        range: 0..before.len(),
        replacement: after.to_owned(),
    }
}
