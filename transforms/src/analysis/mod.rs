//! The lock-scope analysis, computed once per file and read by every transform.
//!
//! For each lock acquisition it records: the lock's kind and identity, how the call is wrapped
//! (`.unwrap()`, `?`, `.await`, `if let Ok(g) = …`), whether the guard is bound to a name or lives
//! as a temporary, the region in which it is alive (up to the end of its scope, a `drop(g)`, or
//! the end of the temporary's statement, with the edition's scrutinee rules), and the awaits that
//! run while it is alive.

pub mod crate_index;
pub mod decls;
pub mod effects;
pub mod events;
pub mod facts;
mod guard_sources;
pub mod hand_offs;
pub mod held;
pub mod kind;
pub mod paths;
pub mod relock;
pub mod syntax;

use ra_ap_syntax::{
    AstNode, Edition, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasArgList, HasName},
};

pub use events::{Call, CallKind};
pub use facts::{ReceiverFact, SemanticFacts, Tier};
use guard_sources::{
    bare_read_used_as_guard, getter_lock_mode, shard_or_cell_borrow, used_as_guard,
};
pub use kind::{KindIndex, LockKind};

/// Read or write access; a mutex is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Calls that turn a lock result into the guard without ending its life.
const UNWRAPPERS: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or_else",
    "unwrap_unchecked",
    "map_err",
    "ok",
    "context",
    "with_context",
    "ok_or",
    "ok_or_else",
    // DashMap's `entry(k)`: the reference these return keeps the shard locked.
    "or_insert",
    "or_insert_with",
    "or_insert_with_key",
    "or_default",
    "or_try_insert_with",
];

