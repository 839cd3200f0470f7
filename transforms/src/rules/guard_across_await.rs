//! `guard-across-await`: a lock guard alive at an `.await`.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::Context;
use crate::analysis::{AccessMode, Guard, Holder, LockKind, syntax};
use crate::fixes::clone_out::{CloneOut, NoCloneOut, clone_out};
use crate::fixes::release::{Blocked, node_at, release_before, title_with_caveat};
use crate::fixes::snapshot::{Carrier, snapshot};
use crate::model::{Applicability, Finding, Fix, Label, RuleDoc, RuleId, Severity};

pub const DOC: RuleDoc = RuleDoc {
    id: RuleId::GuardAcrossAwait,
    summary: "A lock guard is alive at an `.await`",
    explanation: r#"## What it does
Reports a lock guard that is still alive when the task reaches an `.await`:

- a blocking lock (`std::sync`, `parking_lot`, or a lock of unknown kind) — always, as an error;
- an async lock (`tokio::sync`, `async_lock`, `futures::lock`) — when the awaited call does not
  operate on the guarded object but only reads data borrowed from it, as a warning.

A guard released before the await (`drop(guard)`, or the end of its block) is not reported.

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

## Known problems
When the guard is used after the await (the critical section spans it), scoping cannot help and
no fix is offered; the swap to `tokio::sync` (rule `std-lock-in-async`) is the remedy. Guards bound
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
    for guard in &ctx.scopes.guards {
        // `#[allow(clippy::await_holding_lock)]` and the like are applied to every rule's
        // findings in one place (`crate::suppress`).
        if guard.awaits.is_empty() {
            continue;
        }
        let awaits: Vec<&ast::AwaitExpr> = guard
            .awaits
            .iter()
            .filter(|a| !guard.kind.is_async() || awaits_borrowed_data(ctx, guard, a))
            .collect();
        let Some(first_await) = awaits.first() else {
            continue;
        };
        out.push(finding(ctx, guard, first_await, awaits.len()));
    }
    out
}

fn finding(
    ctx: &Context<'_>,
    guard: &Guard,
    first_await: &ast::AwaitExpr,
    count: usize,
) -> Finding {
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
    let (severity, message) = if guard.kind.is_async() {
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
    let (fix, help) = match build_fix(ctx, guard, first_await) {
        Ok(fix) => {
            let help = match fix.applicability {
                Applicability::Safe => "release the guard before the `.await`".to_string(),
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

/// For an async lock: is the await reading data borrowed from the guard, rather than operating on
/// the guarded object or on something unrelated (a deliberate hold)? Operating means: the awaited
/// call is a method of the guard (`sink.write_all(..).await`), or it is handed the guard itself or
/// a mutable borrow through it (`cvar.wait(guard)`, `apply(&mut deqs)`, `&mut g.0`).
fn awaits_borrowed_data(ctx: &Context<'_>, guard: &Guard, await_expr: &ast::AwaitExpr) -> bool {
    let Some(operand) = await_expr.expr() else {
        return false;
    };
    let chain = receiver_chain(&operand);
    let operand_range = operand.syntax().text_range();
    let reads: Vec<TextRange> = match guard.name() {
        Some(name) => {
            if chain
                .iter()
                .any(|e| matches!(e, ast::Expr::PathExpr(p) if p.syntax().text() == name.as_str()))
            {
                return false;
            }
            syntax::mentions(ctx.file, operand_range, &name)
        }
        None => {
            if chain
                .iter()
                .any(|e| e.syntax() == guard.guard_expr.syntax())
            {
                return false;
            }
            let range = guard.guard_expr.syntax().text_range();
            if !operand_range.contains_range(range) {
                return false;
            }
            vec![range]
        }
    };
    !reads.is_empty()
        && reads
            .iter()
            .all(|r| reads_through_guard(ctx.file, *r, &operand))
}

/// Whether the guard mention at `range` is a shared read of part of the guarded data, not the guard
/// itself or a mutable borrow through it.
fn reads_through_guard(file: &SyntaxNode, range: TextRange, operand: &ast::Expr) -> bool {
    let mention = node_at(file, range);
    let Some(argument) = mention
        .ancestors()
        .take_while(|n| operand.syntax().text_range().contains_range(n.text_range()))
        .find(|n| n.parent().is_some_and(|p| p.kind() == SyntaxKind::ARG_LIST))
    else {
        return false;
    };
    let mut_borrow = argument
        .descendants()
        .filter_map(ast::RefExpr::cast)
        .any(|r| r.mut_token().is_some() && r.syntax().text_range().contains_range(range));
    if mut_borrow {
        return false;
    }
    let Some(argument) = ast::Expr::cast(argument) else {
        return false;
    };
    let stripped = syntax::strip_wrappers(&argument);
    let whole_guard = stripped.syntax().text_range() == range
        || stripped.syntax().text_range().contains_range(range)
            && stripped.syntax().text_range().len() == range.len();
    !whole_guard
}

/// The expressions a method-call chain is built on, outermost first: `g.a().b()` → `g.a().b()`,
/// `g.a()`, `g`. Only receivers (not arguments) are followed.
fn receiver_chain(expr: &ast::Expr) -> Vec<ast::Expr> {
    let mut chain = vec![expr.clone()];
    while let Some(next) = chain.last().and_then(syntax::receiver_step) {
        chain.push(next);
    }
    chain
}

fn build_fix(
    ctx: &Context<'_>,
    guard: &Guard,
    first_await: &ast::AwaitExpr,
) -> Result<Fix, String> {
    let phrase = "the `.await`";
    match release_before(ctx.text, ctx.file, guard, first_await.syntax(), phrase) {
        Ok(fix) => Ok(fix),
        Err(Blocked::Unused) => Err(unused_guard()),
        Err(Blocked::Other(reason)) => Err(reason),
        Err(Blocked::UsedAtOrAfter {
            last_use,
            event_item,
        }) => {
            let await_at = first_await
                .await_token()
                .map_or(first_await.syntax().text_range(), |t| t.text_range());
            match (&guard.holder, event_item) {
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
                _ => Err(spans_await_for(guard)),
            }
        }
    }
}

/// Seed 002's `read().await.clone()`: a guard that is only read, and needed after the await, is
/// replaced by a copy of the value. `reason` is the help given when even that is not possible.
fn snapshot_fix(ctx: &Context<'_>, guard: &Guard, reason: String) -> Result<Fix, String> {
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
    let carrier = match (in_result, guard.kind) {
        (false, _) => Carrier::Guard,
        (true, LockKind::Std) => Carrier::StdResult,
        (true, _) => Carrier::Wrapped,
    };
    let edits = snapshot(ctx.file, &guard.guard_expr, binding, visible, carrier).ok_or(reason)?;
    Ok(Fix {
        title: "Take a copy of the guarded value and release the lock at once (later reads see the snapshot; the \
                type must be `Clone`)"
            .to_string(),
        applicability: Applicability::Unsafe,
        edits,
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
    let unsafe_ = out.copies_data || out.reorders || !out.possibly_borrowed.is_empty();
    Fix {
        title: title_with_caveat(title, &out.possibly_borrowed),
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
