//! `guard-in-scrutinee`: a temporary guard in a `match` / `if let` / `while let` scrutinee lives
//! through the arms, where the same lock is taken again or blocking work runs.

use ra_ap_syntax::{AstNode, SyntaxNode, ast};

use super::Context;
use crate::analysis::relock::{Relock, ScrutineeKind, ScrutineeScope, relocks, scrutinee_scope};
use crate::analysis::{AccessMode, Call, Guard, effects, syntax};
use crate::fixes::drop_arm_guard::drop_arm_guard;
use crate::fixes::drop_in_arm::drop_in_arms;
use crate::fixes::release::{Blocked, release_before};
use crate::fixes::while_let_loop::while_let_to_loop;
use crate::model::{Applicability, Finding, Fix, Label, RuleDoc, RuleId, Severity};

pub const DOC: RuleDoc = RuleDoc {
    id: RuleId::GuardInScrutinee,
    summary: "A temporary guard in a `match`/`if let`/`while let` scrutinee lives through arms that lock again or block",
    explanation: r#"## What it does
Reports a lock guard created as a temporary in the scrutinee of a `match`, `if let` or `while let`
— `match m.lock().unwrap().get(&k).copied() { … }` — when one of the arms (or the loop body):

- locks the same lock again (directly, or through a method of `self` in the same file that does),
  as an error: a self-deadlock;
- calls a blocking function (`std::thread::sleep`, `std::fs`, `block_on`, bcrypt, JWT encoding,
  `reqwest::blocking`, tokio's `blocking_*`), as a warning.

Arms that `.await` are `guard-across-await`'s to report; this rule does not repeat them.

## Why is this bad?
Temporaries in a scrutinee are dropped at the end of the whole `match` / `if let` / `while let`
statement, not after the scrutinee is evaluated. Nothing in the arms names the guard, yet it is held
there: an arm that takes the same lock waits for itself forever, and blocking work in an arm keeps
every other user of the lock waiting. Edition 2024 drops `if let` temporaries before the `else`
branch, and only there; `match` and `while let` keep them in every edition.

## Example
```rust
fn hits(&self, key: &str) -> u64 {
    match self.counts.lock().unwrap().get(key).copied() {
        Some(n) => n,
        None => {
            self.counts.lock().unwrap().insert(key.to_string(), 0);
            0
        }
    }
}
```

## Use instead
```rust
fn hits(&self, key: &str) -> u64 {
    let value = self.counts.lock().unwrap().get(key).copied();
    match value {
        Some(n) => n,
        None => {
            self.counts.lock().unwrap().insert(key.to_string(), 0);
            0
        }
    }
}
```

## Fix safety
The fix binds the scrutinee's value in a `let` of its own before the `match` / `if let`, so the
guard dies with that statement; a `while let` becomes a `loop` whose first statement is
`let PAT = VALUE else { break };`. Only owned values are bound this way (`copied()`, `cloned()`,
`len()`, `pop()`…). When the value may borrow from the guard, the guard itself is bound in a
`let` and dropped at the top of the arms (or the `else` branch) that lock again or block, when
those bind nothing from the scrutinee; if code follows the construct in its block, those arms must
leave it (`return`, `break`, `continue`, a panic) and a `drop` after the construct ends the guard
where the temporary ended. Otherwise there is no fix.

- When an arm locks the same lock again the fix is **unsafe**: the check in the scrutinee and the
  write in the arm become two critical sections, a check-then-act window (another task can change
  the data in between) that stays open unless the arm checks again under its own lock.
- When an arm only blocks, the fix is safe unless the hoisted value is computed after something
  else in the statement that used to run first.

## Known problems
`#[allow(clippy::significant_drop_in_scrutinee)]` (or `#[expect]`) on the item or statement
silences the rule. Blocking calls are recognised by name from a short built-in list. A scrutinee that is the guard
itself (`match *m.lock().unwrap()`, `match m.lock() { Ok(g) => … }`) is reported without a fix."#,
};

pub fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (index, guard) in ctx.scopes.guards.iter().enumerate() {
        let Some(scope) = scrutinee_scope(guard) else {
            continue;
        };
        let found: Vec<Relock> = relocks(ctx.scopes, ctx.file, index, ctx.facts)
            .into_iter()
            .filter(|r| scope.arms.contains_range(r.site_range()))
            .collect();
        let blocking: Vec<&Call> = guard
            .calls
            .iter()
            // The same list as guard-across-blocking, which leaves scrutinee arms to this rule.
            .filter(|c| {
                scope.arms.contains_range(c.node.text_range())
                    && effects::blocking(c, &ctx.extra, ctx.scopes.crate_index.as_deref()).is_some()
            })
            .collect();
        if found.is_empty() && blocking.is_empty() {
            continue;
        }
        out.push(finding(ctx, guard, &scope, &found, &blocking));
    }
}