/// The first `.read()`/`.lock()` of these receivers is I/O, not a lock.
const NOT_LOCK_RECEIVERS: &[&str] = &[
    "stdout",
    "stdin",
    "stderr",
    "io::stdout",
    "io::stdin",
    "io::stderr",
];

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
        let mut nested = Vec::new();
        for (o, outer) in guards.iter().enumerate() {
            for (i, inner) in guards.iter().enumerate() {
                if o != i
                    && outer.alive_at(events::happens_at(inner.call.syntax()), inner.call.syntax())
                {
                    nested.push((o, i));
                }
            }
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
        self.nested
            .iter()
            .filter(move |(o, _)| *o == outer)
            .map(|(_, i)| &self.guards[*i])
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

/// A method of another file of the crate that returns a guard, called on a receiver whose type
/// the declarations name (`controller.status.input_status()`): its guard and the `self.<field>`
/// it locks for it.
fn crate_helper(
    call: &ast::MethodCallExpr,
    decls: &decls::Declarations,
    index: &crate_index::CrateIndex,
) -> Option<(kind::GuardType, Option<String>)> {
    let method = call.name_ref()?;
    if lock_method_mode(method.text()).is_some() || !index.is_guard_helper_name(method.text()) {
        return None;
    }
    let receiver = syntax::compact_text(call.receiver()?.syntax());
    let owner = crate_index::owner_type_name(decls, Some(index), &receiver, call.syntax())?;
    let (guard, field) = index.guard_helper(&owner, method.text())?;
    Some((guard, field.map(str::to_string)))
}

fn acquisition(
    call: &ast::MethodCallExpr,
    kinds: &KindIndex,
    edition: Edition,
    facts: Option<&SemanticFacts>,
    from_crate: Option<(kind::GuardType, Option<String>)>,
) -> Option<Guard> {
    let method = call.name_ref()?.text().to_string();
    let key = facts.and_then(|_| facts::site_key(call));
    let helper = facts
        .zip(key.as_ref())
        .and_then(|(f, k)| f.guard_helpers.get(k).copied());
    let receiver_fact = facts
        .zip(key.as_ref())
        .and_then(|(f, k)| f.receivers.get(k).copied());
    // A guard-returning function of this file, when the semantic tier did not say.
    let local_helper = if helper.is_none() {
        kinds
            .guard_helper(&method)
            .or_else(|| from_crate.as_ref().map(|(guard, _)| *guard))
            .or_else(|| shard_or_cell_borrow(call, kinds))
    } else {
        None
    };
    // A getter named like a lock (`fork_choice_read_lock()`, `lock_or_panic()`) from another file
    // or crate: a lock of unknown kind when its result is used as a guard (checked below).
    let lock_named = getter_lock_mode(&method)
        .filter(|_| call.arg_list().is_some_and(|a| a.args().next().is_none()));
    // On a receiver declared as a lock (`runtimes: Mutex<..>`), such a getter is an extension
    // trait's acquisition (`lock_or_panic`), wherever the trait is declared: the lock is the
    // receiver, of its declared kind, whatever the guard is then used for.
    let declared_getter = lock_named
        .zip(
            call.receiver()
                .and_then(|receiver| kinds.lookup(&receiver_name(&receiver)))
                .filter(|kind| !kind.is_async() && !kind.is_cell() && *kind != LockKind::DashMap),
        )
        .filter(|_| helper.is_none())
        .map(|(mode, kind)| kind::GuardType { kind, mode });
    // Otherwise, with no helper to say, a lock of unknown kind when used as a guard.
    let getter = lock_named
        .filter(|_| helper.is_none() && local_helper.is_none() && declared_getter.is_none());
    let local_helper = declared_getter
        .or(local_helper)
        .or(getter.map(|mode| kind::GuardType {
            kind: LockKind::Unknown,
            mode,
        }));
    let mode = match (
        LOCK_METHODS.iter().find(|(m, _)| *m == method),
        helper,
        local_helper,
    ) {
        (_, Some(helper), _) => helper.mode,
        (_, None, Some(local)) => local.mode,
        (Some((_, mode)), None, None) => *mode,
        (None, None, None) => return None,
    };
    if helper.is_none()
        && local_helper.is_none()
        && call
            .arg_list()
            .is_none_or(|args| args.args().count() != usize::from(is_timed_acquisition(&method)))
    {
        return None;
    }
    let receiver = call.receiver()?;
    let body = syntax::enclosing_body(call.syntax())?;
    // A function that returns a guard (of this file or, by the receiver's type, of the crate),
    // DashMap references included; not a DashMap's or RefCell's own `get`/`borrow`.
    let helper_fn =
        local_helper.is_some() && (kinds.guard_helper(&method).is_some() || from_crate.is_some());
    let from_helper = declared_getter.is_none()
        && (helper_fn
            || local_helper
                .is_some_and(|h| !matches!(h.kind, LockKind::DashMap | LockKind::RefCell)));
    let (lock_path, identity, lock_name) = if from_helper && lock_method_mode(&method).is_none() {
        // `self.state()`: the lock is whatever the helper locks; its calls are one lock.
        let path = format!("{}.{method}()", syntax::compact_text(receiver.syntax()));
        let base = lock_identity(&receiver, 0);
        let field = kinds.helper_lock(&method).or_else(|| {
            from_crate
                .as_ref()
                .filter(|_| kinds.guard_helper(&method).is_none())
                .and_then(|(_, field)| field.as_deref())
        });
        let identity = match field {
            // `self.users_mut()` locks `self.users`, as `self.users()` and `self.users.read()` do.
            Some(field) => format!("{base}{}", field.trim_start_matches("self")),
            None => format!("{base}.{method}()"),
        };
        (path, identity, method.clone())
    } else {
        (
            syntax::compact_text(receiver.syntax()),
            lock_identity(&receiver, 0),
            receiver_name(&receiver),
        )
    };
    if receiver_fact == Some(ReceiverFact::NotALock) {
        return None;
    }
    if helper.is_none()
        && local_helper.is_none()
        && receiver_fact.is_none()
        && is_not_a_lock(&receiver, &lock_name, kinds)
    {
        return None;
    }

    let (guard_expr, awaited, unwrapped) = unwrap_chain(ast::Expr::MethodCallExpr(call.clone()));
    if consumed_by_closure(&guard_expr) {
        return None;
    }
    if (declared_getter.is_some() && awaited)
        || (getter.is_some() && (awaited || !used_as_guard(&guard_expr, &body)))
    {
        return None;
    }
    let (kind, tier) = match (helper, receiver_fact, local_helper) {
        (Some(helper), _, _) => (helper.kind, Tier::Semantic),
        (None, None, Some(local)) => {
            let kind = match local.kind {
                // `self.write().await` on `async fn write(&self) -> RwLockWriteGuard<..>`.
                LockKind::Unknown if awaited => kinds
                    .imported_async_kind()
                    .unwrap_or(LockKind::UnknownAsync),
                kind => kind,
            };
            (kind, Tier::Syntax)
        }
        (None, Some(ReceiverFact::Lock(kind)), _) => {
            (semantic_kind(kind, &method, awaited)?, Tier::Semantic)
        }
        _ => {
            let kind = match infer_kind(kinds, &lock_name, &method, awaited, unwrapped) {
                Some(kind) => kind,
                None if bare_read_used_as_guard(&method, &guard_expr, &body, kinds, &lock_name) => {
                    LockKind::Unknown
                }
                None => return None,
            };
            if kind == LockKind::Unknown
                && !unwrapped
                && passed_on(&guard_expr)
                && !(is_owned_guard_method(&method) && stored_by_constructor(&guard_expr))
            {
                // A bare `lock()` handed to a function (`join(m.lock(), …)`) is as likely a future
                // as a guard; without a declaration there is nothing to go on.
                return None;
            }
            (kind, Tier::Syntax)
        }
    };
    held_guard(
        ast::Expr::MethodCallExpr(call.clone()),
        Named {
            lock_path,
            identity,
            lock_name,
        },
        kind::GuardType { kind, mode },
        tier,
        (guard_expr, awaited),
        body,
        edition,
    )
}

/// How a guard's lock is named: for messages, for "the same lock" questions, for kind lookup.
struct Named {
    lock_path: String,
    identity: String,
    lock_name: String,
}

/// A call of a free function of the crate that returns a guard (`data::get()` for `pub fn get()
/// -> RwLockWriteGuard<'static, ZineData>` in `src/data.rs`): every call is the same lock.
fn free_acquisition(
    call: &ast::CallExpr,
    index: &crate_index::CrateIndex,
    edition: Edition,
) -> Option<Guard> {
    if call.arg_list()?.args().next().is_some() {
        return None;
    }
    let ast::Expr::PathExpr(callee) = call.expr()? else {
        return None;
    };
    let path = callee.path()?;
    let name = path.segment()?.name_ref()?.text().to_string();
    let module = path.qualifier()?.segment()?.name_ref()?.text().to_string();
    let guard_type = index.free_guard_helper(&module, &name)?;
    let body = syntax::enclosing_body(call.syntax())?;
    let (guard_expr, awaited, _) = unwrap_chain(ast::Expr::CallExpr(call.clone()));
    let lock_path = format!("{module}::{name}()");
    held_guard(
        ast::Expr::CallExpr(call.clone()),
        Named {
            identity: lock_path.clone(),
            lock_path,
            lock_name: name,
        },
        guard_type,
        Tier::Syntax,
        (guard_expr, awaited),
        body,
        edition,
    )
}

/// The guard an acquisition `call` gives, with where it is held and what runs while it is.
fn held_guard(
    call: ast::Expr,
    named: Named,
    guard_type: kind::GuardType,
    tier: Tier,
    (guard_expr, awaited): (ast::Expr, bool),
    body: SyntaxNode,
    edition: Edition,
) -> Option<Guard> {
    let holder = holder_of(&guard_expr);
    let live = live_region(&guard_expr, &holder, edition)?;
    let mut guard = Guard {
        call,
        lock_path: named.lock_path,
        identity: named.identity,
        lock_name: named.lock_name,
        kind: guard_type.kind,
        mode: guard_type.mode,
        tier,
        guard_expr,
        awaited,
        holder,
        body,
        live,
        drops: Vec::new(),
        awaits: Vec::new(),
        calls: Vec::new(),
        evaluated_before: None,
    };
    guard.evaluated_before = assigned_value_of_place(&guard.guard_expr);
    if let Some(name) = guard.name() {
        guard.drops = drop_statements(&guard.body, guard.live, &name);
    } else if matches!(guard.holder, Holder::Temporary) {
        // `match map.get(&k) { Some(peers) => { ..; drop(peers); .. } }`: the arm's binding is
        // the guard, and dropping it releases the lock.
        for (name, arm) in syntax::whole_value_arms(&guard.guard_expr) {
            guard.drops.extend(drop_statements(&arm, guard.live, &name));
        }
    }
    if !guard.live.is_empty() {
        guard.awaits = guard
            .body
            .descendants()
            .filter_map(ast::AwaitExpr::cast)
            .filter(|a| {
                a.await_token()
                    .is_some_and(|t| guard.alive_at(t.text_range().start(), a.syntax()))
            })
            .collect();
        guard.calls = events::calls_where(&guard.body, |at, node| guard.alive_at(at, node));
    }
    Some(guard)
}

/// When `expr` is part of the place an assignment writes (`*m.lock().unwrap() = v`), the range of
/// the assigned value: Rust evaluates it first.
fn assigned_value_of_place(expr: &ast::Expr) -> Option<TextRange> {
    let mut child = expr.syntax().clone();
    for ancestor in expr.syntax().ancestors().skip(1) {
        if let Some(bin) = ast::BinExpr::cast(ancestor.clone()) {
            // Only plain `=`: a compound assignment on non-primitive types (`AddAssign`)
            // evaluates its place first.
            let assignment = matches!(bin.op_kind(), Some(ast::BinaryOp::Assignment { op: None }));
            let in_place = bin.lhs().is_some_and(|l| l.syntax() == &child);
            return (assignment && in_place)
                .then(|| bin.rhs().map(|r| r.syntax().text_range()))
                .flatten();
        }
        ast::Expr::cast(ancestor.clone())?;
        child = ancestor;
    }
    None
}

/// See [`Guard::identity`]. `depth` bounds alias chains.
fn lock_identity(receiver: &ast::Expr, depth: usize) -> String {
    let expr = strip_clones(receiver);
    let text = syntax::compact_text(expr.syntax());
    if depth >= 3 {
        return text;
    }
    // A local alias of another lock or of its owner: `let store = state.user_store.clone();`
    // then `store.lock()`, or `let inner = self.clone();` then `inner.runtimes.lock()` — in a
    // closure or async block of the function too. The lock keeps the identity of what the alias
    // names, so that lock order and relocks see one lock.
    let (root, rest) = match &expr {
        ast::Expr::PathExpr(_) => (expr.clone(), ""),
        ast::Expr::FieldExpr(_) => {
            let mut root = expr.clone();
            while let ast::Expr::FieldExpr(field) = &root {
                match field.expr() {
                    Some(inner) => root = syntax::strip_wrappers(&inner),
                    None => return text,
                }
            }
            if !matches!(root, ast::Expr::PathExpr(_)) {
                return text;
            }
            let root_text = syntax::compact_text(root.syntax());
            match text.strip_prefix(root_text.as_str()) {
                Some(rest) if rest.starts_with('.') => (root, rest),
                _ => return text,
            }
        }
        _ => return text,
    };
    let name = syntax::compact_text(root.syntax());
    if name == "self" || name.contains("::") {
        return text;
    }
    let Some(init) = syntax::local_initializer_in_scope(root.syntax(), &name) else {
        return text;
    };
    let is_place_or_clone = matches!(
        syntax::strip_wrappers(&init),
        ast::Expr::PathExpr(_)
            | ast::Expr::FieldExpr(_)
            | ast::Expr::MethodCallExpr(_)
            | ast::Expr::CallExpr(_)
    );
    let resolved = lock_identity(&init, depth + 1);
    if is_place_or_clone && !resolved.contains('(') {
        return format!("{resolved}{rest}");
    }
    text
}

/// `receiver` without references, `.clone()`, `.as_ref()` and `Arc::clone(&..)`.
fn strip_clones(receiver: &ast::Expr) -> ast::Expr {
    let mut expr = syntax::strip_wrappers(receiver);
    loop {
        let inner = match &expr {
            ast::Expr::MethodCallExpr(m)
                if m.name_ref()
                    .is_some_and(|n| matches!(n.text(), "clone" | "as_ref"))
                    && m.arg_list().is_some_and(|a| a.args().next().is_none()) =>
            {
                m.receiver()
            }
            // `Arc::clone(&x)`, `Rc::clone(&x)`.
            ast::Expr::CallExpr(c)
                if c.expr()
                    .is_some_and(|e| syntax::compact_text(e.syntax()).ends_with("::clone")) =>
            {
                c.arg_list().and_then(|a| a.args().next())
            }
            _ => None,
        };
        match inner {
            Some(e) => expr = syntax::strip_wrappers(&e),
            None => return expr,
        }
    }
}

/// The last name a receiver is reached through: `self.cache` → `cache`, `state.lock()` → `state`.
fn receiver_name(receiver: &ast::Expr) -> String {
    let mut expr = syntax::strip_wrappers(receiver);
    loop {
        match &expr {
            ast::Expr::FieldExpr(f) => {
                return f
                    .name_ref()
                    .map(|n| n.text().to_string())
                    .unwrap_or_default();
            }
            ast::Expr::PathExpr(p) => {
                return p
                    .path()
                    .and_then(|p| p.segment())
                    .and_then(|s| s.name_ref())
                    .map(|n| n.text().to_string())
                    .unwrap_or_default();
            }
            // `self.inner.clone().lock()`, `lock.as_ref().read()`: look through.
            ast::Expr::MethodCallExpr(m)
                if m.name_ref()
                    .is_some_and(|n| matches!(n.text(), "clone" | "as_ref" | "deref")) =>
            {
                match m.receiver() {
                    Some(r) => expr = syntax::strip_wrappers(&r),
                    None => return String::new(),
                }
            }
            ast::Expr::MethodCallExpr(m) => {
                return m
                    .name_ref()
                    .map(|n| n.text().to_string())
                    .unwrap_or_default();
            }
            ast::Expr::CallExpr(c) => {
                return c
                    .expr()
                    .map(|e| e.syntax().text().to_string())
                    .unwrap_or_default()
                    .rsplit("::")
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
            _ => return String::new(),
        }
    }
}

fn is_not_a_lock(receiver: &ast::Expr, name: &str, kinds: &KindIndex) -> bool {
    if kinds.is_not_a_lock(name) || matches!(name, "stdout" | "stdin" | "stderr") {
        return true;
    }
    let text = receiver.syntax().text().to_string();
    let callee = text.trim_end_matches("()");
    NOT_LOCK_RECEIVERS
        .iter()
        .any(|r| callee == *r || callee.ends_with(&format!("::{r}")))
}

/// `m.read().map(|g| g.clone())`: the guard moves into the closure and is dropped when it returns,
/// so no guard outlives the call (a lockfix snapshot fix writes exactly this).
fn consumed_by_closure(guard_expr: &ast::Expr) -> bool {
    let Some(call) = guard_expr
        .syntax()
        .parent()
        .and_then(ast::MethodCallExpr::cast)
    else {
        return false;
    };
    let is_receiver = call
        .receiver()
        .is_some_and(|r| r.syntax() == guard_expr.syntax());
    let consumes = call
        .name_ref()
        .is_some_and(|n| matches!(n.text(), "map" | "and_then" | "map_or" | "map_or_else"));
    let closure = call
        .arg_list()
        .and_then(|a| a.args().last())
        .and_then(|a| match a {
            ast::Expr::ClosureExpr(c) => Some(c),
            _ => None,
        });
    let Some(closure) = closure else { return false };
    // `.map(|g| g)` hands the guard back.
    let returns_param = closure.body().is_some_and(|b| {
        closure
            .param_list()
            .and_then(|p| p.params().next())
            .is_some_and(|p| p.syntax().text() == b.syntax().text())
    });
    is_receiver && consumes && !returns_param
}

/// `Some(m.read_arc())`, `Shared(m.read_arc())`: the value is stored by a tuple struct or variant
/// (a capitalised callee), not handed to a function that may await it (async-lock's `read_arc()`
/// is a future).
fn stored_by_constructor(expr: &ast::Expr) -> bool {
    expr.syntax()
        .parent()
        .and_then(ast::ArgList::cast)
        .and_then(|args| args.syntax().parent())
        .and_then(ast::CallExpr::cast)
        .and_then(|call| call.expr())
        .is_some_and(|callee| {
            let text = syntax::compact_text(callee.syntax());
            let last = text.rsplit("::").next().unwrap_or_default();
            last.chars().next().is_some_and(char::is_uppercase)
        })
}

fn passed_on(expr: &ast::Expr) -> bool {
    expr.syntax().parent().is_some_and(|p| {
        matches!(
            p.kind(),
            SyntaxKind::ARG_LIST
                | SyntaxKind::RETURN_EXPR
                | SyntaxKind::TUPLE_EXPR
                | SyntaxKind::STMT_LIST
        )
    })
}

/// Walk up through `.await`, `?` and unwrapping calls: returns the expression that evaluates to the
/// guard, whether the acquisition was awaited, and whether it was unwrapped from a `Result`.
fn unwrap_chain(call: ast::Expr) -> (ast::Expr, bool, bool) {
    let mut current = call;
    let mut awaited = false;
    let mut unwrapped = false;
    loop {
        let Some(parent) = current.syntax().parent() else {
            break;
        };
        let next = match parent.kind() {
            SyntaxKind::AWAIT_EXPR if !awaited && !unwrapped => {
                awaited = true;
                ast::Expr::cast(parent)
            }
            SyntaxKind::TRY_EXPR => {
                unwrapped = true;
                ast::Expr::cast(parent)
            }
            SyntaxKind::METHOD_CALL_EXPR => {
                let m = ast::MethodCallExpr::cast(parent.clone());
                let is_unwrapper = m.as_ref().is_some_and(|m| {
                    m.receiver().as_ref().map(|r| r.syntax()) == Some(current.syntax())
                        && m.name_ref().is_some_and(|n| UNWRAPPERS.contains(&n.text()))
                });
                if !is_unwrapper {
                    break;
                }
                unwrapped = true;
                m.map(ast::Expr::MethodCallExpr)
            }
            _ => None,
        };
        match next {
            Some(e) => current = e,
            None => break,
        }
    }
    (current, awaited, unwrapped)
}

fn infer_kind(
    kinds: &KindIndex,
    name: &str,
    method: &str,
    awaited: bool,
    unwrapped: bool,
) -> Option<LockKind> {
    let declared = kinds.lookup(name);
    if awaited {
        // Only an async lock's acquisition is awaited; a declaration saying otherwise is about a
        // different value with the same name.
        return Some(match declared {
            Some(k) if k.is_async() => k,
            _ => kinds
                .imported_async_kind()
                .unwrap_or(LockKind::UnknownAsync),
        });
    }
    if let Some(kind) = declared {
        // `tokio::sync::Mutex::lock()` must be awaited: without `.await` (and not `try_`/`blocking_`)
        // it is not a guard.
        let sync_entry = method.starts_with("try_") || method.starts_with("blocking_");
        if kind.is_async() && !sync_entry {
            return None;
        }
        if kind == LockKind::DashMap {
            return None;
        }
        return Some(kind);
    }
    if unwrapped {
        // A `Result` from a no-argument `lock()`/`read()`/`write()`: std's poisoning API.
        return Some(if method.starts_with("try_") {
            LockKind::Unknown
        } else {
            LockKind::Std
        });
    }
    // A bare `lock()` on an undeclared receiver is most likely parking_lot; bare `read()`/`write()`
    // without evidence are too often raw-pointer or I/O calls to count. parking_lot's owned guards
    // (`read_arc()`, `write_arc()`, `lock_arc()`) count like `lock()`; async-lock's methods of
    // those names are awaited futures, which the kind check above already tells apart.
    (method == "lock" || method == "upgradable_read" || is_owned_guard_method(method))
        .then_some(LockKind::Unknown)
}

/// The kind rust-analyzer resolved, checked against how the call is used: an async lock's
/// `lock()` that is not awaited builds a future (no guard yet), and dashmap's `read`/`write` are
/// not guards of the whole map.
fn semantic_kind(kind: LockKind, method: &str, awaited: bool) -> Option<LockKind> {
    // A lock of a crate lockfix does not know, acquired with `.await`, is an async one.
    if kind == LockKind::Unknown && awaited {
        return Some(LockKind::UnknownAsync);
    }
    let sync_entry = method.starts_with("try_") || method.starts_with("blocking_");
    if kind.is_async() && !awaited && !sync_entry {
        return None;
    }
    (kind != LockKind::DashMap).then_some(kind)
}

/// Decide where the guard value goes.
fn holder_of(guard_expr: &ast::Expr) -> Holder {
    let Some(parent) = guard_expr.syntax().parent() else {
        return Holder::Temporary;
    };
    if let Some(stmt) = ast::LetStmt::cast(parent.clone()) {
        if stmt.initializer().as_ref().map(|e| e.syntax()) != Some(guard_expr.syntax()) {
            return Holder::Temporary;
        }
        return let_holder(stmt);
    }
    if let Some(scrutinee_of) = ast::MatchExpr::cast(parent.clone()) {
        // `let g = match m.lock() { Ok(g) => g, Err(e) => e.into_inner() };`
        let binding = scrutinee_of.syntax().parent().and_then(ast::LetStmt::cast);
        if let Some(stmt) = binding
            && arms_yield_the_guard(&scrutinee_of)
        {
            return let_holder(stmt);
        }
    }
    if let Some(stmt) = let_fed_by_tail(guard_expr) {
        // `let g = match cached { Some(g) => g, None => map.get(k).unwrap() };`: the guard is the
        // value of the arm, which the `let` binds.
        return let_holder(stmt);
    }
    if let Some(let_expr) = ast::LetExpr::cast(parent.clone()) {
        // `if let Ok(g) = m.write()` / `if let Some(g) = m.try_lock()`.
        let if_expr = let_expr.syntax().parent().and_then(ast::IfExpr::cast);
        if let (Some(if_expr), Some(pat)) = (if_expr, let_expr.pat()) {
            let bindings = pat
                .syntax()
                .descendants()
                .filter_map(ast::IdentPat::cast)
                .collect::<Vec<_>>();
            if let ([binding], Some(then_branch)) = (bindings.as_slice(), if_expr.then_branch())
                && binding.ref_token().is_none()
            {
                return Holder::IfLet {
                    if_expr: if_expr.clone(),
                    pat: binding.clone(),
                    then_branch,
                };
            }
        }
    }
    Holder::Temporary
}

/// The `let` whose value `expr` becomes as the tail of a block, an `if`/`else` branch or a
/// `match` arm (`let g = if c { a.lock() } else { b.lock() };`). A condition, a scrutinee or a
/// statement on the way is not a value flowing to the `let`.
fn let_fed_by_tail(expr: &ast::Expr) -> Option<ast::LetStmt> {
    let mut value = expr.syntax().clone();
    loop {
        let parent = value.parent()?;
        match parent.kind() {
            SyntaxKind::STMT_LIST => {
                let list = ast::StmtList::cast(parent.clone())?;
                if list.tail_expr()?.syntax() != &value {
                    return None;
                }
                let block = ast::BlockExpr::cast(parent.parent()?)?;
                // An `async`/`gen` block's tail is the value of a future, a `try` block's is
                // wrapped, a `const` block's is no guard: only plain, `unsafe` and labelled
                // blocks hand their tail to the code around them.
                if !matches!(
                    block.modifier(),
                    None | Some(ast::BlockModifier::Unsafe(_) | ast::BlockModifier::Label(_))
                ) {
                    return None;
                }
                value = block.syntax().clone();
            }
            SyntaxKind::MATCH_ARM => {
                let arm = ast::MatchArm::cast(parent.clone())?;
                if arm.expr()?.syntax() != &value {
                    return None;
                }
                value = parent
                    .parent()?
                    .parent()
                    .filter(|m| m.kind() == SyntaxKind::MATCH_EXPR)?;
            }
            SyntaxKind::IF_EXPR => {
                let if_expr = ast::IfExpr::cast(parent.clone())?;
                if if_expr.condition().is_some_and(|c| c.syntax() == &value) {
                    return None;
                }
                value = parent;
            }
            SyntaxKind::LET_STMT => {
                let stmt = ast::LetStmt::cast(parent)?;
                return stmt
                    .initializer()
                    .is_some_and(|i| i.syntax() == &value)
                    .then_some(stmt);
            }
            _ => return None,
        }
    }
}

/// Whether a `match` on a lock result hands the guard itself to the `let` around it
/// (`Ok(g) => g`, `Err(e) => e.into_inner()`, or an arm that leaves), rather than a value computed
/// from it (`Ok(g) => g.len()`), in which case the guard is a temporary of the `let`.
fn arms_yield_the_guard(m: &ast::MatchExpr) -> bool {
    let Some(arms) = m.match_arm_list() else {
        return false;
    };
    let mut yields = false;
    for arm in arms.arms() {
        let Some(mut expr) = arm.expr() else {
            return false;
        };
        // `Ok(g) => { g }`
        while let ast::Expr::BlockExpr(b) = &expr {
            match b.stmt_list().and_then(|l| {
                l.statements()
                    .next()
                    .is_none()
                    .then(|| l.tail_expr())
                    .flatten()
            }) {
                Some(tail) => expr = tail,
                None => break,
            }
        }
        let bound: Vec<String> = arm
            .pat()
            .map(|p| {
                syntax::pattern_bindings(&p)
                    .iter()
                    .map(syntax::ident_name)
                    .collect()
            })
            .unwrap_or_default();
        let ok = match &expr {
            ast::Expr::PathExpr(p) => {
                let named = bound.iter().any(|b| *b == p.syntax().text().to_string());
                yields |= named;
                named
            }
            ast::Expr::MethodCallExpr(c) => c.name_ref().is_some_and(|n| n.text() == "into_inner"),
            ast::Expr::ReturnExpr(_) | ast::Expr::BreakExpr(_) | ast::Expr::ContinueExpr(_) => true,
            ast::Expr::MacroExpr(_) => true,
            ast::Expr::BlockExpr(_) => true,
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    yields
}

/// A `let` that binds the guard: `let g = …`, `let mut g = …`, or `let Ok(g) = … else { … }`.
fn let_holder(stmt: ast::LetStmt) -> Holder {
    let pat = match stmt.pat() {
        Some(ast::Pat::WildcardPat(_)) => return Holder::Discarded,
        Some(ast::Pat::IdentPat(pat)) => Some(pat),
        Some(ast::Pat::TupleStructPat(tuple)) => {
            let bindings: Vec<_> = tuple
                .syntax()
                .descendants()
                .filter_map(ast::IdentPat::cast)
                .collect();
            match bindings.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            }
        }
        _ => None,
    };
    match (pat, syntax::as_block_item(stmt.syntax())) {
        (Some(pat), Some((list, index))) if pat.ref_token().is_none() => Holder::Let {
            stmt,
            pat,
            list,
            index,
        },
        _ => Holder::Temporary,
    }
}

/// The region in which the guard is alive.
fn live_region(guard_expr: &ast::Expr, holder: &Holder, edition: Edition) -> Option<TextRange> {
    let mut start = guard_expr.syntax().text_range().end();
    if let Holder::Let { stmt, .. } = holder
        && let Some(init) = stmt.initializer()
    {
        // The `let` holds the guard once its whole initializer has run: in `let g = match
        // m.try_lock() { Ok(g) => g, Err(_) => { m.lock(); return } };` or `let g = if c {
        // a.lock() } else { .. };` the other arms and branches hold nothing.
        start = start.max(init.syntax().text_range().end());
    }
    let end = match holder {
        Holder::Let { list, .. } => list.syntax().text_range().end(),
        Holder::IfLet { then_branch, .. } => then_branch.syntax().text_range().end(),
        Holder::Discarded => start,
        Holder::Temporary => temporary_scope_end(guard_expr.syntax(), edition),
    };
    Some(TextRange::new(start, end.max(start)))
}

/// Where a temporary created in `node` is dropped: the end of the enclosing statement, `if`
/// condition, match arm or loop body — with the edition's rules for block tails and `if let`.
fn temporary_scope_end(node: &SyntaxNode, edition: Edition) -> TextSize {
    let mut child = node.clone();
    for ancestor in node.ancestors().skip(1) {
        match ancestor.kind() {
            SyntaxKind::EXPR_STMT | SyntaxKind::LET_STMT => return ancestor.text_range().end(),
            SyntaxKind::IF_EXPR => {
                let if_expr = ast::IfExpr::cast(ancestor.clone());
                let is_condition =
                    if_expr.as_ref().and_then(|i| i.condition()).is_some_and(|c| c.syntax() == &child);
                if is_condition {
                    let is_let = child.kind() == SyntaxKind::LET_EXPR
                        || child.descendants().any(|d| d.kind() == SyntaxKind::LET_EXPR);
                    if !is_let {
                        // A plain `if` condition is a terminating scope.
                        return child.text_range().end();
                    }
                    if edition.at_least_2024() {
                        // 2024 drops `if let` scrutinee temporaries before the `else` branch.
                        if let Some(then_branch) = if_expr.and_then(|i| i.then_branch()) {
                            return then_branch.syntax().text_range().end();
                        }
                    }
                }
            }
            SyntaxKind::WHILE_EXPR => {
                let is_condition = ast::WhileExpr::cast(ancestor.clone())
                    .and_then(|w| w.condition())
                    .is_some_and(|c| c.syntax() == &child);
                if is_condition {
                    // A plain `while` condition is dropped before each run of the body (the loop is
                    // `loop { if cond { body } else { break } }`); a `while let` scrutinee lives
                    // through the body.
                    let is_let = child.kind() == SyntaxKind::LET_EXPR
                        || child.descendants().any(|d| d.kind() == SyntaxKind::LET_EXPR);
                    return if is_let { ancestor.text_range().end() } else { child.text_range().end() };
                }
            }
            SyntaxKind::MATCH_ARM
                // Arm bodies and guards are terminating scopes.
                if ast::Pat::cast(child.clone()).is_none() => {
                    return child.text_range().end();
                }
            SyntaxKind::STMT_LIST
                // `child` is the tail expression. Before 2024 its temporaries outlive the block.
                if edition.at_least_2024() => {
                    return ancestor.text_range().end();
                }
            SyntaxKind::FN | SyntaxKind::CLOSURE_EXPR | SyntaxKind::CONST | SyntaxKind::STATIC => {
                return ancestor.text_range().end();
            }
            SyntaxKind::BLOCK_EXPR if syntax::is_body(&ancestor) => return ancestor.text_range().end(),
            _ => {}
        }
        child = ancestor;
    }
    node.text_range().end()
}

/// `drop(name);` / `std::mem::drop(name);` statements inside `range`.
fn drop_statements(root: &SyntaxNode, range: TextRange, name: &str) -> Vec<ast::ExprStmt> {
    root.descendants()
        .filter_map(ast::ExprStmt::cast)
        .filter(|s| range.contains_range(s.syntax().text_range()))
        .filter(|s| {
            let Some(ast::Expr::CallExpr(call)) = s.expr() else {
                return false;
            };
            let callee = call
                .expr()
                .map(|e| e.syntax().text().to_string())
                .unwrap_or_default();
            let is_drop = matches!(
                callee.as_str(),
                "drop" | "mem::drop" | "std::mem::drop" | "core::mem::drop"
            );
            let args: Vec<_> = call
                .arg_list()
                .map(|a| a.args().collect())
                .unwrap_or_default();
            is_drop && args.len() == 1 && args[0].syntax().text() == name
        })
        .collect()
}

/// Whether the statement runs before `node` on every path: it is a statement of a block that
/// contains `node`, and comes before it.
fn dominates(stmt: &ast::ExprStmt, node: &SyntaxNode) -> bool {
    let Some(list) = stmt.syntax().parent() else {
        return false;
    };
    list.text_range().contains_range(node.text_range())
        && stmt.syntax().text_range().end() <= node.text_range().start()
}
