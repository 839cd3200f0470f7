//! Loading a Cargo workspace into rust-analyzer's database, offline.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use lockfix_transforms::analysis::SemanticFacts;
use ra_ap_ide_db::RootDatabase;
use ra_ap_load_cargo::{LoadCargoConfig, ProcMacroServerChoice, load_workspace};
use ra_ap_paths::AbsPathBuf;
use ra_ap_project_model::{
    CargoConfig, ProjectManifest, ProjectWorkspace, ProjectWorkspaceKind, RustLibSource,
};
use ra_ap_vfs::{Vfs, VfsPath};

use crate::sysroot::{self, StdSources};
use crate::unresolvable::{self, Unresolvable};

/// How to load a workspace.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Run build scripts (`cargo check`), for crates whose code comes from `OUT_DIR`.
    pub build_scripts: bool,
    /// Expand procedural macros with the toolchain's proc-macro server.
    pub proc_macros: bool,
    /// Where the stub standard library is written when the toolchain has no `rust-src`.
    pub cache_dir: PathBuf,
    /// Load the workspace's dependencies too. Without them (`cargo metadata --no-deps`: the
    /// workspace's own crates and the standard library) rust-analyzer answers in a fraction of
    /// the time — resolving the dependencies' items is most of a full load's cost — but types
    /// that come from a dependency are unknown: only questions that can tell an incomplete
    /// answer apart ([`Workspace::swap_target`]) are asked of such a workspace.
    pub dependencies: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            build_scripts: false,
            proc_macros: false,
            cache_dir: sysroot::default_cache_dir(),
            dependencies: true,
        }
    }
}

/// What loading cost, for `--statistics` and the benchmarks.
#[derive(Debug, Clone)]
pub struct LoadStats {
    pub duration: Duration,
    pub std: StdSources,
    pub files: usize,
}

/// A loaded workspace: rust-analyzer's database and the files it knows.
pub struct Workspace {
    db: RootDatabase,
    vfs: Vfs,
    pub root: PathBuf,
    pub stats: LoadStats,
    /// Loaded with its dependencies ([`LoadOptions::dependencies`]).
    pub with_dependencies: bool,
}

impl Workspace {
    /// Loads the Cargo workspace whose manifest is `manifest` (a `Cargo.toml`).
    ///
    /// `cargo metadata` runs with `--offline`: a workspace whose dependencies are not in the local
    /// cargo cache fails to load with an [`Unresolvable`] error (and the caller falls back to the
    /// syntax tier) instead of lockfix downloading anything. That failure is remembered
    /// ([`crate::unresolvable`]): the next load of the same workspace fails at once, cargo not run.
    ///
    /// Without dependencies, cargo resolves nothing: such a load works where a full one would
    /// fail, so only a remembered failure stops it.
    pub fn load(manifest: &Path, options: &LoadOptions) -> Result<Workspace> {
        Workspace::prepare(manifest, options)?.load()
    }

    /// The first half of [`Workspace::load`]: the standard library's sources and `cargo
    /// metadata`, where a workspace that cannot be resolved fails (and is remembered). Cheap next
    /// to the second half, and independent between workspaces: front ends prepare several in
    /// parallel, then load the ones they need one at a time.
    pub fn prepare(manifest: &Path, options: &LoadOptions) -> Result<Prepared> {
        let key = unresolvable::key(manifest);
        if let Some(reason) = key
            .as_deref()
            .and_then(|key| unresolvable::recall(&options.cache_dir, key))
        {
            return Err(anyhow::Error::new(Unresolvable {
                reason,
                remembered: true,
            }));
        }
        let prepared = catch_unwind(AssertUnwindSafe(|| prepare_now(manifest, options)))
            .map_err(|panic| anyhow!("rust-analyzer panicked: {}", panic_message(&panic)))
            .and_then(|prepared| prepared);
        if let (Err(error), Some(key), true) = (&prepared, &key, options.dependencies)
            && let Some(failure) = error.downcast_ref::<Unresolvable>()
        {
            unresolvable::remember(&options.cache_dir, key, &failure.reason);
        }
        prepared
    }

