//! Re-locking: the same task asks a lock for a guard while it still holds one that excludes it —
//! `read()` then `write()`, `lock()` then `lock()` — directly, or by calling a method of `self`
//! (defined in the same file, on the same type) that locks the same field. The request waits for a
//! guard only the waiting task can release: a hang with no panic, for tokio, std and parking_lot
//! alike.
//!
//! Also here, because two transforms split these findings between them: where a temporary guard
//! in a `match` / `if let` / `while let` scrutinee lives through the arms ([`scrutinee_scope`]).

use ra_ap_syntax::{
    AstNode, NodeOrToken, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasArgList, HasLoopBody, HasName},
};

use super::crate_index::{impl_type_name, owner_type_name};
use super::decls::says_reentrant;
use super::facts::{CalleeLock, SemanticFacts};
use super::{AccessMode, Guard, Holder, LockScopes, events, syntax};

/// One request for a lock that is already held by the same task in an excluding mode.
#[derive(Debug, Clone)]
pub struct Relock {
    /// Index into [`LockScopes::guards`] of the guard that is still alive.
    pub held: usize,
    /// The second acquisition: in the same body, or in the method called.
    pub requested: Requested,
    /// The node where the request happens: the second lock call, or the call of the method that
    /// makes it. Releasing the held guard before this node resolves the hang.
    pub site: SyntaxNode,
    /// `Some("self.name")` when the request is made by a method called there (`self.name(..)`,
    /// `self.semaphore.add_permits(..)`): the receiver and the method, as the messages show them.
    pub via_method: Option<String>,
}

/// Where the second acquisition is.
#[derive(Debug, Clone)]
pub enum Requested {
    /// Index into [`LockScopes::guards`]: in this file.
    Here(usize),
    /// In the body of a method defined in another file, as rust-analyzer resolved it.
    InCallee(CalleeLock),
}

impl Relock {
    pub fn site_range(&self) -> TextRange {
        self.site.text_range()
    }

    /// The second acquisition's guard, when it is in this file.
    pub fn local<'s>(&self, scopes: &'s LockScopes) -> Option<&'s Guard> {
        match &self.requested {
            Requested::Here(index) => scopes.guards.get(*index),
            Requested::InCallee(_) => None,
        }
    }

    pub fn requested_mode(&self, scopes: &LockScopes) -> AccessMode {
        match &self.requested {
            Requested::Here(index) => scopes.guards[*index].mode,
            Requested::InCallee(lock) => lock.mode,
        }
    }

    /// How the second acquisition names the lock (`self.cache`).
    pub fn requested_path(&self, scopes: &LockScopes) -> String {
        match &self.requested {
            Requested::Here(index) => scopes.guards[*index].lock_path.clone(),
            Requested::InCallee(lock) => lock.identity.clone(),
        }
    }

    /// The method the second acquisition calls (`write`).
    pub fn requested_method(&self, scopes: &LockScopes) -> String {
        match &self.requested {
            Requested::Here(index) => scopes.guards[*index]
                .method_name_ref()
                .map(|n| n.text().to_string())
                .unwrap_or_default(),
            Requested::InCallee(lock) => lock.method.clone(),
        }
    }
}

/// Whether holding `held` makes a blocking request of mode `requested` on the same lock wait
/// forever. A read guard excludes writers (and, for parking_lot, upgradable readers are compatible
/// with readers only). A second read while reading waits behind a writer that queued in between:
/// tokio's `RwLock` is fair, and std's and parking_lot's may prefer writers (parking_lot has
/// `read_recursive` for exactly this), so it can hang too. DashMap's shards are left out of that:
/// nested reads of a map are its everyday use.
pub fn excludes(held: &Guard, requested: AccessMode) -> bool {
    use AccessMode::*;
    match held.mode {
        Read => {
            matches!(requested, Write)
                || (requested == Read
                    && !matches!(
                        held.kind,
                        super::LockKind::DashMap | super::LockKind::RefCell
                    ))
        }
        Upgradable => matches!(requested, Write | Upgradable),
        Write | Exclusive => true,
    }
}

