//! `guard-across-await`: a lock guard alive at an `.await`.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

mod awaits;

use self::awaits::{AsyncHolds, Lent, await_role, awaits_borrowed_binding, awaits_borrowed_data};
use super::Context;
use crate::analysis::{AccessMode, Guard, Holder, LockKind, syntax};
use crate::fixes::clone_evidence::{
    NOT_PROVEN_CLONE, guarded_value_is_clone, helper_value_is_clone,
};
use crate::fixes::clone_out::{CloneOut, NoCloneOut, clone_out};
use crate::fixes::drop_and_relock::drop_and_relock_fix;
use crate::fixes::drop_at_last_use::drop_fix;
use crate::fixes::own_binding::own_binding;
use crate::fixes::release::{Blocked, node_at, release_before, title_with_caveat};
use crate::fixes::relock_split::relock_split_fix;
use crate::fixes::snapshot::{Carrier, snapshot};
use crate::fixes::store_after::store_after;
use crate::model::{Applicability, Finding, Fix, Label, RuleDoc, RuleId, Severity};

pub const DOC: RuleDoc = RuleDoc {
    id: RuleId::GuardAcrossAwait,
    summary: "A lock guard is alive at an `.await`",
    explanation: r#"## What it does
Reports a lock guard that is still alive when the task reaches an `.await`:

- a blocking lock (`std::sync`, `parking_lot`, or a lock of unknown kind) — always, as an error;
- an async lock (`tokio::sync`, `async_lock`, `futures::lock`) — as a warning, when the awaited
  call does not operate on the guarded object and
  - only reads data borrowed from it (directly, or through a binding: `let names = g.names();`,
    `if let Some(t) = g.as_ref()`, `for c in g.iter()`), or
  - has no part in it at all and the guard is not used after it (seed 000 as real code has it:
    `let mut w = self.segments.write().await; w.remove(id); old.remove_files().await;`), or
  - comes before the guard's first use (seed 002's "nested await": lock, await, then update), or
  - is slow — a sleep, a network connection or request, file-system IO, joining tasks, waiting
    for a message — and the guard is used again after it.

