//! `read-then-write`: a guard still alive when the same task locks the same lock again.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::Context;
use crate::analysis::relock::{Relock, Requested, relocks, scrutinee_scope};
use crate::analysis::{AccessMode, Guard, Holder, held, syntax};
use crate::fixes::clone_evidence::helper_value_is_clone;
use crate::fixes::drop_at_last_use::drop_at_last_use;
use crate::fixes::extract_check::extract_check;
use crate::fixes::release::{Blocked, node_at, release_before, title_with_caveat};
use crate::model::{Applicability, Finding, Fix, Label, RuleDoc, RuleId, Severity};

pub const DOC: RuleDoc = RuleDoc {
    id: RuleId::ReadThenWrite,
    summary: "A guard is still alive when the same task locks the same lock again",
    explanation: r#"## What it does
Reports a guard that is still alive when the same task asks the same lock for a guard it excludes:
`read()` then `write()`, `lock()` then `lock()`, `write()` then `read()`. "The same lock" is the same
place — the same path (`state.user_store`, `self.names`) or the same binding, through `Arc` clones
and local aliases visible in the function. A call to a method of `self`, defined in the same file
on the same type, that locks the same field counts too (a write guard alive across
`self.update_metrics().await`, which takes `self.state.read()`), also through up to two more such
calls (`self.run_worker()` → `self.get_or_create_runtime()` → `self.runtime.lock()`). So does a
method called on the struct that owns the lock (`self.semaphore.add_permits(n)` while
`self.semaphore.waiters` is borrowed, when `Inner::add_permits` borrows `self.waiters`): the
owner's type is read from the file's declarations (`semaphore: &'a Inner`), so a method of the
same name on another type does not count, nor does a call handed the guard itself. So does a
call handed the lock, or a value that owns it (`Rtt::from(session.clone(), ..)`, `reload(&state)`
under `state.db`'s guard), when the function called locks the same field of what it was handed:
in this file by path (`Type::f`, `Self::f`, a free `f`), and across the package through up to
three calls (receivers and arguments, each function found by its name when one file declares
it). A getter
named like a lock (`chain.fork_choice_read_lock()`, `x.lock_or_panic()`) whose result is used as
a guard is a lock of unknown kind, the same lock each time it is called on the same receiver.

A read guard still alive when the same task reads the same lock again is reported too (tokio's
`RwLock` is fair and std's and parking_lot's may prefer writers: a writer that queues between the
two reads waits for the first, and the second read waits behind the writer). A guard can be a
`RefCell` borrow (`borrow()` then `borrow_mut()` panics), a DashMap reference (`get(&k)` alive while
the same map is written locks the shard against itself) or come from a function of the same file
that returns one (`fn users(&self) -> RwLockReadGuard<..>`).

A read guard in an `if` condition is not reported (the condition's temporaries die before the
block runs), nor a read scoped in a block before the write, nor guards of two different locks. A
temporary guard in a `match` / `if let` / `while let` scrutinee whose arms lock again is reported by
`guard-in-scrutinee`.

## Why is this bad?
No lock here is re-entrant: the second request waits for the guard the same task holds, and that
guard is only released when the request returns. It hangs forever, with no panic and no error —
with `tokio::sync`, `std::sync` and `parking_lot` alike (seed 001: a signup handler whose
integration test hung on `write().await` because the read guard of the duplicate check was still in
scope).

## Example
```rust
async fn signup(state: AppState, email: String, user: User) -> Result<(), AuthError> {
    let store = state.user_store.read().await;
    if store.get_user(&email).await.is_ok() {
        return Err(AuthError::UserAlreadyExists);
    }
    state.user_store.write().await.add_user(user).await
}
```

## Use instead
```rust
async fn signup(state: AppState, email: String, user: User) -> Result<(), AuthError> {
    let user_exists = {
        let store = state.user_store.read().await;
        store.get_user(&email).await.is_ok()
    };
    if user_exists {
        return Err(AuthError::UserAlreadyExists);
    }
    state.user_store.write().await.add_user(user).await
}
```

## Fix safety
The fix moves the first guard and the statements that use it into a block that ends before the
second lock; when the guard's last use is the condition of an `if` (or the scrutinee of a
`match`), the block returns that value (`let user_exists = { … };`, seed 001). A second read whose
later guard is a temporary reads through the guard already held instead (`(n, self.blocks.read()
.await.last())` → `(n, blocks.last())`): **safe**, the same data under the same read lock. So does a
read under a write guard whose temporary is only borrowed, dereferenced or called on
(`apply_schema(&schema.read())` → `apply_schema(&schema_write)`, corrosion's fix): **safe**, the
writer sees what a reader would, and nothing else runs in between. Otherwise
the fix is always
**unsafe**: the read and the write become two critical sections, which opens a check-then-act
window — another task can change the data between the check and the write. The window is closed
when the write side checks again under the write lock (seed 001's `add_user` refuses a duplicate;
`entry(..)` APIs do it by construction); the fix title says whether such a recheck is visible. Where
it is not, take the write lock once for both the check and the update instead.
A reference a helper of another file of the crate returns (a DashMap `MappedRef`:
`let track = server.retrieve::<Track>(id)?;`), still alive at the second lock, becomes a clone
of the value behind it (`server.retrieve::<Track>(id)?.clone()`) when the crate index shows that
type is `Clone` (a `#[derive(Clone)]` or `impl Clone` of the package): **unsafe**, later reads see
the copy, not the map.

## Known problems
No fix when the first guard is still used after the second lock (the two sections overlap: take
the write lock once), or when the first guard is a temporary; for a second read, when both
guards are bound to names. DashMap's own nested reads are not reported. Locks stored in two fields
are not recognised as the same; a function handed the lock is followed only by its name (a name
declared in two files of the package, or a common one such as `get` or `send`, is not followed),
and a function reached through a method of another type is followed only when the lock travels
as its receiver or argument. A `ReentrantMutex` is never reported."#,
};

pub fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (index, guard) in ctx.scopes.guards.iter().enumerate() {
        let scrutinee = scrutinee_scope(guard);
        let found: Vec<Relock> = relocks(ctx.scopes, ctx.file, index, ctx.facts)
            .into_iter()
            // A temporary in a scrutinee, locked again in the arms, is guard-in-scrutinee's.
            .filter(|r| {
                scrutinee
                    .as_ref()
                    .is_none_or(|s| !s.arms.contains_range(r.site_range()))
            })
            .collect();
        if found.is_empty() {
            continue;
        }
        out.push(finding(ctx, guard, &found));
    }
}