/// `#[cfg(feature = "std")] let g = m.lock().unwrap(); #[cfg(not(feature = "std"))] let g = m.lock();`:
/// statements under `#[cfg]` may be alternatives of which only one is compiled. A guard and a second
/// lock that are both in such statements are left alone.
fn cfg_alternatives(guard: &Guard, site: &SyntaxNode) -> bool {
    let under_cfg = |node: &SyntaxNode| {
        node.ancestors()
            .take_while(|a| Some(a) != Some(&guard.body))
            .filter(|a| matches!(a.kind(), SyntaxKind::LET_STMT | SyntaxKind::EXPR_STMT))
            .any(|stmt| {
                stmt.children()
                    .filter_map(ast::Attr::cast)
                    .any(|a| syntax::compact_text(a.syntax()).starts_with("#[cfg("))
            })
    };
    // Only two statements that both carry a `#[cfg]` can be alternatives; a lock under `#[cfg]`
    // while an unconditional guard is alive is a relock whenever that configuration compiles.
    under_cfg(guard.call.syntax()) && under_cfg(site)
}

/// `match m.try_lock() { Ok(g) => …, Err(TryLockError::WouldBlock) => m.lock() }`: in the arm (or
/// `else` branch) for a failed `try_*`, no guard was taken. A poisoned result does carry one, so
/// only patterns that say `WouldBlock`, or `None`/`Err(_)` of a `try_` call, count.
fn in_failed_try_arm(guard: &Guard, site: &SyntaxNode) -> bool {
    if !is_non_blocking(guard) {
        return false;
    }
    let call = guard.call.syntax();
    let failed = |pat: &str| {
        let pat: String = pat.chars().filter(|c| !c.is_whitespace()).collect();
        pat == "None" || pat == "Err(_)" || pat.contains("WouldBlock")
    };
    for ancestor in site.ancestors() {
        if let Some(arm) = ast::MatchArm::cast(ancestor.clone()) {
            let matches_call = arm
                .syntax()
                .ancestors()
                .find_map(ast::MatchExpr::cast)
                .and_then(|m| m.expr())
                .is_some_and(|e| e.syntax() == call);
            if matches_call {
                return arm
                    .pat()
                    .is_some_and(|p| failed(&p.syntax().text().to_string()));
            }
        }
        if let Some(if_expr) = ast::IfExpr::cast(ancestor.clone())
            && let Some(ast::Expr::LetExpr(l)) = if_expr.condition()
            && l.expr().is_some_and(|e| e.syntax() == call)
        {
            // `if let Ok(g) = m.try_lock() { … } else { m.lock() }`
            let in_else = if_expr
                .else_branch()
                .is_some_and(|e| e.syntax().text_range().contains_range(site.text_range()));
            return in_else;
        }
    }
    false
}

/// `try_lock()`, `try_write()`…: they return at once instead of waiting.
fn is_non_blocking(guard: &Guard) -> bool {
    guard
        .method_name_ref()
        .is_some_and(|n| n.text().starts_with("try_"))
}