A guard can be a `RefCell` borrow (another task's `borrow_mut()` panics during the await), a
DashMap reference (`get`, `get_mut`, `entry`, `iter` lock a shard), or come from a function of the
same file that returns one (`fn state(&self) -> MutexGuard<'_, State>`, `self.write().await`). A bare
`read()`/`write()` on a receiver whose type the file does not show counts as a lock of unknown kind
when, in async code, its result is used as a guard (methods called on it, fields read, deref).

A guard released before the await (`drop(guard)`, or the end of its block) is not reported. Nor
is a guard bound to `_name` or never used (deliberate serialisation), one the await works on
(`sink.write_all(..).await`), a single-flight refresh (the await runs under a condition on the
guarded data: `if tok.expired() { *tok = refresh().await }`), an await that takes another lock
before either is used (lock ordering), nor an await that another rule owns (a relock of the same
lock, an awaited send or event, guards held together with another).

## Why is this bad?
While a task is suspended at an `.await`, the guard keeps the lock. With a blocking lock, every
other thread or task that wants it blocks its executor thread: a few such tasks stall the runtime,
and a task that locks again on the same thread deadlocks. The future is also not `Send`, so it
cannot be spawned. With an async lock nothing blocks a thread, but every reader and writer waits
for the whole I/O (Fluvio #2490: readers starved ~450 ms behind a disk write).

## Example
```rust
async fn write_and_persist(&self, batch: Vec<u8>) {
    let mut cache = self.cache.write().unwrap();
    cache.update(batch);
    write_to_disk(cache.get_data()).await;
}
```

## Use instead
```rust
async fn write_and_persist(&self, batch: Vec<u8>) {
    let data = {
        let mut cache = self.cache.write().unwrap();
        cache.update(batch);
        cache.get_data().to_owned()
    };
    write_to_disk(&data).await;
}
```

## Fix safety
- An async guard idle after its last use: `drop(guard);` after the last use, or at the top of the
  branch that awaits (what Fluvio's maintainers wrote). Safe: offered only when nothing borrowed
  from the guard outlives the `drop`, nothing moves the guard, and no loop runs the `drop` twice;
  else the scoped block below.
- An async guard taken before it is needed: the `let` moves down to just before the first use.
  Unsafe: the awaited work no longer runs under the lock.
- Scoped block: the guard and the statements that use it move into a block that returns the values
  used later. Safe when the returned values are plainly owned; unsafe when one of them might borrow
  from the guard (then the result might not compile).
- `if let Ok(mut g) = m.write() { …; x.await; … } else { … }`: the synchronous part keeps the
  guard; the awaiting part runs after it, under the same condition; the `else` branch is kept.
- A temporary guard in a `match`/`if let` scrutinee or an awaited call's argument: the value is
  computed in its own `let` first. Safe when the value is owned and nothing else in the statement
  runs before it.
- Clone-out (seed 000): data borrowed from the guard by the awaited call is copied inside the
  scope. Always unsafe: the copy can be stale by the time the await uses it.
- Two lock scopes (seed 003's Pattern 2) for slow awaits between two uses of an async guard: the
  check before them in one scope, the awaits unlocked, the store after them in a second scope that
  takes the lock again with the same expression. Always unsafe: the check and the store are no
  longer atomic; when the guard is changed before the awaits, the title names the change, which
  other holders now see before the rest of the update. Refused when the awaited work uses the
  guard or data borrowed from it, or when the lock expression cannot be evaluated again.
- Drop and lock again, for a guard (blocking or async) used before and after an `.await` that
  sits in a branch of a statement using the guard (a check in an `if let`, the fetch and the store
  in its `else`): `drop(guard);` after its last use before the `.await`, and the same `let`
  again just before the next use. Always unsafe, for the same reason. Refused when the guard is
  used again in more than one place after the `.await`, when a value borrowed from it is read
  after it, or when the lock expression cannot be evaluated again.

## Known problems
A slow await that reads a value borrowed through a binding gets no fix: the remedy is to copy what
the work needs, which needs the types. Which awaits are slow is read from the callee's name.
When the guard is used after the await (the critical section spans it) and neither two lock
scopes nor a drop and relock fit, scoping cannot help and no fix is offered; the swap to
`tokio::sync` (rule `std-lock-in-async`) is the remedy. Guards bound
to `_name` and never used are held on purpose (test serialisation, single-flight): they are reported
as info and never fixed. `#[allow(clippy::await_holding_lock)]` (or `#[expect]`,
`await_holding_invalid_type`) on the item or statement suppresses the rule.

This rule owns the `.await`: an awaited send, event, `spawn(..).await` or `spawn_blocking(..).await`
under a blocking guard is reported here only, not again by `emit-under-lock` or
`guard-across-blocking`; under an async guard those rules report the awaits this one leaves alone.
The same guard can still carry a finding of each rule for different calls (an `.await` here, a
bcrypt call there): each fix releases the guard before its own event."#,
};

pub fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    out.extend(ctx.await_findings().iter().cloned());
}

/// The findings, computed once per file through [`Context::await_findings`]: other rules consult
/// them to leave awaits to this rule.
pub(crate) fn detect(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, guard) in ctx.scopes.guards.iter().enumerate() {
        // `#[allow(clippy::await_holding_lock)]` and the like are applied to every rule's
        // findings in one place (`crate::suppress`).
        if guard.awaits.is_empty() {
            continue;
        }
        // What the guard lends, computed once per guard and only when an await needs it.
        let lent = std::cell::OnceCell::new();
        let lent = || lent.get_or_init(|| Lent::of(ctx, guard));
        let roles = guard
            .kind
            .is_async()
            .then(|| AsyncHolds::of(ctx, index, guard, lent()))
            .flatten();
        let mut first_hold = None;
        let awaits: Vec<&ast::AwaitExpr> = guard
            .awaits
            .iter()
            .filter(|a| {
                let hold = if !guard.kind.is_async() {
                    Hold::Blocking
                } else if awaits_borrowed_data(ctx, guard, a) {
                    Hold::BorrowedData
                } else if awaits_borrowed_binding(ctx, guard, a, lent) {
                    Hold::BorrowedThroughBinding
                } else if let Some(hold) = roles
                    .as_ref()
                    .and_then(|roles| await_role(ctx, guard, roles, a))
                {
                    hold
                } else {
                    return false;
                };
                first_hold.get_or_insert(hold);
                true
            })
            .collect();
        // A hold is set only by a reported await, so the list is not empty.
        let Some(hold) = first_hold else {
            continue;
        };
        out.push(finding(ctx, index, &awaits, hold, lent));
    }
    out
}

/// Why the first reported `.await` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// A blocking guard: every `.await` under it counts.
    Blocking,
    /// An async guard, and the awaited call reads data borrowed from it.
    BorrowedData,
    /// The same, through a binding that borrows from the guard (`let names = list.names();`,
    /// `if let Some(t) = g.as_ref()`, `for c in g.iter()`).
    BorrowedThroughBinding,
    /// An async guard that nothing uses any more: it waits, and makes everyone else wait, for an
    /// `.await` it has no part in (seed 000's shape in real code).
    AfterLastUse,
    /// An async guard taken before an `.await` it has no part in and used only after it: seed
    /// 002's "nested await" (`let mut lock = m.lock().await; let r = op().await; lock.update(r);`).
    BeforeFirstUse,
    /// An async guard used before and after a slow `.await` it has no part in (a sleep, network or
    /// file IO, a join): the critical section spans it, and everyone waits for the IO.
    SpansSlow(&'static str),
}

fn finding<'a>(
    ctx: &Context<'_>,
    index: usize,
    awaits: &[&ast::AwaitExpr],
    hold: Hold,
    lent: impl Fn() -> &'a Lent,
) -> Finding {
    let guard = &ctx.scopes.guards[index];
    let first_await = awaits[0];
    let count = awaits.len();
    let what = format!("{} {} guard", guard.kind.describe(), guard.mode.describe());
    let subject = match guard.name() {
        Some(name) => format!("`{name}`"),
        None => format!("on `{}` (a temporary)", guard.lock_path),
    };
    let await_range = first_await.syntax().text_range();
    let mut labels = vec![Label {
        range: syntax::to_range(await_range),
        message: if count > 1 {
            format!(
                "the guard is still held at this `.await` ({} more after it)",
                count - 1
            )
        } else {
            "the guard is still held at this `.await`".to_string()
        },
    }];
    let uses = guard.uses(ctx.file);
    let held_on_purpose = guard.name().is_some_and(|n| n.starts_with('_')) && uses.is_empty();
    if held_on_purpose {
        return Finding {
            tier: crate::analysis::Tier::Syntax,
            rule: RuleId::GuardAcrossAwait,
            severity: Severity::Info,
            range: syntax::to_range(guard.primary_range()),
            message: format!("{what} {subject} is held across an `.await`, apparently on purpose"),
            labels,
            help: Some(
                "a guard bound to `_name` serialises the code after it; if that is the intent and other tasks may \
                 wait for it, an async lock keeps them from blocking threads"
                    .to_string(),
            ),
            fix: None,
        };
    }
    let (severity, message) = if let Some(message) = async_hold_message(hold, &what, &subject) {
        (Severity::Warning, message)
    } else if guard.kind.is_async() {
        (
            Severity::Warning,
            format!(
                "{what} {subject} is held across an `.await` that only needs data borrowed from it"
            ),
        )
    } else {
        (
            Severity::Error,
            format!("{what} {subject} is held across an `.await`"),
        )
    };
    if let Some(last) = uses.last()
        && last.start() < await_range.start()
    {
        labels.insert(
            0,
            Label {
                range: syntax::to_range(*last),
                message: "last use of the guard".to_string(),
            },
        );
    }
    let built = match hold {
        Hold::AfterLastUse => release_after_last_use(ctx, guard, first_await, &lent().data),
        Hold::BeforeFirstUse => acquire_after(ctx, guard, first_await),
        Hold::SpansSlow(what) => relock_fix(ctx, index, awaits, &lent().data).map_err(|why| {
            format!(
                "every task that wants the lock waits for {what} too: take what the work needs under the lock, \
                 release it, do the work, then lock again to store the result (not split automatically: {why})"
            )
        }),
        Hold::Blocking | Hold::BorrowedData => build_fix(ctx, index, awaits, &lent),
        // Returning the borrowed value out of a scope would not compile (E0597): the copy has to
        // be written by someone who knows the type, unless the file shows it (an element of a
        // collection declared with a `Clone` element type).
        Hold::BorrowedThroughBinding => own_binding_fix(ctx, guard, first_await, &lent().data).ok_or_else(|| {
            "copy what the `.await` needs out of the guard (`.clone()`, `.to_owned()`) and release the guard before \
             awaiting"
                .to_string()
        }),
    };
    let (fix, help) = match built {
        Ok(fix) if hold == Hold::AfterLastUse => (
            Some(fix),
            "every task that wants the lock waits for this `.await` too: release the guard after its last use"
                .to_string(),
        ),
        Ok(fix) if let Hold::SpansSlow(what) = hold => (
            Some(fix),
            format!(
                "every task that wants the lock waits for {what} too: check under the lock, release it for the \
                 work, then lock again to store the result"
            ),
        ),
        Ok(fix) if hold == Hold::BorrowedThroughBinding => (
            Some(fix),
            "the `.await` needs one element the guard lends: copy it out and release the guard before awaiting"
                .to_string(),
        ),
        Ok(fix) if hold == Hold::BeforeFirstUse => (
            Some(fix),
            "every task that wants the lock waits for this `.await` too: take the lock where it is first needed"
                .to_string(),
        ),
        Ok(fix) => {
            let help = match fix.applicability {
                Applicability::Safe => "release the guard before the `.await`".to_string(),
                // The title says the rest; the help says what the fix does, as guard-across-
                // blocking's does for its split.
                Applicability::Unsafe if crate::fixes::relock_split::locks_twice(&fix) => {
                    "release the guard before the `.await` and lock again after it".to_string()
                }
                Applicability::Unsafe => {
                    format!("release the guard before the `.await` ({})", fix.title)
                }
            };
            (Some(fix), help)
        }
        Err(reason) => (None, reason),
    };
    Finding {
        tier: crate::analysis::Tier::Syntax,
        rule: RuleId::GuardAcrossAwait,
        severity,
        range: syntax::to_range(guard.primary_range()),
        message,
        labels,
        help: Some(help),
        fix,
    }
}

