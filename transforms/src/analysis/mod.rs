//! The lock-scope analysis, computed once per file and read by every transform.
//!
//! For each lock acquisition it records: the lock's kind and identity, how the call is wrapped
//! (`.unwrap()`, `?`, `.await`, `if let Ok(g) = …`), whether the guard is bound to a name or lives
//! as a temporary, the region in which it is alive (up to the end of its scope, a `drop(g)`, or
//! the end of the temporary's statement, with the edition's scrutinee rules), and the awaits that
//! run while it is alive.

mod acquisition;
pub mod crate_index;
pub mod decls;
pub mod effects;
pub mod events;
pub mod facts;
pub(crate) mod file_index;
mod guard_sources;
pub mod hand_offs;
pub mod held;
mod hold;
mod identity;
pub mod kind;
pub mod macros;
pub mod paths;
pub mod relock;
pub mod syntax;

use ra_ap_syntax::{
    AstNode, Edition, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasArgList, HasName},
};

use acquisition::{acquisition, crate_helper, free_acquisition};
pub use events::{Call, CallKind};
pub use facts::{ReceiverFact, SemanticFacts, Tier};
use guard_sources::{getter_lock_mode, shard_or_cell_borrow};
use hold::dominates;
use identity::{lock_identity, receiver_name};
pub use kind::{KindIndex, LockKind};

/// Read or write access; a mutex is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AccessMode {
    Read,
    Write,
    Exclusive,
    Upgradable,
}

impl AccessMode {
    pub fn describe(self) -> &'static str {
        match self {
            AccessMode::Read => "read",
            AccessMode::Write => "write",
            AccessMode::Exclusive => "mutex",
            AccessMode::Upgradable => "upgradable read",
        }
    }
}

/// Where the guard lives once acquired.
#[derive(Debug, Clone)]
pub enum Holder {
    /// `let g = m.lock().unwrap();` — alive until the end of the block or a `drop(g)`.
    Let {
        stmt: ast::LetStmt,
        pat: ast::IdentPat,
        list: ast::StmtList,
        index: usize,
    },
    /// `if let Ok(g) = m.write() { … }` — alive in the then-branch.
    IfLet {
        if_expr: ast::IfExpr,
        pat: ast::IdentPat,
        then_branch: ast::BlockExpr,
    },
    /// Part of a larger expression: alive until the end of its temporary scope.
    Temporary,
    /// `let _ = m.lock();`: released at once.
    Discarded,
}

/// One lock acquisition and the life of its guard.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The acquisition: a method call (`self.state.lock()`, `self.users()`), or a call of a free
    /// function of the crate that returns a guard (`data::get()`).
    pub call: ast::Expr,
    /// The receiver's text without whitespace (`self.cache`), for messages.
    pub lock_path: String,
    /// Which lock this is, for "the same lock" questions: the receiver without references,
    /// `.clone()`/`Arc::clone`, and with a local alias (`let store = state.store.clone();`)
    /// replaced by what it aliases (`state.store`).
    pub identity: String,
    /// The last name the lock is reached through (`cache`), for messages and kind lookup.
    pub lock_name: String,
    pub kind: LockKind,
    pub mode: AccessMode,
    /// Whether rust-analyzer decided that this is a lock and of which kind.
    pub tier: Tier,
    /// The syntax tier found no declaration that names the kind: it is unknown, or guessed from
    /// how the call is used (std's for `lock().unwrap()`). rust-analyzer could change it, or say
    /// the receiver is no lock at all; a declared kind it would only confirm.
    pub kind_guessed: bool,
    /// The expression whose value is the guard, after unwrapping (`m.lock().unwrap()`).
    pub guard_expr: ast::Expr,
    /// The acquisition itself is awaited (`m.lock().await`).
    pub awaited: bool,
    pub holder: Holder,
    /// The function, closure or async block the acquisition runs in.
    pub body: SyntaxNode,
    /// Where the guard is alive: from the end of `guard_expr` to its release.
    pub live: TextRange,
    /// `drop(guard)` statements: code they run before is not under the lock any more.
    pub drops: Vec<ast::ExprStmt>,
    /// Awaits in the same body that run while the guard is alive, in source order.
    pub awaits: Vec<ast::AwaitExpr>,
    /// Calls and macro calls in the same body made while the guard is alive, in source order.
    pub calls: Vec<Call>,
    /// For a temporary guard in the place of an assignment (`*m.lock() = compute();`): the
    /// assigned value, which Rust evaluates before the place, so before the lock is taken.
    pub evaluated_before: Option<TextRange>,
    /// [`Guard::uses`], computed on first request.
    pub uses_memo: UsesMemo,
}