/// Every re-lock of the lock that `scopes.guards[held]` holds, in source order.
///
/// With `facts`, a method of `self` defined in another file counts too: rust-analyzer resolved the
/// call and found the lock in its body.
pub fn relocks(
    scopes: &LockScopes,
    file: &SyntaxNode,
    held: usize,
    facts: Option<&SemanticFacts>,
) -> Vec<Relock> {
    let guard = &scopes.guards[held];
    if guard.live.is_empty() || is_not_a_place(&guard.identity) || reentrant(scopes, guard) {
        return Vec::new();
    }
    let moved = moved_at(guard, file);
    let before_move =
        |site: &SyntaxNode| moved.is_none_or(|m| site.text_range().start() < m.start());
    let mut found = Vec::new();
    for &(_, inner) in scopes.nested_in(held) {
        let second = &scopes.guards[inner];
        let site = second.call.syntax();
        if second.identity == guard.identity
            && !cfg_alternatives(guard, site)
            && !in_failed_try_arm(guard, site)
            && !is_non_blocking(second)
            && excludes(guard, second.mode)
            && before_move(site)
            && !rebound_between(guard, site)
        {
            found.push(Relock {
                held,
                requested: Requested::Here(inner),
                site: site.clone(),
                via_method: None,
            });
        }
    }
    if guard.identity.starts_with("self.") {
        for call in &guard.calls {
            if call.kind != events::CallKind::Method || call.receiver.as_deref() != Some("self") {
                continue;
            }
            if !before_move(&call.node) {
                continue;
            }
            // This file's methods first, then the semantic tier's callee facts, then a lock
            // taken deeper in this file, then a method of the same type in another file.
            let requested = lock_taken_by(scopes, guard, &call.callee, call.awaited)
                .map(Requested::Here)
                .or_else(|| callee_lock(facts, guard, call).map(Requested::InCallee))
                .or_else(|| locked_deeper(scopes, guard, call).map(Requested::Here))
                .or_else(|| {
                    let owner = impl_type_name(guard.call.syntax())?;
                    crate_lock(scopes, guard, &owner, &call.callee, call.awaited)
                        .map(Requested::InCallee)
                });
            let Some(requested) = requested else {
                continue;
            };
            found.push(Relock {
                held,
                requested,
                site: call.node.clone(),
                via_method: Some(format!("self.{}", call.callee)),
            });
        }
    }
    found.extend(
        relocks_through_owner(scopes, guard, held)
            .into_iter()
            .chain(relocks_through_argument(scopes, guard, held))
            .chain(relocks_through_hand_offs(scopes, guard, held))
            .filter(|r| before_move(&r.site)),
    );
    found.sort_by_key(|r| r.site.text_range().start());
    // One relock per call: the same call can be found by more than one route.
    found.dedup_by_key(|r| r.site.text_range());
    found
}

/// A method called on the struct that owns the held lock, which locks it again:
/// `let w = self.semaphore.waiters.borrow_mut(); self.semaphore.add_permits(n)` where
/// `Inner::add_permits` borrows `self.waiters`, or `for e in self.status.inputs().iter() {
/// self.status.paused(e) }` where `paused` locks the `inputs` the getter locked. The owner's type
/// is read from declarations in this file (`semaphore: &'a Inner`), so that a method of the same
/// name on another type is not taken for it; `self.` receivers are [`relocks`]'s own case.
fn relocks_through_owner(scopes: &LockScopes, guard: &Guard, held: usize) -> Vec<Relock> {
    let Some((owner, field)) = guard.identity.rsplit_once('.') else {
        return Vec::new();
    };
    if owner == "self" || owner.contains(['(', '[', ' ']) {
        return Vec::new();
    }
    let mut found = Vec::new();
    // Read from the declarations once, and only when some call is on the owner.
    let mut owner_type: Option<Option<String>> = None;
    for call in &guard.calls {
        if call.kind != events::CallKind::Method
            || call.receiver.as_deref() != Some(owner)
            || hands_over_guard(guard, &call.node)
        {
            continue;
        }
        let Some(owner_type) = owner_type
            .get_or_insert_with(|| {
                owner_type_name(
                    &scopes.decls,
                    scopes.crate_index.as_deref(),
                    owner,
                    guard.call.syntax(),
                )
            })
            .as_deref()
        else {
            return Vec::new();
        };
        let requested = scopes.guards.iter().position(|g| {
            g.identity == format!("self.{field}")
                && !is_non_blocking(g)
                && excludes(guard, g.mode)
                && method_locks_on_call(g, &call.callee, call.awaited)
                && impl_type_name(g.call.syntax()).as_deref() == Some(owner_type)
        });
        // Else a method of the owner's type in another file of the crate.
        let requested = requested.map(Requested::Here).or_else(|| {
            crate_lock(scopes, guard, owner_type, &call.callee, call.awaited)
                .map(Requested::InCallee)
        });
        let Some(requested) = requested else {
            continue;
        };
        found.push(Relock {
            held,
            requested,
            site: call.node.clone(),
            via_method: Some(format!("{owner}.{}", call.callee)),
        });
    }
    found
}