/// A std or parking_lot lock taken with its own `lock()`/`read()`/`write()`: `std-lock-in-async`
/// swaps it for tokio's, which keeps the section whole. A crate function's guard has no such swap.
fn swappable(guard: &Guard) -> bool {
    matches!(guard.kind, LockKind::Std | LockKind::ParkingLot)
        && guard.method_name_ref().is_some_and(|m| {
            crate::analysis::lock_method_mode(m.text()).is_some()
                && matches!(guard.call, ast::Expr::MethodCallExpr(_))
        })
}

/// Seed 003's two lock scopes around awaits the guard has no part in: split at the level of the
/// guard's block where the awaits are statements of their own, else a `drop` before the first
/// await and the lock taken again before the next use. The reason is the block split's.
fn relock_fix(
    ctx: &Context<'_>,
    index: usize,
    awaits: &[&ast::AwaitExpr],
    data: &[String],
) -> Result<Fix, String> {
    split_around_awaits(ctx, index, awaits).or_else(|why| {
        let (guard, event) = (&ctx.scopes.guards[index], awaits[0].syntax());
        drop_and_relock_fix(ctx.text, ctx.file, guard, data, event, "the `.await`").map_err(|_| why)
    })
}

/// Seed 003's two lock scopes around slow awaits the guard has no part in: the check before them
/// in one scope, the awaits unlocked, the store after them in a second scope.
fn split_around_awaits(
    ctx: &Context<'_>,
    index: usize,
    awaits: &[&ast::AwaitExpr],
) -> Result<Fix, String> {
    let work: Vec<SyntaxNode> = awaits.iter().map(|a| a.syntax().clone()).collect();
    relock_split_fix(
        ctx.text,
        ctx.file,
        ctx.scopes,
        index,
        &work,
        "the awaited work",
    )
}