fn finding(ctx: &Context<'_>, guard: &Guard, found: &[Relock]) -> Finding {
    let first = &found[0];
    let requested_path = first.requested_path(ctx.scopes);
    let subject = match guard.name() {
        Some(name) => format!("`{name}`"),
        None => "(a temporary)".to_string(),
    };
    let what = format!(
        "{} {} guard {subject} on `{}`",
        guard.kind.describe(),
        guard.mode.describe(),
        guard.lock_path
    );
    let again = requested_phrase(first.requested_mode(ctx.scopes));
    // Through an alias the second lock may be written differently: say that it is the same lock.
    let relocked = if requested_path == guard.lock_path {
        format!("`{}`", guard.lock_path)
    } else {
        format!("`{requested_path}` (the same lock)")
    };
    let second_read =
        guard.mode == AccessMode::Read && first.requested_mode(ctx.scopes) == AccessMode::Read;
    let (message, site_label) = match &first.via_method {
        None if guard.kind.is_cell() => (
            format!(
                "{what} is still alive when the same code borrows {relocked} again{again}: the `{}()` panics \
                 (already borrowed)",
                first.requested_method(ctx.scopes)
            ),
            "the same cell is borrowed again here while the first borrow is alive".to_string(),
        ),
        None if guard.kind == crate::analysis::LockKind::DashMap => (
            format!(
                "{what} is still alive when the same task locks {relocked} again{again}: the `{}()` deadlocks when \
                 its key falls in the shard the reference holds",
                first.requested_method(ctx.scopes)
            ),
            format!("the same map is locked here{again} while the reference is alive"),
        ),
        None if second_read => (
            format!(
                "{what} is still alive when the same task reads {relocked} again: a writer that queues in between \
                 waits for the first guard, and the second `{}()` waits behind the writer, forever",
                first.requested_method(ctx.scopes)
            ),
            "the same lock is read again here while the read guard is alive".to_string(),
        ),
        None => (
            format!(
                "{what} is still alive when the same task locks {relocked} again{again}: the `{}()` waits forever \
                 for a guard only this task can release",
                first.requested_method(ctx.scopes)
            ),
            format!("the same lock is requested here{again} while the guard is alive"),
        ),
        Some(method) if guard.kind.is_cell() => (
            format!(
                "{what} is still alive when `{method}()` borrows `{}` again{again}: the call panics (already \
                 borrowed)",
                guard.lock_path
            ),
            format!("`{method}()` borrows `{}`{again} here", guard.lock_path),
        ),
        Some(method) if guard.kind == crate::analysis::LockKind::DashMap => (
            format!(
                "{what} is still alive when `{method}()` locks the same map again{again}: the call \
                 deadlocks when its key falls in the shard the reference holds",
            ),
            format!("`{method}()` locks the same map{again} here"),
        ),
        Some(method) if second_read => (
            format!(
                "{what} is still alive when `{method}()` reads `{}` again: a writer that queues in between waits \
                 for the first guard, and the second read waits behind the writer, forever",
                guard.lock_path
            ),
            format!("`{method}()` reads `{}` again here", guard.lock_path),
        ),
        Some(method) => (
            format!(
                "{what} is still alive when `{method}()` locks `{}` again{again}: the call waits forever for \
                 a guard only this task can release",
                guard.lock_path
            ),
            format!("`{method}()` locks `{}`{again} here", guard.lock_path),
        ),
    };
    let mut labels = vec![Label {
        range: syntax::to_range(first.site_range()),
        message: if found.len() > 1 {
            format!("{site_label} ({} more after it)", found.len() - 1)
        } else {
            site_label
        },
    }];
    match (&first.via_method, &first.requested) {
        (Some(method), Requested::Here(index)) => labels.push(Label {
            range: syntax::to_range(ctx.scopes.guards[*index].primary_range()),
            message: format!(
                "`{}` takes the lock here",
                method.rsplit('.').next().unwrap_or(method)
            ),
        }),
        (Some(method), Requested::InCallee(lock)) => {
            // The lock is in another file: name the place on the call itself.
            labels[0].message = format!(
                "{} (`{}` takes the lock at {})",
                labels[0].message,
                method.rsplit('.').next().unwrap_or(method),
                lock.location
            );
        }
        (None, _) => {}
    }
    // Reading through the guard already held needs no second lock: a read guard for a second
    // read, and a write guard for a read whose result is only looked through (corrosion's
    // `apply_schema(.., &schema.read())` under `schema_write`).
    let read_under_write = guard.mode == AccessMode::Write
        && first.requested_mode(ctx.scopes) == AccessMode::Read
        && only_looked_through(ctx, first);
    let reused = (second_read || read_under_write)
        .then(|| reuse_guard(ctx, guard, first).ok())
        .flatten();
    let (fix, help) = match reused {
        Some(fix) => (
            Some(fix),
            "read through the guard this task already holds".to_string(),
        ),
        // Otherwise release the first guard before the second lock, as for any relock.
        None => match build_fix(ctx, guard, first) {
            Ok(fix) => (Some(fix), release_help(guard)),
            Err(reason) if let Some(fix) = helper_value_copy(ctx, guard, &reason) => (
                Some(fix),
                "clone the value out of the reference so that it is released at the end of the `let`".to_string(),
            ),
            Err(_) if second_read => (
                None,
                "read through the guard this task already holds instead of locking again"
                    .to_string(),
            ),
            Err(reason) => (None, reason),
        },
    };
    Finding {
        tier: crate::analysis::Tier::Syntax,
        rule: RuleId::ReadThenWrite,
        severity: Severity::Error,
        range: syntax::to_range(guard.primary_range()),
        message,
        labels,
        help: Some(help),
        fix,
    }
}