/// A function of this file handed the held lock, or the value that owns it —
/// `Rtt::from(session.clone(), ..)`, `refresh(&self.cache)`, `reload(&state)` under `state.db`'s
/// guard — whose body locks the parameter it arrives in (or the same field of it): the callee
/// waits for the guard its caller holds. Path calls only (`Type::f`, `Self::f`, a free `f`): their
/// callee is found by name without knowing a receiver's type.
fn relocks_through_argument(scopes: &LockScopes, guard: &Guard, held: usize) -> Vec<Relock> {
    if guard.identity.contains(['(', '[']) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for call in &guard.calls {
        if call.kind != events::CallKind::Path || hands_over_guard(guard, &call.node) {
            continue;
        }
        // Each argument that is the lock (`rest` empty) or an owner of it (`rest` = `.db`).
        let handed = super::hand_offs::handed(call, &guard.identity);
        if handed.is_empty() {
            continue;
        }
        let Some(callee) = path_callee(scopes, guard, &call.callee) else {
            continue;
        };
        let requested = handed.iter().find_map(|(slot, rest)| {
            let wanted = format!(
                "{}{rest}",
                super::hand_offs::parameter_name(&callee, *slot)?
            );
            scopes.guards.iter().position(|g| {
                &g.body == callee.syntax()
                    && g.identity == wanted
                    && !is_non_blocking(g)
                    && excludes(guard, g.mode)
            })
        });
        if let Some(requested) = requested {
            found.push(Relock {
                held,
                requested: Requested::Here(requested),
                site: call.node.clone(),
                via_method: Some(call.callee.clone()),
            });
        }
    }
    found
}

/// A call handed the held lock or its owner whose callee, in the package, locks the same lock
/// again up to [`super::hand_offs::MAX_HOPS`] calls deep (`write_logs(&ex, ..)` under `ex.shas`'s
/// guard, when `write_logs` → `ex.crates()` → `into_ex_crate(self)` locks `ex.shas`): the crate
/// index followed the hand-off ([`super::hand_offs`]).
fn relocks_through_hand_offs(scopes: &LockScopes, guard: &Guard, held: usize) -> Vec<Relock> {
    let Some(index) = scopes.crate_index.as_deref() else {
        return Vec::new();
    };
    if guard.identity.contains(['(', '[']) {
        return Vec::new();
    }
    guard
        .calls
        .iter()
        .filter(|call| {
            call.receiver.as_deref() != Some("self") && !hands_over_guard(guard, &call.node)
        })
        .filter_map(|call| {
            let lock = super::hand_offs::hand_offs_of(call, &guard.identity)
                .iter()
                .filter_map(|h| index.handed_lock(h))
                .find(|lock| excludes(guard, lock.mode))?
                .clone();
            Some(Relock {
                held,
                requested: Requested::InCallee(CalleeLock {
                    identity: guard.identity.clone(),
                    mode: lock.mode,
                    kind: guard.kind,
                    method: call.callee.clone(),
                    location: lock.location,
                    callee_async: false,
                }),
                site: call.node.clone(),
                via_method: Some(call.callee.clone()),
            })
        })
        .collect()
}

/// The one function of this file that the path call `callee` names: `Self::f` and `Type::f` in an
/// `impl` of that type, a bare `f` outside any `impl`. A synchronous function only: an `async fn`
/// called without `.await` takes nothing yet, and awaited it is `guard-across-await`'s subject.
fn path_callee(scopes: &LockScopes, guard: &Guard, callee: &str) -> Option<ast::Fn> {
    let (owner, name) = match callee.rsplit_once("::") {
        Some(("Self", name)) => (Some(impl_type_name(guard.call.syntax())?), name),
        Some((path, name)) => (Some(path.rsplit("::").next()?.to_string()), name),
        None => (None, callee),
    };
    let mut candidates = scopes
        .decls
        .functions_named(name)
        .iter()
        .filter(|f| impl_type_name(f.syntax()) == owner && f.async_token().is_none());
    let only = candidates.next()?;
    candidates.next().is_none().then(|| only.clone())
}

/// A lock of the held guard's field that `owner::method`, defined in another file of the crate,
/// takes when called (the crate index the front end built; nothing without one).
fn crate_lock(
    scopes: &LockScopes,
    guard: &Guard,
    owner: &str,
    method: &str,
    awaited: bool,
) -> Option<CalleeLock> {
    let field = guard.identity.rsplit_once('.')?.1;
    let identity = format!("self.{field}");
    scopes
        .crate_index
        .as_deref()?
        .locks_on_call(owner, method, awaited)
        .into_iter()
        .find(|lock| {
            lock.identity == identity
                && excludes(guard, lock.mode)
                && !lock.method.starts_with("try_")
        })
}