fn build_fix<'a>(
    ctx: &Context<'_>,
    index: usize,
    awaits: &[&ast::AwaitExpr],
    lent: &impl Fn() -> &'a Lent,
) -> Result<Fix, String> {
    let guard = &ctx.scopes.guards[index];
    let first_await = awaits[0];
    let phrase = "the `.await`";
    match release_before(ctx.text, ctx.file, guard, first_await.syntax(), phrase) {
        Ok(fix) => Ok(fix),
        Err(Blocked::Unused) => Err(unused_guard()),
        Err(Blocked::Other(reason)) => Err(reason),
        Err(Blocked::UsedAtOrAfter {
            last_use,
            event_item,
        }) => {
            // An awaited send or event under an async guard that is used after it: seed 004's
            // deferral moves the emission after the guard's last use.
            if guard.kind.is_async()
                && let Some(fix) = deferred_emission(ctx, guard, first_await)
            {
                return Ok(fix);
            }
            let await_at = first_await
                .await_token()
                .map_or(first_await.syntax().text_range(), |t| t.text_range());
            let copied = match (&guard.holder, event_item) {
                // The last use is inside the awaiting statement itself, before the await:
                // compute or copy what the awaited call needs inside the scope.
                (Holder::Let { .. }, Some(_)) if last_use.start() < await_at.start() => {
                    let operand = first_await.expr().ok_or_else(no_fix_here)?;
                    match clone_out(ctx.text, ctx.file, guard, operand.syntax()) {
                        Ok(out) => Ok(clone_out_fix(out)),
                        Err(NoCloneOut::UnknownType(reason)) => snapshot_fix(ctx, guard, reason),
                        Err(NoCloneOut::Spans) => snapshot_fix(ctx, guard, spans_await_for(guard)),
                        Err(NoCloneOut::Shape) => snapshot_fix(ctx, guard, no_fix_here()),
                    }
                }
                (Holder::Let { .. } | Holder::IfLet { .. }, _) => {
                    snapshot_fix(ctx, guard, spans_await_for(guard))
                }
                _ => return Err(spans_await_for(guard)),
            };
            // A guard written after the `.await` is no copy: seed 003's two lock scopes, the
            // check before the `.await`, the store after it, where `std-lock-in-async`'s swap
            // (which keeps the critical section whole) cannot apply. The help stays the copy's
            // reason.
            copied.or_else(|reason| {
                if swappable(guard) {
                    return Err(reason);
                }
                relock_fix(ctx, index, awaits, &lent().data).map_err(|_| reason)
            })
        }
    }
}