/// A reference returned by a helper of this file or another of the crate (a DashMap `MappedRef`),
/// bound to a name and still alive at the second lock: the binding becomes a clone of the value
/// behind it (`server.retrieve::<Track>(id)?.clone()`), when the file or the crate index shows
/// that value's type is `Clone`, so that the reference is released at the end of its `let` (the
/// snapshot fix). Unsafe: later reads see the copy, not the map.
fn helper_value_copy(ctx: &Context<'_>, guard: &Guard, reason: &str) -> Option<Fix> {
    let index = ctx.scopes.crate_index.as_deref();
    if !helper_value_is_clone(ctx.file, &ctx.scopes.decls, index, &guard.call) {
        return None;
    }
    let mut fix = super::guard_across_await::snapshot_fix(ctx, guard, reason.to_string()).ok()?;
    fix.title =
        "Clone the value out of the reference and release it at the end of the `let` (later reads \
                 see the copy; the value's type is `Clone`)"
            .to_string();
    fix.applicability = Applicability::Unsafe;
    Some(fix)
}

fn requested_phrase(mode: AccessMode) -> &'static str {
    match mode {
        AccessMode::Read => " for reading",
        AccessMode::Write => " for writing",
        AccessMode::Upgradable => " for an upgradable read",
        AccessMode::Exclusive => "",
    }
}