    /// What rust-analyzer knows about the file at `path` (absolute), or `None` when the file is
    /// not part of the workspace (an example excluded from it, a file under `target/`).
    pub fn facts(&self, path: &Path) -> Result<Option<SemanticFacts>> {
        let Some(file_id) = self.file_id(path) else {
            return Ok(None);
        };
        catch_unwind(AssertUnwindSafe(|| {
            ra_ap_hir::attach_db(&self.db, || {
                crate::facts::collect(&self.db, &self.vfs, file_id)
            })
        }))
        .map(Some)
        .map_err(|panic| anyhow!("rust-analyzer panicked: {}", panic_message(&panic)))
    }

    /// What the std→tokio swap needs to know about the lock acquired in `finding` (a range of the
    /// file at `path`); `Err` says why it cannot be swapped. Without dependencies, an answer that
    /// could be incomplete (a mention of the lock's name rust-analyzer cannot resolve) is an
    /// `Err` too: ask a workspace loaded with them.
    pub fn swap_target(
        &self,
        path: &Path,
        finding: ra_ap_syntax::TextRange,
    ) -> Result<crate::swap::SwapTarget, String> {
        let file_id = self
            .file_id(path)
            .ok_or_else(|| format!("{} is not part of the workspace", path.display()))?;
        catch_unwind(AssertUnwindSafe(|| {
            ra_ap_hir::attach_db(&self.db, || {
                crate::swap::target(
                    &self.db,
                    &self.vfs,
                    file_id,
                    finding,
                    self.with_dependencies,
                )
            })
        }))
        .unwrap_or_else(|panic| Err(format!("rust-analyzer panicked: {}", panic_message(&panic))))
    }

    /// Replaces the text rust-analyzer has for `path` (after lockfix's own fixes, in memory).
    pub fn set_file_text(&mut self, path: &Path, text: &str) -> bool {
        let Some(file_id) = self.file_id(path) else {
            return false;
        };
        let mut change = ra_ap_ide_db::ChangeWithProcMacros::default();
        change.change_file(file_id, Some(text.to_owned()));
        self.db.apply_change(change);
        true
    }

    /// Whether the file at `path` is one of the workspace's files.
    pub fn contains(&self, path: &Path) -> bool {
        self.file_id(path).is_some()
    }

    fn file_id(&self, path: &Path) -> Option<ra_ap_vfs::FileId> {
        let absolute = std::fs::canonicalize(path).ok()?;
        let absolute = AbsPathBuf::try_from(absolute.to_str()?).ok()?;
        let (id, _) = self.vfs.file_id(&VfsPath::from(absolute))?;
        Some(id)
    }
}

/// A workspace whose `cargo metadata` succeeded ([`Workspace::prepare`]), ready to load.
pub struct Prepared {
    manifest: PathBuf,
    root: PathBuf,
    std: StdSources,
    cargo_config: CargoConfig,
    load_config: LoadCargoConfig,
    workspace: ProjectWorkspace,
    with_dependencies: bool,
    started: Instant,
}

impl Prepared {
    /// The second half of [`Workspace::load`]: build scripts when asked for, and
    /// rust-analyzer's database over the crate graph.
    pub fn load(self) -> Result<Workspace> {
        let Prepared {
            manifest,
            root,
            std,
            cargo_config,
            load_config,
            mut workspace,
            with_dependencies,
            started,
        } = self;
        let loaded = catch_unwind(AssertUnwindSafe(|| -> Result<(RootDatabase, Vfs)> {
            if load_config.load_out_dirs_from_check {
                let build_scripts = workspace.run_build_scripts(&cargo_config, &|_| {})?;
                workspace.set_build_scripts(build_scripts);
            }
            let (db, vfs, _proc_macro_client) =
                load_workspace(workspace, &cargo_config.extra_env, &load_config)?;
            Ok((db, vfs))
        }))
        .map_err(|panic| anyhow!("rust-analyzer panicked: {}", panic_message(&panic)))?;
        let (db, vfs) =
            loaded.map_err(|error| error.context(format!("cannot load {}", manifest.display())))?;
        let files = vfs.iter().count();
        Ok(Workspace {
            db,
            vfs,
            root,
            stats: LoadStats {
                duration: started.elapsed(),
                std,
                files,
            },
            with_dependencies,
        })
    }
}