/// The deferral of the emission awaited at `awaited` (a send, an event, a spawned task), when
/// there is one and it can move.
fn deferred_emission(ctx: &Context<'_>, guard: &Guard, awaited: &ast::AwaitExpr) -> Option<Fix> {
    let operand = awaited.expr()?;
    let call = guard.calls.iter().find(|c| {
        c.node.text_range() == operand.syntax().text_range()
            && crate::analysis::effects::emission(c, &ctx.extra).is_some()
    })?;
    super::emit_under_lock::deferral_fix(ctx, &[guard], std::slice::from_ref(&call.node)).ok()
}

/// The message of a finding on an async guard that sits through an await it has no part in.
fn async_hold_message(hold: Hold, what: &str, subject: &str) -> Option<String> {
    Some(match hold {
        Hold::AfterLastUse => {
            format!("{what} {subject} is held across an `.await` after its last use")
        }
        Hold::BeforeFirstUse => {
            format!("{what} {subject} is taken before an `.await` it is not needed for")
        }
        Hold::SpansSlow(slow) => {
            format!(
                "{what} {subject} is held across an `.await` of {slow}, and used again after it"
            )
        }
        Hold::Blocking | Hold::BorrowedData | Hold::BorrowedThroughBinding => return None,
    })
}

/// Seed 002's "nested await": the guard is first used after the await, so the `let` that takes it
/// moves down to just before its first use. Unsafe: the awaited work no longer runs under the lock,
/// which matters if the lock was meant to serialise it.
fn acquire_after(
    ctx: &Context<'_>,
    guard: &Guard,
    first_await: &ast::AwaitExpr,
) -> Result<Fix, String> {
    let no_fix = || {
        "take the lock after the `.await`, where it is first needed (no automatic rewrite for this shape)"
            .to_string()
    };
    let Holder::Let {
        stmt, list, index, ..
    } = &guard.holder
    else {
        return Err(no_fix());
    };
    let uses = guard.uses(ctx.file);
    let first_use = uses.first().ok_or_else(no_fix)?;
    let items = syntax::block_items(list);
    let use_item =
        syntax::item_containing(list, &node_at(ctx.file, *first_use)).ok_or_else(no_fix)?;
    let await_item = syntax::item_containing(list, first_await.syntax()).ok_or_else(no_fix)?;
    // The chain that awaits is also the one that stores through the guard: compute the value
    // first, store it after (lighthouse's `refresh_status`).
    let stores_at_the_end = await_item == use_item;
    if !(await_item <= use_item && *index < await_item) {
        return Err(no_fix());
    }
    // The lock expression must mean the same thing further down: none of the local names it reads
    // is assigned or rebound by the statements it moves past.
    let init = stmt.initializer().ok_or_else(no_fix)?;
    let passed_until = if stores_at_the_end {
        items[use_item].text_range().end()
    } else {
        items[use_item].text_range().start()
    };
    let passed = TextRange::new(stmt.syntax().text_range().end(), passed_until);
    let rebinds = crate::fixes::relock_split::changes_names_read_by(ctx.file, &init, passed);
    if rebinds {
        return Err(no_fix());
    }
    let stmt_start = usize::from(stmt.syntax().text_range().start());
    let stmt_end = syntax::end_with_trailing_comment(stmt.syntax());
    let line_start = syntax::line_start(ctx.text, stmt_start);
    let line_end = ctx.text[stmt_end..]
        .find('\n')
        .map_or(ctx.text.len(), |i| stmt_end + i + 1);
    let whole_lines = ctx.text[line_start..stmt_start].trim().is_empty()
        && ctx.text[stmt_end..line_end].trim().is_empty();
    if !whole_lines {
        return Err(no_fix());
    }
    if stores_at_the_end {
        let name = guard.name().ok_or_else(no_fix)?;
        let (edits, value) = store_after(
            ctx.text,
            ctx.file,
            &items[use_item],
            &name,
            line_start..line_end,
        )
        .ok_or_else(no_fix)?;
        return Ok(Fix {
            title: format!(
                "Compute the value first, then take the lock only to store it (`*{name} = {value}`; the awaited \
                 work no longer runs under the lock)"
            ),
            applicability: Applicability::Unsafe,
            edits,
        });
    }
    let target = usize::from(items[use_item].text_range().start());
    let target_line = syntax::line_start(ctx.text, target);
    if !ctx.text[target_line..target].trim().is_empty() {
        return Err(no_fix());
    }
    let moved = &ctx.text[line_start..line_end];
    Ok(Fix {
        title: "Take the lock after the `.await`, where it is first needed (the awaited work no longer runs \
                under the lock)"
            .to_string(),
        applicability: Applicability::Unsafe,
        edits: vec![
            crate::model::TextEdit {
                range: line_start..line_end,
                replacement: String::new(),
            },
            crate::model::TextEdit {
                range: target_line..target_line,
                replacement: moved.to_string(),
            },
        ],
    })
}

