//! `std-lock-in-async`: a std/parking_lot lock whose critical section must span an `.await`.
//!
//! This file detects; the fix spans files (the lock's declaration, its constructor and every use
//! across the crate, and `Cargo.toml`), so it is built by the front end's crate-level phase with
//! rust-analyzer's references ([`crate::fixes::lock_swap`]), never from one file.

use std::collections::HashSet;
use std::ops::Range;

use ra_ap_syntax::{AstNode, TextRange, ast};

use super::Context;
use crate::analysis::{Guard, Holder, LockKind, syntax};
use crate::model::{Finding, Label, RuleDoc, RuleId, Severity};

pub const DOC: RuleDoc = RuleDoc {
    id: RuleId::StdLockInAsync,
    summary: "A std/parking_lot lock's critical section must span an `.await`: swap it for tokio::sync",
    explanation: r#"## What it does
Reports a `std::sync` or `parking_lot` lock taken in async code where releasing the guard before
the `.await` is not possible:

- the guard is used again after the `.await` — the critical section really spans it (a request and
  its response paired on one connection, a check and the update that depends on it);
- `if let Ok(g) = lock.read() { …; drop(g); x.await; }` — the guard is dropped, but the
  `LockResult` the `if let` matched on lives until the end of the block, across the `.await`, and
  its error type holds the guard type: the future is not `Send`.

## Why is this bad?
A blocking lock held at an `.await` blocks every executor thread that wants it while the task is
suspended, and the future cannot be spawned on a multi-threaded runtime (seed 002: the context
manager's futures were not `Send`, and `deactivate → activate` could deadlock).

## Example
```rust,ignore
struct Adapter { current: std::sync::RwLock<String> }
impl Adapter {
    async fn deactivate(&self, id: &str) {
        if let Ok(current) = self.current.read() {
            if *current == id {
                drop(current);
                self.activate("default").await;
            }
        }
    }
}
```

## Use instead
```rust,ignore
struct Adapter { current: tokio::sync::RwLock<String> }
impl Adapter {
    async fn deactivate(&self, id: &str) {
        {
            let current = self.current.read().await;
            if *current == id {
                drop(current);
                self.activate("default").await;
            }
        }
    }
}
```

## Fix safety
Needs the semantic tier (rust-analyzer): the fix swaps the lock everywhere it is used, across the
crate, found by references — the declaration's type (qualified as `tokio::sync::RwLock`, or the
import rewritten when no other std lock of that name remains in the file), its constructor,
`.lock().unwrap()`/`.expect(..)`/`.map_err(..)?` → `.lock().await` (likewise `read`/`write`),
`if let Ok(g) = m.write() { A } else { B }` → `{ let g = m.write().await; A }` (B handled
poisoning, which tokio's locks do not have; without the block when the `if let` is its function's
value), and uses in synchronous functions → `blocking_lock()`/`blocking_read()`/`blocking_write()`,
listed in the fix's caveats because they panic inside a runtime. Where async code reaches such a
function (every caller is followed, transitively through other synchronous functions, across the
library, binaries, examples, tests and benches), the function and all its synchronous callers
become `async fn` and their calls are awaited, as seed 002's maintainers did; when one of them
cannot (a closure, a trait method, a synchronous `main` or `#[test]`, a guard held across the
call, recursion, a doctest), the fix is not offered and the refusal names the route and the
reason. The caveats name the functions made async. tokio gets the `sync` feature in
`Cargo.toml`. One fix spanning several files, applied all or nothing,
always unsafe: tokio's locks are slower for short sections and fair, and public fields change type.

## Known problems
Never offered where scoping suffices (a guard released before the `.await`): there the std lock is
the better lock, and `guard-across-await` rewrites the scope instead. A lock reached through a
local, a parameter or a method call is not swapped: only fields and statics have declarations the
fix can follow."#,
};

pub fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    // Guards that double-lock's phase split releases before the await: no swap needed.
    let phase_split = ctx.phase_split_guards();
    // guard-across-await reported these and found no release (another rule's fix, a phase split,
    // may own the guard instead: then guard-across-await says nothing and neither does this). A
    // fix that locks twice splits the critical section: the swap, which keeps it whole, is the
    // other remedy.
    let unreleasable: HashSet<Range<usize>> = ctx
        .await_findings()
        .iter()
        .filter(|f| {
            f.fix
                .as_ref()
                .is_none_or(crate::fixes::relock_split::locks_twice)
                && f.severity == Severity::Error
                // Only the proof that the value is `Clone` was missing for a snapshot.
                && !f.help.as_deref().is_some_and(|h| {
                    h.starts_with(crate::fixes::clone_evidence::NOT_PROVEN_CLONE)
                })
        })
        .map(|f| f.range.clone())
        .collect();
    for (index, guard) in ctx.scopes.guards.iter().enumerate() {
        if !matches!(guard.kind, LockKind::Std | LockKind::ParkingLot)
            || !syntax::body_is_async(&guard.body)
            || phase_split.contains(&index)
        {
            continue;
        }
        if let Some(finding) =
            spans_await(ctx, guard, &unreleasable).or_else(|| result_across_await(guard))
        {
            out.push(finding);
        }
    }
}