fn release_help(guard: &Guard) -> String {
    let single = match guard.mode {
        AccessMode::Read | AccessMode::Upgradable => {
            "or take the write lock once for both the check and the update"
        }
        AccessMode::Write | AccessMode::Exclusive => "or do both parts under the first guard",
    };
    format!("release the guard before locking again, {single}")
}

/// A second read of a lock the task already reads: the temporary second guard is replaced by the
/// first one (`self.cache.read().len()` → `cache.len()`). Safe: the same data, read under the
/// same read lock, without queueing for it again.
/// Whether the second guard's value is only borrowed, dereferenced or called through
/// (`&m.read()`, `*m.read()`, `m.read().len()`), never moved: a write guard of the same lock can
/// then stand in for it.
fn only_looked_through(ctx: &Context<'_>, relock: &Relock) -> bool {
    let Requested::Here(index) = &relock.requested else {
        return false;
    };
    let second = &ctx.scopes.guards[*index];
    let expr = second.guard_expr.syntax();
    expr.parent().is_some_and(|parent| match parent.kind() {
        SyntaxKind::REF_EXPR | SyntaxKind::FIELD_EXPR => true,
        SyntaxKind::PREFIX_EXPR => ast::PrefixExpr::cast(parent)
            .and_then(|p| p.op_kind())
            .is_some_and(|op| op == ast::UnaryOp::Deref),
        SyntaxKind::METHOD_CALL_EXPR => ast::MethodCallExpr::cast(parent)
            .and_then(|m| m.receiver())
            .is_some_and(|r| r.syntax() == expr),
        _ => false,
    })
}

fn reuse_guard(ctx: &Context<'_>, guard: &Guard, relock: &Relock) -> Result<Fix, String> {
    let no_fix =
        || "read through the guard this task already holds instead of locking again".to_string();
    let (Some(name), Requested::Here(index)) = (guard.name(), &relock.requested) else {
        return Err(no_fix());
    };
    let second = &ctx.scopes.guards[*index];
    if !matches!(second.holder, Holder::Temporary) || relock.via_method.is_some() {
        return Err(no_fix());
    }
    // The first guard must be what `name` means at the second lock: not shadowed before it.
    let at = second.call.syntax().text_range().start();
    if syntax::binds_in(
        &guard.body,
        TextRange::new(guard.live.start(), at.max(guard.live.start())),
        &name,
    ) {
        return Err(no_fix());
    }
    let range = syntax::to_range(second.guard_expr.syntax().text_range());
    Ok(Fix {
        title: format!("Read through `{name}`, the guard this task already holds"),
        applicability: Applicability::Safe,
        edits: vec![rejoined_let(
            ctx.text,
            second.guard_expr.syntax(),
            range,
            &name,
        )],
    })
}

/// Replaces `range` with `replacement`; when that is inside a `let` that rustfmt had broken after
/// its `=` only because the line was too long, and the shorter statement now fits on one line,
/// the statement is joined as rustfmt would lay it out (a fix keeps rustfmt-clean code clean).
fn rejoined_let(
    text: &str,
    inside: &SyntaxNode,
    range: std::ops::Range<usize>,
    replacement: &str,
) -> crate::model::TextEdit {
    const MAX_WIDTH: usize = 100;
    let plain = crate::model::TextEdit {
        range: range.clone(),
        replacement: replacement.to_string(),
    };
    let Some(stmt) = inside.ancestors().find_map(ast::LetStmt::cast) else {
        return plain;
    };
    let stmt_range = syntax::to_range(stmt.syntax().text_range());
    let edited = format!(
        "{}{replacement}{}",
        &text[stmt_range.start..range.start],
        &text[range.end..stmt_range.end]
    );
    let Some((head, tail)) = edited.split_once('\n') else {
        return plain;
    };
    if !head.trim_end().ends_with('=') || tail.contains('\n') {
        return plain;
    }
    let joined = format!("{} {}", head.trim_end(), tail.trim_start());
    let indent = syntax::line_indent(text, stmt_range.start).len();
    if indent + joined.len() > MAX_WIDTH {
        return plain;
    }
    crate::model::TextEdit {
        range: stmt_range,
        replacement: joined,
    }
}