/// The memo of a guard's uses. Rules and fixes ask for them many times per guard; a clone starts
/// empty, because a clone may change the live region they depend on (`Guard { live, ..g.clone() }`).
#[derive(Debug, Default)]
pub struct UsesMemo(std::cell::OnceCell<Vec<TextRange>>);

impl Clone for UsesMemo {
    fn clone(&self) -> Self {
        UsesMemo::default()
    }
}

impl Guard {
    /// The name the acquisition calls: the method (`lock`, `users`) or the free function (`get`
    /// of `data::get()`).
    pub fn method_name_ref(&self) -> Option<ast::NameRef> {
        match &self.call {
            ast::Expr::MethodCallExpr(call) => call.name_ref(),
            ast::Expr::CallExpr(call) => match call.expr()? {
                ast::Expr::PathExpr(path) => path.path()?.segment()?.name_ref(),
                _ => None,
            },
            _ => None,
        }
    }

    /// The acquisition's receiver (`self.state` of `self.state.lock()`); `None` for a free
    /// function's guard.
    pub fn receiver(&self) -> Option<ast::Expr> {
        match &self.call {
            ast::Expr::MethodCallExpr(call) => call.receiver(),
            _ => None,
        }
    }

    /// Whether the guard is alive when execution reaches offset `at` of `node`: inside the live
    /// region, in the guard's own body (not a closure or async block that runs elsewhere), and not
    /// after a `drop(guard)` that every path to it passes.
    pub fn alive_at(&self, at: TextSize, node: &SyntaxNode) -> bool {
        self.live.contains(at)
            && !self.evaluated_before.is_some_and(|r| r.contains(at))
            && syntax::runs_in_body(node, &self.body)
            && !syntax::in_other_branch(self.call.syntax(), node)
            && !self.drops.iter().any(|d| dominates(d, node))
    }

    /// The guard's binding name, if it has one.
    pub fn name(&self) -> Option<String> {
        match &self.holder {
            Holder::Let { pat, .. } | Holder::IfLet { pat, .. } => Some(syntax::ident_name(pat)),
            _ => None,
        }
    }

    /// Where findings about this guard point: the `let`, the `if let`, or the lock call.
    pub fn primary_range(&self) -> TextRange {
        match &self.holder {
            Holder::Let { stmt, .. } => {
                let start = stmt.syntax().text_range().start();
                TextRange::new(
                    start,
                    self.guard_expr.syntax().text_range().end().max(start),
                )
            }
            Holder::IfLet { if_expr, .. } => {
                let start = if_expr.syntax().text_range().start();
                TextRange::new(
                    start,
                    self.guard_expr.syntax().text_range().end().max(start),
                )
            }
            // From the method name, so that a chain split over lines points at its `.lock()` line.
            _ => {
                let call = self.call.syntax().text_range();
                let start = self
                    .method_name_ref()
                    .map_or(call.start(), |n| n.syntax().text_range().start());
                TextRange::new(start, call.end())
            }
        }
    }

    /// Places where the named guard is used inside its live region. A later `let` in the same block
    /// that binds the same name shadows the guard: mentions after it are of the new binding (the
    /// guard itself stays alive, unused, until the block ends).
    pub fn uses(&self, file: &SyntaxNode) -> Vec<TextRange> {
        self.uses_memo
            .0
            .get_or_init(|| self.compute_uses(file))
            .clone()
    }

