//! Seed 002's "std→tokio swap": replace ONE `std::sync` (or parking_lot) `Mutex`/`RwLock` with
//! `tokio::sync`'s, across every file of the crate that declares, constructs or locks it.
//!
//! ```text
//! struct Manager { contexts: RwLock<Map> }        struct Manager { contexts: tokio::sync::RwLock<Map> }
//! Manager { contexts: RwLock::new(m) }      =>    Manager { contexts: tokio::sync::RwLock::new(m) }
//! self.contexts.read().unwrap()                   self.contexts.read().await
//! if let Ok(mut c) = self.contexts.write() {      {
//!     c.insert(k, v);                                 let mut c = self.contexts.write().await;
//! } else { poisoned() }                               c.insert(k, v);
//!                                                 }
//! ```
//!
//! rust-analyzer finds the declaration and every reference; this module only plans text edits
//! from them. Any reference whose shape it cannot rewrite faithfully makes the whole swap
//! unavailable (a half-swapped lock does not compile), with one sentence saying where and why.
//! Synchronous functions keep working through `blocking_lock()`/`blocking_read()`/
//! `blocking_write()`, which panic inside a runtime: the caller (rust-analyzer) follows every such
//! function to all its callers, transitively, across the crate's library, binaries, examples,
//! tests and benches; when async code reaches one, that function and its synchronous callers
//! become async where every caller can await, and otherwise the swap is refused with the route it
//! found and the reason. The remaining blocking sites are listed in the fix's caveats.
//!
//! The plan is made in steps, one file each, all adding edits to one `Planner` (this file:
//! the request and plan types, `plan_swap` which runs the steps in order, the `Planner`'s
//! shared helpers, and the last two steps):
//!
//! 1. `references`: the declaration and every reference rust-analyzer found are followed to
//!    what they are: the declared type, a constructor (`RwLock::new`, also in `Arc::new`, a struct
//!    literal or an assignment), or a use site. The lock paths to rewrite are collected, not yet
//!    written; a reference it cannot follow refuses the swap.
//! 2. `acquisitions`: each use site is rewritten: `.lock().unwrap()` and its kin become
//!    `.lock().await` in async code or `.blocking_lock()` in sync code that async code does not
//!    reach, `if let Ok(g) = x.lock() { .. }` becomes a block (two lines when it is its
//!    function's value), `get_mut().unwrap()` loses its `unwrap`.
//! 3. `imports`: once every lock path is known, each file's paths are written unqualified when
//!    its `use` can import tokio's lock instead of std's, `tokio::sync::X` otherwise.
//! 4. `Planner::async_chain_edits` (here): where async code reaches a synchronous user of the
//!    lock and every caller can await (the request's `async_chain`, found by the caller), those
//!    functions become `async fn` and their calls get `.await`.
//! 5. `Planner::finish` (here): the edits of each file are sorted, checked for overlaps and
//!    applied to check the file still parses; `apply` writes a file's edits.

use ra_ap_syntax::{AstNode, Edition, SourceFile, SyntaxNode, TextRange, ast};

use crate::analysis::syntax;
use crate::model::TextEdit;

mod acquisitions;
mod imports;
mod references;
#[cfg(test)]
mod tests;

/// One file of the crate, as rust-analyzer's caller read it.
pub struct SwapFile<'a> {
    /// Shown in the reasons a swap is refused (`src/manager.rs:12`).
    pub path: &'a str,
    pub text: &'a str,
    pub edition: Edition,
}

/// A range in one of the request's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    pub file: usize,
    pub range: TextRange,
}

pub struct SwapRequest<'a> {
    pub files: &'a [SwapFile<'a>],
    /// The declared type of the lock: the `ast::Type` node of a struct field, static or let
    /// (`RwLock<String>`, `Arc<RwLock<Option<String>>>`, `std::sync::Mutex<u8>`).
    pub declaration: Site,
    /// "Mutex" or "RwLock": the std/parking_lot type being replaced.
    pub lock_type: &'a str,
    /// Every reference to the field / static / local: the range of the name at the use (the
    /// `NameRef` in `self.contexts`, in a record literal `Foo { contexts: .. }`, or a path).
    pub references: Vec<Site>,
    /// Non-async functions that async code reaches, directly or through other sync functions.
    pub called_from_async: Vec<AsyncCaller>,
    /// What makes them async (with their synchronous callers), or why that cannot be done; the
    /// swap is refused where a function async code reaches would need `blocking_*` instead.
    pub async_chain: Result<AsyncChain, String>,
}

/// Synchronous functions that become `async fn`, and the calls of them that get `.await`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AsyncChain {
    /// The name of each function (`ast::Fn` name range).
    pub functions: Vec<Site>,
    /// Each call expression of one of them (`self.id()` in `self.id()?`).
    pub awaits: Vec<Site>,
}

/// A synchronous function that async code reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsyncCaller {
    /// The function's name (`ast::Fn` name range).
    pub site: Site,
    /// How async code reaches it, for the refusal: "`run` (examples/demo.rs:12) → `outer`
    /// (src/lib.rs:30)", the async end first; empty when it is called from async code directly.
    pub route: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapPlan {
    /// Edits per file index, sorted, non-overlapping; files without edits are left out.
    pub edits: Vec<(usize, Vec<TextEdit>)>,
    /// Call sites rewritten to `blocking_lock()`/`blocking_read()`/`blocking_write()` (they panic
    /// inside a runtime): listed in the fix note.
    pub blocking_sites: Vec<Site>,
}