/// An async guard nothing uses after the await: `drop(guard)` after its last use when that surely
/// compiles, else the scoped block (or `if let` split) every other release uses.
fn release_after_last_use(
    ctx: &Context<'_>,
    guard: &Guard,
    first_await: &ast::AwaitExpr,
    data: &[String],
) -> Result<Fix, String> {
    if let Some(fix) = drop_fix(ctx.text, ctx.file, guard, data, first_await.syntax()) {
        return Ok(fix);
    }
    match release_before(ctx.text, ctx.file, guard, first_await.syntax(), "the `.await`") {
        Ok(fix) => Ok(fix),
        Err(Blocked::Other(reason)) => Err(reason),
        Err(_) => Err(
            "release the guard after its last use, before the `.await` (no automatic rewrite for this shape)"
                .to_string(),
        ),
    }
}

/// Seed 002's `read().await.clone()`: a guard that is only read, and needed after the await, is
/// replaced by a copy of the value. `reason` is the help given when even that is not possible.
/// `emit-under-lock` offers the same copy for a registry of listeners behind a read guard.
pub(crate) fn snapshot_fix(
    ctx: &Context<'_>,
    guard: &Guard,
    reason: String,
) -> Result<Fix, String> {
    let (binding, in_result) = match &guard.holder {
        Holder::Let { stmt, pat, .. } => {
            if guard
                .guard_expr
                .syntax()
                .parent()
                .and_then(ast::MatchExpr::cast)
                .is_some()
            {
                return Err(reason);
            }
            (pat, !matches!(stmt.pat(), Some(ast::Pat::IdentPat(_))))
        }
        Holder::IfLet { pat, .. } => (pat, true),
        _ => return Err(reason),
    };
    if binding.mut_token().is_some() || guard.mode == AccessMode::Upgradable {
        return Err(if guard.kind.is_async() {
            "the guard is written after the `.await`, so the critical section spans it; compute what the awaited \
             call needs first, or split the function into phases that each lock once"
                .to_string()
        } else {
            "the guard is written after the `.await`, so the critical section spans it and scoping cannot help; if \
             it must span the await, use an async lock (`tokio::sync`)"
                .to_string()
        });
    }
    let uses = guard.uses(ctx.file);
    let handed_over = uses.iter().any(|u| {
        let node = node_at(ctx.file, *u);
        let path = node.ancestors().find(|a| a.kind() == SyntaxKind::PATH_EXPR);
        path.and_then(|p| p.parent())
            .is_some_and(|p| p.kind() == SyntaxKind::ARG_LIST)
    });
    if handed_over {
        // `upgrade(guard)`, `cvar.wait(guard)`: the guard itself is needed, not its value.
        return Err(reason);
    }
    let Some(last) = uses.last() else {
        return Err(reason);
    };
    let visible = TextRange::new(guard.live.start(), last.end());
    // A DashMap reference's own methods (`data.value()`, `.key()`) do not exist on the copy,
    // also where the reference is matched into a binding of its own (`if let Some(d) = data`).
    if guard.kind == LockKind::DashMap {
        let text = &ctx.text[syntax::to_range(guard.live)];
        if [".value()", ".key()", ".pair()", ".value_mut()"]
            .iter()
            .any(|m| text.contains(m))
        {
            return Err(reason);
        }
    }
    // `map.get(&k)` of a DashMap is an `Option` of the guard (`Option<Ref<K, V>>`), which has no
    // `clone()` of the value (real crates: nacos-sdk-rust's cache).
    let dashmap_option = guard.kind == LockKind::DashMap
        && matches!(&guard.guard_expr, ast::Expr::MethodCallExpr(call)
            if call.name_ref().is_some_and(|n| matches!(n.text().to_string().as_str(), "get" | "get_mut")));
    let carrier = match (in_result || dashmap_option, guard.kind) {
        (false, _) => Carrier::Guard,
        (true, LockKind::Std) => Carrier::StdResult,
        (true, _) => Carrier::Wrapped,
    };
    // The copy compiles only if the value is `Clone`: no snapshot where the file (or, for a guard
    // a helper of another file returns, the crate index) does not show it.
    let from_crate_helper = helper_value_is_clone(
        ctx.file,
        &ctx.scopes.decls,
        ctx.scopes.crate_index.as_deref(),
        &guard.call,
    );
    if !from_crate_helper && !guarded_value_is_clone(ctx.file, &guard.lock_name) {
        return Err(format!(
            "{NOT_PROVEN_CLONE}, but this file does not show that `{}` holds a `Clone` value; copy what is \
             needed after the `.await` out of the guard (`.clone()`) and release it before awaiting",
            guard.lock_path
        ));
    }
    let edits = snapshot(ctx.file, &guard.guard_expr, binding, visible, carrier).ok_or(reason)?;
    Ok(Fix {
        title: "Take a copy of the guarded value and release the lock at once (later reads see the snapshot; the \
                type must be `Clone`)"
            .to_string(),
        applicability: Applicability::Unsafe,
        edits,
    })
}