fn finding(
    ctx: &Context<'_>,
    guard: &Guard,
    scope: &ScrutineeScope,
    found: &[Relock],
    blocking: &[&Call],
) -> Finding {
    let construct = scope.kind.describe();
    let arms = match scope.kind {
        ScrutineeKind::Match => "the arms",
        ScrutineeKind::IfLet => "the branches",
        ScrutineeKind::WhileLet => "the loop body",
    };
    let what = format!(
        "{} {} guard on `{}`, a temporary in the `{construct}` scrutinee,",
        guard.kind.describe(),
        guard.mode.describe(),
        guard.lock_path
    );
    let (severity, message, site, site_label) = match found.first() {
        Some(relock) => {
            let again = match relock.requested_mode(ctx.scopes) {
                AccessMode::Read => " for reading",
                AccessMode::Write => " for writing",
                AccessMode::Upgradable => " for an upgradable read",
                AccessMode::Exclusive => "",
            };
            let by = match &relock.via_method {
                Some(method) => format!("`{method}()` locks"),
                None => "the same task locks".to_string(),
            };
            let consequence = if guard.kind.is_cell() {
                "that panics (already borrowed)"
            } else if guard.mode == AccessMode::Read
                && relock.requested_mode(ctx.scopes) == AccessMode::Read
            {
                "a writer that queues in between waits for the first guard, and the second read behind the writer, forever"
            } else {
                "that waits forever for a guard only this task can release"
            };
            (
                Severity::Error,
                format!(
                    "{what} lives through {arms}, where {by} `{}` again{again}: {consequence}",
                    relock.requested_path(ctx.scopes)
                ),
                relock.site.clone(),
                format!(
                    "the lock is requested again here{again} while the scrutinee's guard is alive"
                ),
            )
        }
        None => {
            let call = blocking[0];
            (
                Severity::Warning,
                format!(
                    "{what} lives through {arms}, where `{}` blocks while the lock is held",
                    call.callee
                ),
                call.node.clone(),
                "blocking call while the scrutinee's guard is alive".to_string(),
            )
        }
    };
    let others = found.len() + blocking.len() - 1;
    let labels = vec![Label {
        range: syntax::to_range(site.text_range()),
        message: if others > 0 {
            format!("{site_label} ({others} more after it)")
        } else {
            site_label
        },
    }];
    let relocking = !found.is_empty();
    let sites: Vec<SyntaxNode> = if relocking {
        found.iter().map(|r| r.site.clone()).collect()
    } else {
        blocking.iter().map(|c| c.node.clone()).collect()
    };
    let (fix, help) = match build_fix(ctx, guard, scope, &site, &sites, relocking) {
        Ok(fix) => {
            let help = if fix.title.starts_with(ARM_DROPS) {
                "the arm holds the guard itself: drop it before locking again".to_string()
            } else if fix.title.starts_with(GUARD_BOUND) {
                format!(
                    "bind the guard in a `let` first and drop it where {arms} no longer need it"
                )
            } else {
                format!(
                    "bind the scrutinee's value in a `let` first, so the guard is dropped before {arms}"
                )
            };
            (Some(fix), help)
        }
        Err(reason) => (None, reason),
    };
    Finding {
        tier: crate::analysis::Tier::Syntax,
        rule: RuleId::GuardInScrutinee,
        severity,
        range: syntax::to_range(guard.primary_range()),
        message,
        labels,
        help: Some(help),
        fix,
    }
}