fn build_fix(ctx: &Context<'_>, guard: &Guard, relock: &Relock) -> Result<Fix, String> {
    let phrase = match &relock.via_method {
        None => format!("the `{}()`", relock.requested_method(ctx.scopes)),
        Some(method) => format!("the call to `{method}()`"),
    };
    let scoped = match &guard.holder {
        Holder::Let { list, index, .. } => let_fix(ctx, guard, relock, list, *index, &phrase),
        Holder::IfLet { .. } => {
            release_before(ctx.text, ctx.file, guard, &relock.site, &phrase).map_err(blocked)
        }
        // The value computed from the temporary, bound in its own statement before the relock.
        Holder::Temporary => {
            release_before(ctx.text, ctx.file, guard, &relock.site, &phrase).map_err(|_| {
                "compute what is needed from the first guard in a statement of its own, then lock again"
                    .to_string()
            })
        }
        Holder::Discarded => {
            return Err(
                "compute what is needed from the first guard in a statement of its own, then lock again"
                    .to_string(),
            );
        }
    };
    // Where no block can end before the second lock (it is inside a branch the first guard's
    // uses precede), the maintainers' one line: `drop(guard)` after its last use.
    let base = match scoped {
        Ok(base) => base,
        Err(reason) => {
            let data = held::guard_data_names(ctx.file, guard, ctx.scopes.crate_index.as_deref());
            let edits =
                drop_at_last_use(ctx.text, ctx.file, guard, &data, &relock.site).ok_or(reason)?;
            Fix {
                title: format!(
                    "Release the guard after its last use (`drop({})`), before {phrase}",
                    guard.name().unwrap_or_default()
                ),
                applicability: Applicability::Unsafe,
                edits,
            }
        }
    };
    Ok(Fix {
        title: format!("{} ({})", base.title, window_note(ctx, guard, relock)),
        applicability: Applicability::Unsafe,
        edits: base.edits,
    })
}

/// A `let` guard: seed 001's check extraction when the guard's last use is the condition of an
/// `if` / the scrutinee of a `match` (at or before the second lock), else the plain scoped block.
fn let_fix(
    ctx: &Context<'_>,
    guard: &Guard,
    relock: &Relock,
    list: &ast::StmtList,
    index: usize,
    phrase: &str,
) -> Result<Fix, String> {
    let uses = guard.uses(ctx.file);
    let name = guard.name().unwrap_or_default();
    if let Some(fix) = drop_before_reassignment(ctx, relock, &name, phrase) {
        return Ok(fix);
    }
    let Some(last_use) = uses.last() else {
        return Err(
            "the guard is never used: if it serialises the code after it on purpose, the second lock still hangs; \
             release it before locking again"
                .to_string(),
        );
    };
    let last_item = syntax::item_containing(list, &node_at(ctx.file, *last_use));
    let site_item = syntax::item_containing(list, &relock.site);
    if let (Some(last_item), Some(site_item)) = (last_item, site_item)
        && last_item <= site_item
        && let Some(extraction) = extract_check(
            ctx.text,
            ctx.file,
            &guard.body,
            list,
            index,
            last_item,
            &name,
        )
    {
        let in_value = extraction.edits[1].range.clone();
        let site = syntax::to_range(relock.site.text_range());
        // The second lock must not be part of the value that is now computed under the guard.
        if !(in_value.start <= site.start && site.end <= in_value.end) {
            return Ok(Fix {
                title: title_with_caveat(
                    &format!(
                        "Compute `{}` in a block that releases the guard before {phrase}",
                        extraction.name
                    ),
                    &extraction.copied,
                ),
                applicability: Applicability::Unsafe,
                edits: extraction.edits,
            });
        }
    }
    release_before(ctx.text, ctx.file, guard, &relock.site, phrase).map_err(blocked)
}