/// mofa's `tools.get(name)` entry: the binding the `.await` needs becomes its own copy and the
/// guard is dropped before the awaiting statement.
fn own_binding_fix(
    ctx: &Context<'_>,
    guard: &Guard,
    awaited: &ast::AwaitExpr,
    lent: &[String],
) -> Option<Fix> {
    let (edit, name) = own_binding(ctx.text, ctx.file, guard, awaited, lent)?;
    Some(Fix {
        title: format!(
            "Copy `{name}` out of the guard and drop the guard before the `.await` (the copy does not see later \
             changes to the collection; the element type is `Clone`)"
        ),
        applicability: Applicability::Unsafe,
        edits: vec![edit],
    })
}

/// Seed 000: `write_to_disk(cache.get_data()).await` becomes `write_to_disk(&data).await` with
/// `data` copied inside the guard's scope.
fn clone_out_fix(out: CloneOut) -> Fix {
    let title = if out.copies_data {
        "Copy the data the `.await` needs inside the lock scope, then await without the lock"
    } else {
        "Compute the `.await`'s arguments inside the lock scope, then await without the lock"
    };
    let unsafe_ = out.copies_data || out.reorders || !out.copied.is_empty();
    Fix {
        title: title_with_caveat(title, &out.copied),
        applicability: if unsafe_ {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        },
        edits: out.edits,
    }
}

