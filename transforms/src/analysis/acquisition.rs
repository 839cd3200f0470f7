//! Recognising an acquisition: whether a method call (`m.lock()`, `self.users()`, `cache.get(&k)`)
//! or a call of a crate's free function (`data::get()`) takes a lock, and if so which lock, of
//! what kind and mode, and how its result is unwrapped into the guard (`.unwrap()`, `?`,
//! `.await`).
//!
//! Invariants: the semantic tier's answer (a guard helper, or a receiver that is or is not a lock)
//! wins over the syntax tier's guesses; a call is a guard only when something shows it (a
//! declaration, a helper's return type, an unwrapped `Result`, or its use as a guard), and every
//! recognised guard goes through [`held_guard`], which fills in where it is held and what runs
//! while it is.

use ra_ap_syntax::{
    AstNode, Edition, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasArgList},
};

use super::guard_sources::{
    bare_read_used_as_guard, getter_lock_mode, shard_or_cell_borrow, used_as_guard,
};
use super::hold::{
    consumed_by_closure, drop_statements, holder_of, live_region, passed_on, stored_by_constructor,
};
use super::identity::{lock_identity, receiver_name};
use super::{
    Guard, Holder, KindIndex, LOCK_METHODS, LockKind, ReceiverFact, SemanticFacts, Tier,
    crate_index, decls, events, facts, is_owned_guard_method, is_timed_acquisition, kind,
    lock_method_mode, syntax,
};

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

/// A method of another file of the crate that returns a guard, called on a receiver whose type
/// the declarations name (`controller.status.input_status()`): its guard and the `self.<field>`
/// it locks for it.
pub(super) fn crate_helper(
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

pub(super) fn acquisition(
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
    let (kind, tier, kind_guessed) = match (helper, receiver_fact, local_helper) {
        (Some(helper), _, _) => (helper.kind, Tier::Semantic, false),
        (None, None, Some(local)) => {
            let kind = match local.kind {
                // `self.write().await` on `async fn write(&self) -> RwLockWriteGuard<..>`.
                LockKind::Unknown if awaited => kinds
                    .imported_async_kind()
                    .unwrap_or(LockKind::UnknownAsync),
                kind => kind,
            };
            (kind, Tier::Syntax, kind.is_unknown())
        }
        (None, Some(ReceiverFact::Lock(kind)), _) => (
            semantic_kind(kind, &method, awaited)?,
            Tier::Semantic,
            false,
        ),
        _ => {
            let declared = kinds.lookup(&lock_name).is_some();
            let kind = match infer_kind(kinds, &lock_name, &method, awaited, unwrapped) {
                Some(kind) => kind,
                None if bare_read_used_as_guard(&method, &guard_expr, &body, kinds, &lock_name) => {
                    LockKind::Unknown
                }
                None => return None,
            };
            // Without a declaration, `lock().unwrap()` is std's by its poisoning `Result`: a
            // guess rust-analyzer could overturn, as it could an unknown kind.
            let kind_guessed = kind.is_unknown() || (!declared && !awaited);
            if kind == LockKind::Unknown
                && !unwrapped
                && passed_on(&guard_expr)
                && !(is_owned_guard_method(&method) && stored_by_constructor(&guard_expr))
            {
                // A bare `lock()` handed to a function (`join(m.lock(), …)`) is as likely a future
                // as a guard; without a declaration there is nothing to go on.
                return None;
            }
            (kind, Tier::Syntax, kind_guessed)
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
        Decided { tier, kind_guessed },
        (guard_expr, awaited),
        body,
        edition,
    )
}

/// Who decided a guard's kind, and how firmly.
struct Decided {
    tier: Tier,
    /// See [`Guard::kind_guessed`].
    kind_guessed: bool,
}

/// How a guard's lock is named: for messages, for "the same lock" questions, for kind lookup.
struct Named {
    lock_path: String,
    identity: String,
    lock_name: String,
}

/// A call of a free function of the crate that returns a guard (`data::get()` for `pub fn get()
/// -> RwLockWriteGuard<'static, ZineData>` in `src/data.rs`): every call is the same lock.
pub(super) fn free_acquisition(
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
        Decided {
            tier: Tier::Syntax,
            kind_guessed: guard_type.kind.is_unknown(),
        },
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
    Decided { tier, kind_guessed }: Decided,
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
        kind_guessed,
        guard_expr,
        awaited,
        holder,
        body,
        live,
        drops: Vec::new(),
        awaits: Vec::new(),
        calls: Vec::new(),
        evaluated_before: None,
        uses_memo: Default::default(),
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
        // Only the part of the body the guard is alive in is walked: a long function that takes
        // several locks was walked whole, three times, for each of them.
        guard.awaits = syntax::descendants_meeting(&guard.body, guard.live)
            .filter_map(ast::AwaitExpr::cast)
            .filter(|a| {
                a.await_token()
                    .is_some_and(|t| guard.alive_at(t.text_range().start(), a.syntax()))
            })
            .collect();
        guard.calls =
            events::calls_within(&guard.body, guard.live, |at, node| guard.alive_at(at, node));
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