/// Plan the swap, or say in one sentence why it is not offered.
pub fn plan_swap(request: &SwapRequest<'_>) -> Result<SwapPlan, String> {
    if !matches!(request.lock_type, "Mutex" | "RwLock") {
        return Err(format!(
            "only `Mutex` and `RwLock` have a tokio counterpart, not `{}`",
            request.lock_type
        ));
    }
    let roots: Vec<SyntaxNode> = request
        .files
        .iter()
        .map(|f| SourceFile::parse(f.text, f.edition).tree().syntax().clone())
        .collect();
    let mut planner = Planner {
        request,
        roots: &roots,
        edits: vec![Vec::new(); request.files.len()],
        type_paths: Vec::new(),
        blocking_sites: Vec::new(),
        poisoning: true,
    };
    planner.declaration()?;
    for reference in &request.references {
        planner.reference(*reference)?;
    }
    planner.type_path_edits();
    planner.async_chain_edits()?;
    planner.finish()
}

/// Collects the edits while the references are classified.
struct Planner<'r, 'a> {
    request: &'r SwapRequest<'a>,
    roots: &'r [SyntaxNode],
    edits: Vec<Vec<TextEdit>>,
    /// Mentions of the std lock type that become tokio's (`RwLock` in `Arc<RwLock<T>>`,
    /// `std::sync::RwLock` in `std::sync::RwLock::new`): the text to write depends on whether
    /// the file's import can be rewritten, which is known once all of them are collected.
    type_paths: Vec<Site>,
    blocking_sites: Vec<Site>,
    /// std's locks return a `LockResult` to unwrap; parking_lot's return the guard directly.
    poisoning: bool,
}

impl Planner<'_, '_> {
    fn text(&self, file: usize) -> &str {
        self.request.files[file].text
    }

    /// `path:line` of an offset, for the reasons a swap is refused.
    fn location(&self, file: usize, offset: usize) -> String {
        let text = self.text(file);
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        format!("{}:{line}", self.request.files[file].path)
    }

    fn refuse(&self, file: usize, node: &SyntaxNode, why: &str) -> String {
        let at = self.location(file, usize::from(node.text_range().start()));
        format!("{why} at {at}")
    }

    fn edit(&mut self, file: usize, range: TextRange, replacement: impl Into<String>) {
        self.edits[file].push(TextEdit {
            range: syntax::to_range(range),
            replacement: replacement.into(),
        });
    }

    fn file_of(&self, site: Site) -> Result<&SyntaxNode, String> {
        self.roots
            .get(site.file)
            .filter(|root| root.text_range().contains_range(site.range))
            .ok_or_else(|| format!("rust-analyzer gave a location outside the files: {site:?}"))
    }

    /// Sort, check and re-parse every edited file.
    fn finish(mut self) -> Result<SwapPlan, String> {
        let mut planned = Vec::new();
        for (file, mut edits) in self.edits.into_iter().enumerate() {
            if edits.is_empty() {
                continue;
            }
            edits.sort_by_key(|e| (e.range.start, e.range.end));
            edits.dedup();
            if edits.windows(2).any(|w| w[0].range.end > w[1].range.start) {
                return Err(format!(
                    "two rewrites overlap in {}",
                    self.request.files[file].path
                ));
            }
            let source = &self.request.files[file];
            let after = apply(source.text, &edits);
            let errors = |text: &str| SourceFile::parse(text, source.edition).errors().len();
            if errors(&after) > errors(source.text) {
                return Err(format!(
                    "the swap would leave {} with syntax errors",
                    source.path
                ));
            }
            planned.push((file, edits));
        }
        self.blocking_sites
            .sort_by_key(|s| (s.file, s.range.start()));
        Ok(SwapPlan {
            edits: planned,
            blocking_sites: self.blocking_sites,
        })
    }
}

impl Planner<'_, '_> {
    /// The functions of the chain become `async fn`; each call of one is awaited.
    fn async_chain_edits(&mut self) -> Result<(), String> {
        let Ok(chain) = &self.request.async_chain else {
            return Ok(());
        };
        for site in chain.functions.clone() {
            let root = self.file_of(site)?.clone();
            let function = root
                .covering_element(site.range)
                .ancestors()
                .find_map(ast::Fn::cast)
                .ok_or_else(|| {
                    format!(
                        "no function at {}",
                        self.location(site.file, site.range.start().into())
                    )
                })?;
            if function.async_token().is_some() {
                continue;
            }
            let fn_token = function.fn_token().ok_or_else(|| {
                self.refuse(site.file, function.syntax(), "a function without `fn`")
            })?;
            // `pub unsafe fn` → `pub async unsafe fn`: `async` comes before `unsafe`.
            let at = function
                .unsafe_token()
                .unwrap_or(fn_token)
                .text_range()
                .start();
            self.edit(site.file, TextRange::empty(at), "async ");
        }
        for site in chain.awaits.clone() {
            self.file_of(site)?;
            self.edit(site.file, TextRange::empty(site.range.end()), ".await");
        }
        Ok(())
    }
}

/// `text` with sorted, non-overlapping `edits` applied.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.replacement);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    out
}