fn spans_await_for(guard: &Guard) -> String {
    if guard.kind.is_async() {
        "the guard is used after the `.await`, so the critical section spans it; compute what the awaited call \
         needs first, or split the function into phases that each lock once"
            .to_string()
    } else {
        spans_await()
    }
}

fn spans_await() -> String {
    "the guard is used after the `.await`, so the critical section spans it and scoping cannot help; use an async \
     lock (`tokio::sync`) if the section must span the await"
        .to_string()
}

fn unused_guard() -> String {
    "the guard is never used: if it serialises the code after it on purpose, an async lock keeps other tasks from \
     blocking threads; otherwise release it before the `.await`"
        .to_string()
}

fn no_fix_here() -> String {
    "release the guard before the `.await` (no automatic rewrite for this shape)".to_string()
}

#[cfg(test)]
mod tests {
    use crate::model::RuleId;
    use crate::test_support::{assert_documented_fix, findings};

    /// What the scaffolding around the doc example declares: the lock's type and `get_data`'s
    /// return type are what let the fix copy the borrowed slice.
    const SCAFFOLD: &str = "struct Cache { data: Vec<u8> }\n\
        impl Cache { fn update(&mut self, d: Vec<u8>) { self.data = d; } fn get_data(&self) -> &[u8] { &self.data } }\n\
        async fn write_to_disk(_: &[u8]) {}\n\
        struct Store { cache: std::sync::RwLock<Cache> }\n";

    #[test]
    fn the_documented_example_becomes_the_documented_fix() {
        assert_documented_fix(&super::DOC, |code| {
            format!("{SCAFFOLD}impl Store {{\n{code}}}\n")
        });
    }

    #[test]
    fn an_async_lock_held_for_io_on_the_guarded_object_is_fine() {
        let src = "async fn f(sink: &tokio::sync::Mutex<tokio::net::TcpStream>) {\n\
                   let mut s = sink.lock().await;\n\
                   s.write_all(b\"x\").await;\n}\n";
        assert!(findings(src, RuleId::GuardAcrossAwait).is_empty());
    }

    #[test]
    fn a_guard_dropped_before_the_await_is_fine() {
        let src = "async fn f(m: &std::sync::Mutex<u32>) {\n\
                   let g = m.lock().unwrap();\n\
                   let n = *g;\n\
                   drop(g);\n\
                   tick(n).await;\n}\n";
        assert!(findings(src, RuleId::GuardAcrossAwait).is_empty());
    }

    #[test]
    fn clippy_allow_silences_the_rule() {
        let src = "#[allow(clippy::await_holding_lock)]\n\
                   async fn f(m: &std::sync::Mutex<u32>) {\n\
                   let g = m.lock().unwrap();\n\
                   tick(*g).await;\n}\n";
        assert!(findings(src, RuleId::GuardAcrossAwait).is_empty());
    }
}