fn build_fix(
    ctx: &Context<'_>,
    guard: &Guard,
    scope: &ScrutineeScope,
    site: &SyntaxNode,
    sites: &[SyntaxNode],
    relocking: bool,
) -> Result<Fix, String> {
    let window = "this opens a check-then-act window: another task can change the data between the scrutinee's \
                  check and the arm's second lock, unless the arm checks again under it";
    if scope.kind == ScrutineeKind::WhileLet {
        let while_expr = ast::WhileExpr::cast(scope.construct.clone()).ok_or_else(no_rewrite)?;
        let edits = while_let_to_loop(
            ctx.text,
            ctx.file,
            &while_expr,
            guard.guard_expr.syntax().text_range(),
        )
        .ok_or_else(|| {
            format!(
                "`{}` may borrow from the guard; bind an owned value with `let … else {{ break }}` at the top of a \
                 `loop` instead of `while let`",
                scope.scrutinee.syntax().text()
            )
        })?;
        let title = "Bind the value with `let … else { break }` at the top of a `loop`, so the guard is dropped \
                     before the loop body";
        return Ok(if relocking {
            Fix {
                title: format!("{title} ({window})"),
                applicability: Applicability::Unsafe,
                edits,
            }
        } else {
            Fix {
                title: title.to_string(),
                applicability: Applicability::Safe,
                edits,
            }
        });
    }
    let phrase = match scope.kind {
        ScrutineeKind::Match => "the arms",
        _ => "the branches",
    };
    let fix = match release_before(ctx.text, ctx.file, guard, site, phrase) {
        Ok(fix) => fix,
        Err(blocked) => {
            let reason = match blocked {
                Blocked::Other(reason) => reason,
                Blocked::UsedAtOrAfter { .. } | Blocked::Unused => no_rewrite(),
            };
            // The arm that locks again binds the guard itself (`Some(peers)` of `map.get(&k)`):
            // it drops it before the second lock.
            if relocking
                && let [only] = sites
                && let Some((edit, name)) = drop_arm_guard(ctx.text, ctx.file, guard, scope, only)
            {
                return Ok(Fix {
                    title: format!(
                        "{ARM_DROPS} `{name}`, the guard the arm binds, after its last use and before the second lock ({window})"
                    ),
                    applicability: Applicability::Unsafe,
                    edits: vec![edit],
                });
            }
            // The value may borrow from the guard: bind the guard instead and release it in the
            // arms that need it gone.
            let dropped = drop_in_arms(ctx.text, guard, scope, sites).ok_or(reason)?;
            let title = format!(
                "{GUARD_BOUND} `{}` and drop it at the top of {}",
                dropped.name,
                match (scope.kind, relocking) {
                    (ScrutineeKind::Match, true) => "the arms that lock again",
                    (ScrutineeKind::Match, false) => "the arms that block",
                    (_, true) => "the `else` branch, which locks again",
                    (_, false) => "the `else` branch, which blocks",
                }
            );
            Fix {
                title,
                applicability: Applicability::Safe,
                edits: dropped.edits,
            }
        }
    };
    Ok(if relocking {
        Fix {
            title: format!("{} ({window})", fix.title),
            applicability: Applicability::Unsafe,
            edits: fix.edits,
        }
    } else {
        fix
    })
}

/// How the title of the fix that drops the guard an arm binds begins.
const ARM_DROPS: &str = "Drop";

/// How the title of the fix that binds the guard itself (not the scrutinee's value) begins.
const GUARD_BOUND: &str = "Bind the guard as";

fn no_rewrite() -> String {
    "bind the scrutinee's value in a `let` of its own before the construct (no automatic rewrite for this shape)"
        .to_string()
}

#[cfg(test)]
mod tests {
    use crate::model::RuleId;
    use crate::test_support::{assert_documented_fix, findings};

    const SCAFFOLD: &str = "use std::collections::HashMap;\nuse std::sync::Mutex;\n\
        struct Stats { counts: Mutex<HashMap<String, u64>> }\n";

    #[test]
    fn the_documented_example_becomes_the_documented_fix() {
        assert_documented_fix(&super::DOC, |code| {
            format!("{SCAFFOLD}impl Stats {{\n{code}}}\n")
        });
    }

    #[test]
    fn arms_that_only_await_are_left_to_guard_across_await() {
        let src = "async fn f(m: &std::sync::Mutex<Vec<u32>>) {\n\
                   match m.lock().unwrap().pop() {\n\
                   Some(x) => tick(x).await,\n\
                   None => {}\n\
                   }\n}\n";
        assert!(findings(src, RuleId::GuardInScrutinee).is_empty());
        assert_eq!(findings(src, RuleId::GuardAcrossAwait).len(), 1);
    }

    #[test]
    fn clippy_allow_silences_the_rule() {
        let src = "#[allow(clippy::significant_drop_in_scrutinee)]\n\
                   fn f(m: &std::sync::Mutex<Vec<u32>>) {\n\
                   match m.lock().unwrap().pop() {\n\
                   Some(x) => m.lock().unwrap().push(x),\n\
                   None => {}\n\
                   }\n}\n";
        assert!(findings(src, RuleId::GuardInScrutinee).is_empty());
    }

    #[test]
    fn a_plain_if_condition_is_dropped_before_the_block() {
        let src = "fn f(m: &std::sync::Mutex<Vec<u32>>) {\n\
                   if m.lock().unwrap().is_empty() {\n\
                   m.lock().unwrap().push(1);\n\
                   }\n}\n";
        assert!(findings(src, RuleId::GuardInScrutinee).is_empty());
    }

    #[test]
    fn blocking_work_in_an_arm_is_a_warning_with_a_safe_fix() {
        let src = "fn f(m: &std::sync::Mutex<Vec<u32>>) {\n\
                   if let Some(x) = m.lock().unwrap().pop() {\n\
                   std::thread::sleep(std::time::Duration::from_millis(u64::from(x)));\n\
                   }\n}\n";
        let found = findings(src, RuleId::GuardInScrutinee);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, crate::model::Severity::Warning);
        let fix = found[0].fix.as_ref().expect("a fix");
        assert_eq!(fix.applicability, crate::model::Applicability::Safe);
    }
}