/// `g = m.lock().unwrap();` while the old `g` is alive: the old guard is dropped by the
/// assignment, after the new lock is taken. Dropping it explicitly first is the rewrite (a scope
/// cannot end before a statement that assigns the binding).
fn drop_before_reassignment(
    ctx: &Context<'_>,
    relock: &Relock,
    name: &str,
    phrase: &str,
) -> Option<Fix> {
    let stmt = relock.site.ancestors().find_map(ast::ExprStmt::cast)?;
    let ast::Expr::BinExpr(assign) = stmt.expr()? else {
        return None;
    };
    let assigns_guard = matches!(
        assign.op_kind(),
        Some(ast::BinaryOp::Assignment { op: None })
    ) && matches!(assign.lhs(), Some(ast::Expr::PathExpr(p)) if p.syntax().text() == name)
        && assign.rhs().is_some_and(|r| {
            r.syntax()
                .text_range()
                .contains_range(relock.site.text_range())
        });
    if !assigns_guard {
        return None;
    }
    let start = usize::from(stmt.syntax().text_range().start());
    let indent = syntax::line_indent(ctx.text, start);
    Some(Fix {
        title: format!("Drop the old guard `{name}` before {phrase}"),
        applicability: Applicability::Unsafe,
        edits: vec![crate::model::TextEdit {
            range: start..start,
            replacement: format!("drop({name});{}{indent}", syntax::eol(ctx.text)),
        }],
    })
}

fn blocked(reason: Blocked) -> String {
    match reason {
        Blocked::UsedAtOrAfter { .. } => {
            "the first guard is still used at or after the second lock, so the two critical sections overlap: take \
             the write lock once for the whole section (or do everything under the first guard)"
                .to_string()
        }
        Blocked::Unused => {
            "the guard is never used; release it before locking again".to_string()
        }
        Blocked::Other(reason) => reason,
    }
}

/// What the fix note says about the check-then-act window it opens, and whether the second
/// critical section visibly closes it.
fn window_note(ctx: &Context<'_>, guard: &Guard, relock: &Relock) -> String {
    let second = if relock.via_method.is_some() {
        "the called method's lock"
    } else {
        match relock.requested_mode(ctx.scopes) {
            AccessMode::Write => "the write lock",
            _ => "the second lock",
        }
    };
    let opens = match guard.mode {
        AccessMode::Read | AccessMode::Upgradable => {
            "this opens a check-then-act window: another task can change the data between the check and the write"
        }
        AccessMode::Write | AccessMode::Exclusive => {
            "this splits one critical section in two: another task can run in between, a check-then-act window \
             wherever the second part relies on what the first saw"
        }
    };
    match recheck(ctx, relock, second) {
        Some(evidence) => format!("{opens}; {evidence}, which closes it"),
        None => format!("{opens}; it stays open unless the code under {second} checks again"),
    }
}

/// Visible evidence that the second critical section checks the state again before writing: a
/// condition on the second guard, an `entry(..)` on it, or a method called on it, defined in this
/// file, that branches on its own state before it writes (seed 001's `add_user`).
fn recheck(ctx: &Context<'_>, relock: &Relock, second_lock: &str) -> Option<String> {
    if relock.via_method.is_some() {
        return None;
    }
    let second = relock.local(ctx.scopes)?;
    let region = TextRange::new(
        second.guard_expr.syntax().text_range().start(),
        second.live.end(),
    );
    if let Some(name) = second.name() {
        let checked = syntax::mentions(ctx.file, region, &name)
            .into_iter()
            .any(|m| {
                let mention = node_at(ctx.file, m);
                mention.ancestors().any(|a| is_condition(&a)) || is_entry_call(&mention)
            });
        if checked {
            return Some(format!(
                "the code under {second_lock} checks `{name}` again"
            ));
        }
    }
    // The second guard as a receiver: `lock.write().await.add_user(user)`.
    let call = second
        .guard_expr
        .syntax()
        .parent()
        .and_then(ast::MethodCallExpr::cast)
        .filter(|m| {
            m.receiver()
                .is_some_and(|r| r.syntax() == second.guard_expr.syntax())
        })?;
    let method = call.name_ref()?.text().to_string();
    if method == "entry" {
        return Some(format!(
            "`entry(..)` under {second_lock} decides on the current state"
        ));
    }
    let rechecks = ctx
        .scopes
        .decls
        .functions_named(&method)
        .iter()
        .any(|f| f.body().is_some_and(|b| branches_then_returns(b.syntax())));
    rechecks
        .then(|| format!("`{method}` checks its own state under {second_lock} before it writes"))
}