    fn compute_uses(&self, file: &SyntaxNode) -> Vec<TextRange> {
        let Some(name) = self.name() else {
            return Vec::new();
        };
        let mut visible = self.live;
        if let Holder::Let { list, index, .. } = &self.holder {
            let shadowing = syntax::block_items(list)
                .into_iter()
                .skip(index + 1)
                .find_map(|item| {
                    let stmt = ast::LetStmt::cast(item)?;
                    let binds = syntax::pattern_bindings(&stmt.pat()?)
                        .iter()
                        .any(|p| syntax::ident_name(p) == name);
                    binds.then(|| stmt.syntax().text_range().end())
                });
            if let Some(end) = shadowing {
                visible = TextRange::new(visible.start(), end.max(visible.start()));
            }
        }
        syntax::mentions(file, visible, &name)
    }
}

/// All guards of a file.
#[derive(Debug, Default)]
pub struct LockScopes {
    pub guards: Vec<Guard>,
    /// `(outer, inner)` indices into `guards`: `inner` is acquired while `outer` is alive.
    /// Sorted: [`LockScopes::nested_in`] finds one guard's pairs by binary search.
    pub nested: Vec<(usize, usize)>,
    /// The file's declarations by name, for the rules' lookups (empty when no lock is taken).
    pub decls: decls::Declarations,
    /// What this file tells the other files of its crate (empty when no lock is taken).
    pub summary: crate_index::FileSummary,
    /// What the other files of the crate tell this one, when the front end built the index.
    pub crate_index: Option<std::sync::Arc<crate_index::CrateIndex>>,
}

pub(crate) const LOCK_METHODS: &[(&str, AccessMode)] = &[
    ("lock", AccessMode::Exclusive),
    ("try_lock", AccessMode::Exclusive),
    ("lock_owned", AccessMode::Exclusive),
    ("try_lock_owned", AccessMode::Exclusive),
    ("blocking_lock", AccessMode::Exclusive),
    ("lock_arc", AccessMode::Exclusive),
    ("read", AccessMode::Read),
    ("try_read", AccessMode::Read),
    ("read_owned", AccessMode::Read),
    ("try_read_owned", AccessMode::Read),
    ("blocking_read", AccessMode::Read),
    ("read_arc", AccessMode::Read),
    ("write", AccessMode::Write),
    ("try_write", AccessMode::Write),
    ("write_owned", AccessMode::Write),
    ("try_write_owned", AccessMode::Write),
    ("blocking_write", AccessMode::Write),
    ("write_arc", AccessMode::Write),
    ("upgradable_read", AccessMode::Upgradable),
    ("upgradable_read_arc", AccessMode::Upgradable),
    // parking_lot's timed acquisitions: they wait up to a timeout (their one argument).
    ("try_lock_for", AccessMode::Exclusive),
    ("try_lock_until", AccessMode::Exclusive),
    ("try_read_for", AccessMode::Read),
    ("try_read_until", AccessMode::Read),
    ("try_write_for", AccessMode::Write),
    ("try_write_until", AccessMode::Write),
    ("try_upgradable_read_for", AccessMode::Upgradable),
    ("try_upgradable_read_until", AccessMode::Upgradable),
];

/// A timed acquisition (`try_write_for(timeout)`): the one lock method that takes an argument.
pub(crate) fn is_timed_acquisition(method: &str) -> bool {
    method.starts_with("try_") && (method.ends_with("_for") || method.ends_with("_until"))
}

/// parking_lot's acquisitions of a guard that owns an `Arc` of its lock (`read_arc()`): made to
/// be kept beyond the scope that takes them, so their lock may be held for long stretches.
pub fn is_owned_guard_method(method: &str) -> bool {
    matches!(
        method,
        "lock_arc" | "read_arc" | "write_arc" | "upgradable_read_arc"
    )
}

/// The access mode of a lock-acquiring method name (`read` → read), `None` for other names.
pub fn lock_method_mode(method: &str) -> Option<AccessMode> {
    LOCK_METHODS
        .iter()
        .find(|(m, _)| *m == method)
        .map(|(_, mode)| *mode)
}