/// `cargo metadata`, except that its failure is an error: rust-analyzer would quietly retry with
/// `--no-deps` and resolve nothing from dependencies, which the facts would then silently lack.
/// A workspace cargo cannot resolve is an [`Unresolvable`] error, which callers tell apart from
/// other failures.
fn prepare_now(manifest: &Path, options: &LoadOptions) -> Result<Prepared> {
    let started = Instant::now();
    let root = manifest
        .parent()
        .ok_or_else(|| anyhow!("{} has no parent directory", manifest.display()))?
        .to_path_buf();
    let std = sysroot::locate(&root, &options.cache_dir)?;
    let mut cargo_config = cargo_config(&std)?;
    cargo_config.no_deps = !options.dependencies;
    let load_config = LoadCargoConfig {
        load_out_dirs_from_check: options.build_scripts,
        with_proc_macro_server: if options.proc_macros {
            ProcMacroServerChoice::Sysroot
        } else {
            ProcMacroServerChoice::None
        },
        prefill_caches: false,
        num_worker_threads: 1,
        proc_macro_processes: 1,
    };
    let canonical = std::fs::canonicalize(manifest)
        .with_context(|| format!("cannot find {}", manifest.display()))?;
    let absolute = AbsPathBuf::try_from(
        canonical
            .to_str()
            .ok_or_else(|| anyhow!("{} is not UTF-8", canonical.display()))?,
    )
    .map_err(|p| anyhow!("{p} is not an absolute path"))?;
    let project = ProjectManifest::discover_single(&absolute)
        .with_context(|| format!("cannot load {}", manifest.display()))?;
    let workspace = ProjectWorkspace::load(project, &cargo_config, &|_| {})
        .with_context(|| format!("cannot load {}", manifest.display()))?;
    if let ProjectWorkspaceKind::Cargo {
        error: Some(error), ..
    } = &workspace.kind
    {
        // cargo's first line says what is missing; the rest is its chain of causes.
        let reason = format!("{error:#}");
        let reason = reason.lines().next().unwrap_or_default();
        let reason = reason
            .strip_prefix("`cargo metadata` exited with an error: ")
            .unwrap_or(reason);
        return Err(anyhow::Error::new(Unresolvable {
            reason: reason.to_owned(),
            remembered: false,
        }));
    }
    Ok(Prepared {
        manifest: manifest.to_path_buf(),
        root,
        std,
        cargo_config,
        load_config,
        workspace,
        with_dependencies: options.dependencies,
        started,
    })
}

fn cargo_config(std: &StdSources) -> Result<CargoConfig> {
    let library = AbsPathBuf::try_from(
        std.library
            .to_str()
            .ok_or_else(|| anyhow!("{} is not UTF-8", std.library.display()))?,
    )
    .map_err(|p| anyhow!("{p} is not an absolute path"))?;
    let mut config = CargoConfig {
        // Both set: rust-analyzer never goes looking for a sysroot (which would run `rustup`).
        sysroot: None,
        sysroot_src: Some(library.clone()),
        set_test: true,
        // Never the network: the flag on the command line, where anyone reading a process list
        // or a log sees it, besides CARGO_NET_OFFLINE below (which other cargo runs need).
        metadata_extra_args: vec!["--offline".to_owned()],
        ..CargoConfig::default()
    };
    config.sysroot = Some(match &std.sysroot {
        Some(root) => RustLibSource::Path(
            AbsPathBuf::try_from(root.to_str().unwrap_or_default())
                .map_err(|p| anyhow!("{p} is not an absolute path"))?,
        ),
        None => RustLibSource::Path(library),
    });
    config
        .extra_env
        .insert("CARGO_NET_OFFLINE".to_owned(), Some("true".to_owned()));
    Ok(config)
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}