/// An `if`/`match` condition or scrutinee, or a `let … else`, as an ancestor of a mention.
fn is_condition(node: &SyntaxNode) -> bool {
    let Some(parent) = node.parent() else {
        return false;
    };
    if let Some(i) = ast::IfExpr::cast(parent.clone()) {
        return i.condition().is_some_and(|c| c.syntax() == node);
    }
    if let Some(m) = ast::MatchExpr::cast(parent.clone()) {
        return m.expr().is_some_and(|e| e.syntax() == node);
    }
    if let Some(l) = ast::LetStmt::cast(parent) {
        return l.let_else().is_some() && l.initializer().is_some_and(|e| e.syntax() == node);
    }
    false
}

fn is_entry_call(mention: &SyntaxNode) -> bool {
    mention
        .ancestors()
        .find_map(ast::MethodCallExpr::cast)
        .and_then(|m| m.name_ref())
        .is_some_and(|n| n.text() == "entry")
}

/// A body that branches on something and leaves early in a branch (`if self.users.contains_key(..)
/// { return Err(..); }`): it checks before it acts.
fn branches_then_returns(body: &SyntaxNode) -> bool {
    body.descendants().filter_map(ast::IfExpr::cast).any(|i| {
        i.then_branch().is_some_and(|t| {
            t.syntax()
                .descendants()
                .any(|d| matches!(d.kind(), SyntaxKind::RETURN_EXPR | SyntaxKind::TRY_EXPR))
        })
    }) || body.descendants().any(|d| {
        ast::MethodCallExpr::cast(d)
            .and_then(|m| m.name_ref())
            .is_some_and(|n| n.text() == "entry")
    })
}

#[cfg(test)]
mod tests {
    use crate::model::RuleId;
    use crate::test_support::{assert_documented_fix, findings};

    const SCAFFOLD: &str = "use tokio::sync::RwLock;\n\
        struct User;\n\
        enum AuthError { UserAlreadyExists }\n\
        struct Store;\n\
        impl Store {\n\
        async fn get_user(&self, _: &str) -> Result<User, ()> { Err(()) }\n\
        async fn add_user(&mut self, _: User) -> Result<(), AuthError> { Ok(()) }\n\
        }\n\
        struct AppState { user_store: std::sync::Arc<RwLock<Store>> }\n";

    #[test]
    fn the_documented_example_becomes_the_documented_fix() {
        assert_documented_fix(&super::DOC, |code| format!("{SCAFFOLD}{code}"));
    }

    #[test]
    fn an_if_condition_temporary_is_gone_before_the_block() {
        let src = "async fn f(lock: &tokio::sync::RwLock<Vec<u32>>, x: u32) {\n\
                   if lock.read().await.contains(&x) {\n        return;\n    }\n\
                   let mut w = lock.write().await;\n\
                   w.push(x);\n}\n";
        assert!(findings(src, RuleId::ReadThenWrite).is_empty());
    }

    #[test]
    fn a_mutex_locked_twice_hangs() {
        let src = "fn f(m: &std::sync::Mutex<Vec<u32>>) {\n\
                   let g = m.lock().unwrap();\n\
                   let n = g.len();\n\
                   m.lock().unwrap().push(n as u32);\n}\n";
        assert_eq!(findings(src, RuleId::ReadThenWrite).len(), 1);
    }

    #[test]
    fn two_locks_are_not_one() {
        let src = "fn f(a: &std::sync::RwLock<u32>, b: &std::sync::RwLock<u32>) {\n\
                   let g = a.read().unwrap();\n\
                   *b.write().unwrap() = *g;\n}\n";
        assert!(findings(src, RuleId::ReadThenWrite).is_empty());
    }

    #[test]
    fn a_reentrant_mutex_may_be_locked_again() {
        let src = "struct S { m: parking_lot::ReentrantMutex<u32> }\n\
                   impl S { fn f(&self) {\n\
                   let g = self.m.lock();\n\
                   let h = self.m.lock();\n\
                   let _ = (*g, *h);\n} }\n";
        assert!(findings(src, RuleId::ReadThenWrite).is_empty());
    }
}