/// Whether the call is handed the guard itself (`self.shared.notify_rx(tail)`, `f(&mut tail)`):
/// the callee then decides when it is released, and may release it before locking again.
pub(super) fn hands_over_guard(guard: &Guard, call: &SyntaxNode) -> bool {
    let Some(name) = guard.name() else {
        return false;
    };
    let args = ast::MethodCallExpr::cast(call.clone())
        .and_then(|c| c.arg_list())
        .or_else(|| ast::CallExpr::cast(call.clone()).and_then(|c| c.arg_list()));
    args.is_some_and(|args| {
        args.args().any(|arg| {
            let text = syntax::compact_text(arg.syntax());
            let text = text.trim_start_matches('&').trim_start_matches("mut ");
            text == name || text == format!("mut{name}")
        })
    })
}

/// A lock on the held guard's field that the called method (in another file) takes when called.
/// An `async fn` takes its locks when awaited; calling it only builds the future.
fn callee_lock(
    facts: Option<&SemanticFacts>,
    guard: &Guard,
    call: &events::Call,
) -> Option<CalleeLock> {
    let key = super::facts::site_key(&ast::MethodCallExpr::cast(call.node.clone())?)?;
    facts?
        .callee_locks
        .get(&key)?
        .iter()
        .find(|lock| {
            lock.identity == guard.identity
                && excludes(guard, lock.mode)
                && !lock.method.starts_with("try_")
                && (call.awaited || !lock.callee_async)
        })
        .cloned()
}

/// The acquisition of the held guard's lock that calling the method `name` of the same type makes
/// (in its own body), if it waits for the held guard.
fn lock_taken_by(scopes: &LockScopes, guard: &Guard, name: &str, awaited: bool) -> Option<usize> {
    scopes.guards.iter().position(|g| {
        g.identity == guard.identity
            && !is_non_blocking(g)
            && excludes(guard, g.mode)
            && method_locks_on_call(g, name, awaited)
            && same_self_type(guard.call.syntax(), g.call.syntax())
    })
}

/// A lock of the held guard's `self.<field>` taken two or three calls away, through methods of
/// the same type in this file (`self.run_worker()` calls `self.get_or_create_runtime()`, which
/// locks `self.runtime`). Each step is a call on `self` in the caller's own body, awaited when the
/// callee is `async`. The index of that acquisition.
fn locked_deeper(scopes: &LockScopes, guard: &Guard, call: &events::Call) -> Option<usize> {
    let same_type = |f: &ast::Fn| same_self_type(guard.call.syntax(), f.syntax());
    let runs = |f: &ast::Fn, awaited: bool| awaited || f.async_token().is_none();
    let mut frontier: Vec<ast::Fn> = scopes
        .decls
        .functions_named(&call.callee)
        .iter()
        .filter(|f| same_type(f) && runs(f, call.awaited))
        .cloned()
        .collect();
    let mut seen: Vec<ast::Fn> = frontier.clone();
    for _depth in 0..2 {
        let mut next = Vec::new();
        for function in &frontier {
            for (name, awaited) in scopes.decls.calls_on_self(function.syntax()) {
                let awaited = *awaited;
                let found = lock_taken_by(scopes, guard, name, awaited);
                if found.is_some() {
                    return found;
                }
                for callee in scopes.decls.functions_named(name) {
                    if same_type(callee) && runs(callee, awaited) && !seen.contains(callee) {
                        seen.push(callee.clone());
                        next.push(callee.clone());
                    }
                }
            }
        }
        frontier = next;
    }
    None
}

/// Whether `g` is taken in the body of the method `name` itself (not in a closure or async block
/// inside it), so that calling the method takes it. An `async fn` runs when awaited: a call that
/// only builds the future takes nothing yet.
fn method_locks_on_call(g: &Guard, name: &str, awaited: bool) -> bool {
    let Some(f) = ast::Fn::cast(g.body.clone()) else {
        return false;
    };
    f.name().is_some_and(|n| n.text() == name) && (awaited || f.async_token().is_none())
}

/// Both nodes are in `impl` blocks for the same type: a method name in another type's impl is
/// another method.
pub fn same_self_type(a: &SyntaxNode, b: &SyntaxNode) -> bool {
    let self_ty = |n: &SyntaxNode| {
        n.ancestors()
            .find_map(ast::Impl::cast)
            .and_then(|i| i.self_ty())
            .map(|t| syntax::compact_text(t.syntax()))
    };
    matches!((self_ty(a), self_ty(b)), (Some(x), Some(y)) if x == y)
}