impl LockScopes {
    pub fn compute(file: &SyntaxNode, edition: Edition) -> LockScopes {
        LockScopes::compute_with(file, edition, &[])
    }

    /// [`LockScopes::compute`], with the configuration's own lock types.
    pub fn compute_with(
        file: &SyntaxNode,
        edition: Edition,
        extra_lock_types: &'static [&'static str],
    ) -> LockScopes {
        LockScopes::compute_full(file, edition, extra_lock_types, None, None)
    }

    /// [`LockScopes::compute_with`], with what the semantic tier knows about the file: its answers
    /// replace the syntax tier's guesses where it has one.
    pub fn compute_full(
        file: &SyntaxNode,
        edition: Edition,
        extra_lock_types: &'static [&'static str],
        facts: Option<&SemanticFacts>,
        crate_index: Option<&std::sync::Arc<crate_index::CrateIndex>>,
    ) -> LockScopes {
        let helpers = facts.filter(|f| !f.guard_helpers.is_empty());
        let index = crate_index.map(|i| &**i);
        // One walk of the tree serves the acquisitions and both declaration indexes: each step of
        // a rowan walk allocates, and a file that takes a lock is walked here three times over.
        let nodes: Vec<SyntaxNode> = file.descendants().collect();
        file_index::with(file, |index| index.code_from(&nodes));
        let candidates: Vec<ast::MethodCallExpr> = nodes
            .iter()
            .cloned()
            .filter_map(ast::MethodCallExpr::cast)
            .filter(|call| {
                // Lock-named getters (`fork_choice_read_lock()`) too: whether each is a guard is
                // decided by how its result is used.
                call.name_ref().is_some_and(|n| {
                    LOCK_METHODS.iter().any(|(m, _)| *m == n.text())
                        || getter_lock_mode(n.text()).is_some()
                }) || helpers.is_some_and(|f| {
                    facts::site_key(call).is_some_and(|k| f.guard_helpers.contains_key(&k))
                }) || index.is_some_and(|index| {
                    call.name_ref()
                        .is_some_and(|n| index.is_guard_helper_name(n.text()))
                })
            })
            .collect();
        // Calls of the crate's free functions that return a guard (`data::get()`).
        let free_calls: Vec<ast::CallExpr> = match index {
            Some(index) if !index.free_guard_helper_calls().is_empty() => nodes
                .iter()
                .cloned()
                .filter_map(ast::CallExpr::cast)
                .filter(|call| {
                    call.arg_list().is_some_and(|a| a.args().next().is_none())
                        && matches!(call.expr(), Some(ast::Expr::PathExpr(_)))
                })
                .collect(),
            _ => Vec::new(),
        };
        let names_dashmap = || {
            nodes.iter().any(|n| {
                ast::NameRef::cast(n.clone())
                    .is_some_and(|n| matches!(n.text(), "DashMap" | "DashSet" | "RefCell"))
            })
        };
        if candidates.is_empty() && free_calls.is_empty() && !names_dashmap() {
            // The file's declarations only matter to classify acquisitions. A function that
            // returns a guard takes a lock in its body, so its file has a candidate.
            return LockScopes::default();
        }
        let kinds = KindIndex::build_from(&nodes, extra_lock_types);
        let mut candidates = candidates;

        // RefCell borrows count in async code only (a file with an `.await`): that is where a
        // borrow outlives a suspension; the prefilter makes the same cut.
        let cells = kinds.declares(LockKind::RefCell)
            && nodes.iter().any(|n| n.kind() == SyntaxKind::AWAIT_EXPR);
        let shards = kinds.declares(LockKind::DashMap);
        let helpers_here = kinds.has_guard_helpers();
        if shards || cells || helpers_here {
            // `cache.get(&k)` on `cache: DashMap<K, V>`, `state.borrow()` on `RefCell<State>`,
            // and calls of this file's own guard-returning functions (`self.state()` when
            // `fn state(&self) -> MutexGuard<'_, State>`).
            candidates.extend(
                nodes
                    .iter()
                    .cloned()
                    .filter_map(ast::MethodCallExpr::cast)
                    .filter(|call| {
                        let borrow = shard_or_cell_borrow(call, &kinds)
                            .is_some_and(|g| cells || g.kind != LockKind::RefCell);
                        let helper = helpers_here
                            && call.name_ref().is_some_and(|n| {
                                lock_method_mode(n.text()).is_none()
                                    && kinds.guard_helper(n.text()).is_some()
                            });
                        borrow || helper
                    }),
            );
            candidates.sort_by_key(|c| c.syntax().text_range().start());
            candidates.dedup();
        }
        let decls = decls::Declarations::build_from(&nodes);
        let mut guards: Vec<Guard> = candidates
            .iter()
            .filter_map(|call| {
                let from_crate = index.and_then(|index| crate_helper(call, &decls, index));
                acquisition(call, &kinds, edition, facts, from_crate)
            })
            .collect();
        if let Some(index) = index {
            guards.extend(
                free_calls
                    .iter()
                    .filter_map(|call| free_acquisition(call, index, edition)),
            );
            guards.sort_by_key(|g| g.call.syntax().text_range().start());
        }
        // `let s = match map.get(k) { Some(s) => s, None => { ..; map.get(k).unwrap() } };`: one
        // binding holds one guard of that lock, whichever branch took it; reported once.
        let mut held_by_let = std::collections::HashSet::new();
        guards.retain(|g| match &g.holder {
            Holder::Let { stmt, .. } => {
                held_by_let.insert((stmt.syntax().text_range(), g.identity.clone()))
            }
            _ => true,
        });
        // Only acquisitions inside a guard's live range can be nested in it: found by binary
        // search, not by comparing every guard with every other (quadratic in generated files).
        let mut acquired_at: Vec<(TextSize, usize)> = guards
            .iter()
            .enumerate()
            .map(|(i, g)| (events::happens_at(g.call.syntax()), i))
            .collect();
        acquired_at.sort_unstable();
        let mut nested = Vec::new();
        for (o, outer) in guards.iter().enumerate() {
            let from = acquired_at.partition_point(|(at, _)| *at < outer.live.start());
            let mut inner: Vec<usize> = acquired_at[from..]
                .iter()
                .take_while(|(at, _)| *at < outer.live.end())
                .filter(|&&(at, i)| i != o && outer.alive_at(at, guards[i].call.syntax()))
                .map(|(_, i)| *i)
                .collect();
            inner.sort_unstable();
            nested.extend(inner.into_iter().map(|i| (o, i)));
        }
        let summary = crate_index::FileSummary::build(&nodes, &guards, &decls, &kinds);
        LockScopes {
            guards,
            nested,
            decls,
            summary,
            crate_index: crate_index.cloned(),
        }
    }

    /// Guards acquired while `outer` is alive.
    pub fn acquired_under(&self, outer: usize) -> impl Iterator<Item = &Guard> {
        self.nested_in(outer).iter().map(|(_, i)| &self.guards[*i])
    }

    /// The pairs of [`LockScopes::nested`] whose outer guard is `outer` (per guard, a walk of
    /// every pair made the rules quadratic in the guards of a file).
    pub fn nested_in(&self, outer: usize) -> &[(usize, usize)] {
        let from = self.nested.partition_point(|(o, _)| *o < outer);
        let to = self.nested.partition_point(|(o, _)| *o <= outer);
        &self.nested[from..to]
    }

    /// Guards taken in the body of the method `name` on the lock `self.<field>`: what a call
    /// `self.name(..)` acquires, as far as this file shows.
    pub fn locks_taken_by_method(&self, name: &str) -> impl Iterator<Item = &Guard> {
        self.guards.iter().filter(move |g| {
            g.identity.starts_with("self.")
                && ast::Fn::cast(g.body.clone())
                    .and_then(|f| f.name())
                    .is_some_and(|n| n.text() == name)
        })
    }
}