/// The guard is alive at an `.await` and used after it: the critical section spans the await, and
/// `guard-across-await` found no way to release it earlier (no scoped block, no snapshot).
/// `unreleasable`: the ranges of guard-across-await's findings without a release.
fn spans_await(
    ctx: &Context<'_>,
    guard: &Guard,
    unreleasable: &HashSet<Range<usize>>,
) -> Option<Finding> {
    let first_await = guard.awaits.first()?;
    if !unreleasable.contains(&syntax::to_range(guard.primary_range())) {
        return None;
    }
    let await_end = first_await.syntax().text_range().end();
    let used_after = guard
        .uses(ctx.file)
        .into_iter()
        .find(|u| u.start() >= await_end)?;
    Some(finding(
        guard,
        format!(
            "the critical section of `{}` ({} {}) spans an `.await`: the guard is used after it",
            guard.lock_path,
            guard.kind.describe(),
            lock_type(guard)
        ),
        vec![
            Label {
                range: syntax::to_range(first_await.syntax().text_range()),
                message: "the guard is held at this `.await`".to_string(),
            },
            Label {
                range: syntax::to_range(used_after),
                message: "and used after it".to_string(),
            },
        ],
    ))
}

/// `if let Ok(g) = m.read() { drop(g); x.await; }`: the matched `LockResult` outlives the guard.
fn result_across_await(guard: &Guard) -> Option<Finding> {
    if guard.kind != LockKind::Std || guard.drops.is_empty() {
        return None;
    }
    let Holder::IfLet { then_branch, .. } = &guard.holder else {
        return None;
    };
    let first_drop = guard.drops.first()?.syntax().text_range().end();
    let await_expr = then_branch
        .syntax()
        .descendants()
        .filter_map(ast::AwaitExpr::cast)
        .find(|a| {
            a.syntax().text_range().start() >= first_drop
                && syntax::enclosing_body(a.syntax()).as_ref() == Some(&guard.body)
        })?;
    Some(finding(
        guard,
        format!(
            "the `LockResult` of `{}` matched by this `if let` lives across an `.await` after the guard is \
             dropped: the future is not `Send`",
            guard.lock_path
        ),
        vec![Label {
            range: syntax::to_range(await_expr.syntax().text_range()),
            message: "the `LockResult` (its error holds the guard type) is still alive here"
                .to_string(),
        }],
    ))
}

fn finding(guard: &Guard, message: String, labels: Vec<Label>) -> Finding {
    Finding {
        tier: crate::analysis::Tier::Syntax,
        rule: RuleId::StdLockInAsync,
        severity: Severity::Warning,
        range: syntax::to_range(guard.primary_range()),
        message,
        labels,
        help: Some(match guard.receiver() {
            Some(_) => format!(
                "swap `{}` for `tokio::sync::{}` (a crate-wide fix: needs the semantic tier and --unsafe-fixes)",
                guard.lock_path,
                lock_type(guard)
            ),
            // `data::get()`: the lock is the one the function locks, declared where it is.
            None => format!(
                "make the lock `{}` takes a `tokio::sync::{}` and the function async, or release the guard \
                 before the `.await`",
                guard.lock_path,
                lock_type(guard)
            ),
        }),
        fix: None,
    }
}

/// `Mutex` or `RwLock`, from the access mode.
fn lock_type(guard: &Guard) -> &'static str {
    match guard.mode {
        crate::analysis::AccessMode::Exclusive => "Mutex",
        _ => "RwLock",
    }
}

/// The range of the lock method call of a guard, for the front end's crate-level phase: the
/// finding's range contains it.
pub fn lock_call_range(guard: &Guard) -> TextRange {
    guard.call.syntax().text_range()
}

#[cfg(test)]
mod tests {
    use crate::model::RuleId;
    use crate::test_support::findings;

    #[test]
    fn critical_section_spanning_an_await_is_reported() {
        let src = r#"
struct Conn { io: std::sync::Mutex<Vec<u8>> }
impl Conn {
    async fn request(&self) -> usize {
        let mut io = self.io.lock().unwrap();
        io.push(1);
        send().await;
        io.len()
    }
}
async fn send() {}
"#;
        let found = findings(src, RuleId::StdLockInAsync);
        assert!(found.iter().any(|f| f.rule == RuleId::StdLockInAsync));
    }

    #[test]
    fn released_before_the_await_is_left_to_scoping() {
        let src = r#"
struct Conn { io: std::sync::Mutex<Vec<u8>> }
impl Conn {
    async fn request(&self) -> usize {
        let n = { let io = self.io.lock().unwrap(); io.len() };
        send().await;
        n
    }
    async fn unused_after(&self) {
        let io = self.io.lock().unwrap();
        let n = io.len();
        send().await;
        let _ = n;
    }
}
async fn send() {}
"#;
        let found = findings(src, RuleId::StdLockInAsync);
        assert!(
            !found.iter().any(|f| f.rule == RuleId::StdLockInAsync),
            "{found:#?}"
        );
    }

    #[test]
    fn lock_result_outliving_a_dropped_guard_is_reported() {
        let src = r#"
struct Adapter { current: std::sync::RwLock<String> }
impl Adapter {
    async fn deactivate(&self, id: &str) {
        if let Ok(current) = self.current.read() {
            if *current == id {
                drop(current);
                activate().await;
            }
        }
    }
}
async fn activate() {}
"#;
        let found = findings(src, RuleId::StdLockInAsync);
        assert!(
            found.iter().any(|f| f.rule == RuleId::StdLockInAsync),
            "{found:#?}"
        );
    }
}