/// A receiver that builds a new lock (`Mutex::new(0).lock()`) or whose text cannot name one place.
fn is_not_a_place(identity: &str) -> bool {
    identity.is_empty()
        || ["::new(", "::default(", "::from(", "new("]
            .iter()
            .any(|c| identity.contains(c))
}

/// A lock declared as `ReentrantMutex` (parking_lot, or std's unstable one) may be locked again by
/// the thread that holds it. A local or parameter of the guard's own function decides; otherwise a
/// field or static of that name anywhere in the file.
fn reentrant(scopes: &LockScopes, guard: &Guard) -> bool {
    let name = guard.lock_name.as_str();
    if name.is_empty() {
        return false;
    }
    let named = |pat: Option<ast::Pat>| matches!(pat, Some(ast::Pat::IdentPat(p)) if syntax::ident_name(&p) == name);
    let function = guard
        .call
        .syntax()
        .ancestors()
        .find(|a| a.kind() == SyntaxKind::FN);
    let mut local: Option<bool> = None;
    // What comes before the acquisition: its function's parameters and earlier `let`s (a walk of
    // the whole function per guard was quadratic in a long function's guards).
    let before = |f: &SyntaxNode| {
        let range = TextRange::new(
            f.text_range().start(),
            guard.call.syntax().text_range().start(),
        );
        syntax::descendants_meeting(f, range)
    };
    for node in function.iter().flat_map(before) {
        if let Some(param) = ast::Param::cast(node.clone())
            && named(param.pat())
        {
            local = Some(says_reentrant(param.ty().as_ref().map(|t| t.syntax())));
        } else if let Some(stmt) = ast::LetStmt::cast(node)
            && named(stmt.pat())
            && stmt.syntax().text_range().end() <= guard.call.syntax().text_range().start()
        {
            local = Some(
                says_reentrant(stmt.ty().as_ref().map(|t| t.syntax()))
                    || says_reentrant(stmt.initializer().as_ref().map(|i| i.syntax())),
            );
        }
    }
    if let Some(local) = local {
        return local;
    }
    scopes.decls.is_reentrant(name)
}

/// Where a named guard is moved away by value (`consume(g)`, `let h = g;`, `Some(g)`, `return g`):
/// from there on this binding no longer holds the lock. `drop(g)` is tracked separately, as
/// [`Guard::drops`].
pub fn moved_at(guard: &Guard, file: &SyntaxNode) -> Option<TextRange> {
    guard.uses(file).into_iter().find(|range| {
        let covering = match file.covering_element(*range) {
            NodeOrToken::Node(n) => Some(n),
            NodeOrToken::Token(t) => t.parent(),
        };
        let Some(path) = covering
            .into_iter()
            .flat_map(|n| n.ancestors())
            .find(|a| a.kind() == SyntaxKind::PATH_EXPR)
        else {
            return false;
        };
        if path.text_range() != *range {
            return false;
        }
        path.parent().is_some_and(|p| match p.kind() {
            SyntaxKind::ARG_LIST
            | SyntaxKind::LET_STMT
            | SyntaxKind::RETURN_EXPR
            | SyntaxKind::BREAK_EXPR
            | SyntaxKind::RECORD_EXPR_FIELD
            | SyntaxKind::TUPLE_EXPR
            | SyntaxKind::ARRAY_EXPR => true,
            // `other = g;` moves it; `g == x` does not, and neither does `g = m.lock()`, which
            // drops the old guard only after the new one is taken.
            SyntaxKind::BIN_EXPR => is_assignment(&p) && is_rhs(&p, &path),
            _ => false,
        })
    })
}

fn is_rhs(bin: &SyntaxNode, operand: &SyntaxNode) -> bool {
    ast::BinExpr::cast(bin.clone())
        .and_then(|b| b.rhs())
        .is_some_and(|rhs| rhs.syntax() == operand)
}

fn is_assignment(bin: &SyntaxNode) -> bool {
    ast::BinExpr::cast(bin.clone())
        .and_then(|b| b.op_kind())
        .is_some_and(|op| matches!(op, ast::BinaryOp::Assignment { op: None }))
}

/// Whether the local the lock is reached through (`store` in `store.write()`) is bound anew
/// between the held guard and `site`: the same text then names another lock.
fn rebound_between(guard: &Guard, site: &SyntaxNode) -> bool {
    let root: String = guard
        .identity
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if root.is_empty() || root == "self" {
        return false;
    }
    let between = TextRange::new(
        guard.call.syntax().text_range().end(),
        site.text_range()
            .start()
            .max(guard.call.syntax().text_range().end()),
    );
    syntax::binds_in(&guard.body, between, &root)
}

/// The construct whose scrutinee a temporary guard sits in, when the guard lives on into its arms.
#[derive(Debug, Clone)]
pub struct ScrutineeScope {
    pub kind: ScrutineeKind,
    /// The `match`, `if` or `while` expression.
    pub construct: SyntaxNode,
    /// The scrutinee expression (`m.lock().unwrap().get(&k)`; for `if let`/`while let` the
    /// expression after `=`).
    pub scrutinee: ast::Expr,
    /// The arms, branches or loop body: where the guard is alive although no code there names it.
    pub arms: TextRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScrutineeKind {
    Match,
    IfLet,
    WhileLet,
}

impl ScrutineeKind {
    pub fn describe(self) -> &'static str {
        match self {
            ScrutineeKind::Match => "match",
            ScrutineeKind::IfLet => "if let",
            ScrutineeKind::WhileLet => "while let",
        }
    }
}

/// For a temporary guard created in the scrutinee of a `match`, `if let` or `while let`: that
/// construct, when the guard is still alive in its arms (edition 2021 everywhere; edition 2024
/// ends `if let` temporaries before `else`, and the analysis's live region already says so).
pub fn scrutinee_scope(guard: &Guard) -> Option<ScrutineeScope> {
    if !matches!(guard.holder, Holder::Temporary) {
        return None;
    }
    let guard_range = guard.guard_expr.syntax().text_range();
    for ancestor in guard.guard_expr.syntax().ancestors().skip(1) {
        // Statements and bodies end the search: a temporary does not outlive them.
        if matches!(
            ancestor.kind(),
            SyntaxKind::STMT_LIST | SyntaxKind::CLOSURE_EXPR | SyntaxKind::FN
        ) {
            return None;
        }
        let found = if let Some(m) = ast::MatchExpr::cast(ancestor.clone()) {
            let scrutinee = m.expr();
            let arms = m.match_arm_list().map(|l| l.syntax().text_range());
            scrutinee
                .zip(arms)
                .map(|(s, a)| (ScrutineeKind::Match, s, a))
        } else if let Some(i) = ast::IfExpr::cast(ancestor.clone()) {
            let scrutinee = let_scrutinee(i.condition());
            let arms = i.then_branch().map(|t| {
                TextRange::new(t.syntax().text_range().start(), ancestor.text_range().end())
            });
            scrutinee
                .zip(arms)
                .map(|(s, a)| (ScrutineeKind::IfLet, s, a))
        } else if let Some(w) = ast::WhileExpr::cast(ancestor.clone()) {
            let scrutinee = let_scrutinee(w.condition());
            let arms = w.loop_body().map(|b| b.syntax().text_range());
            scrutinee
                .zip(arms)
                .map(|(s, a)| (ScrutineeKind::WhileLet, s, a))
        } else {
            None
        };
        let Some((kind, scrutinee, arms)) = found else {
            continue;
        };
        if !scrutinee.syntax().text_range().contains_range(guard_range) {
            // The guard is in an arm or branch of this construct, not in its scrutinee.
            return None;
        }
        let alive_in_arms = guard.live.end() > arms.start();
        return alive_in_arms.then(|| ScrutineeScope {
            kind,
            construct: ancestor.clone(),
            scrutinee,
            arms,
        });
    }
    None
}

/// `let PAT = EXPR` as a whole `if`/`while` condition: `EXPR`. Let chains are left out.
fn let_scrutinee(condition: Option<ast::Expr>) -> Option<ast::Expr> {
    match condition? {
        ast::Expr::LetExpr(l) => l.expr(),
        _ => None,
    }
}
