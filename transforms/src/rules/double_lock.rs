//! `double-lock`: several guards held together over a long stretch of code (seed 004).

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize};

use super::Context;
use crate::analysis::{Guard, Holder, effects, syntax};
use crate::fixes::clone_arc_out::clone_arc_out;
use crate::fixes::phase_split::{is_spawn, phase_split};
use crate::model::{Applicability, Finding, Fix, Label, RuleDoc, RuleId, Severity};

pub const DOC: RuleDoc = RuleDoc {
    id: RuleId::DoubleLock,
    summary: "Two or more guards are held together across an `.await`, a spawn or a long body",
    explanation: r#"## What it does
Reports two (or more) guards of different locks that are alive together, taken one while the other
is held, when while both are held:

- the task reaches an `.await` (other than taking a further lock), or
- a task or thread is spawned (`tokio::spawn`, `rt.spawn`, `thread::spawn`, `spawn_blocking`), or
- in an `async` body, at least 15 statements run.

Reported as a warning: holding the locks together is sometimes what an invariant needs, and the
deadlock it risks is `lock-order-inversion`'s to report.

Also reported, in any code: a guard alive while the task blocks for an owned guard of another
lock (parking_lot's `read_arc()`, `write_arc()`, `lock_arc()`, typically a per-key lock taken from
a map the first guard protects). Owned guards are made to be kept beyond the scope that takes them,
so the wait lasts as long as some caller keeps one, and every thread that needs the first lock
waits that long too. The fix (unsafe) clones the second lock's `Arc` out under the first guard,
drops that guard, then takes the owned guard; another thread may remove the second lock from what
the first guards in between. No fix when the first guard is used again after, or the statement
runs something before it reaches the second lock.

Guards taken one after the other, the first released (a scoped block, `drop`) before the second
is taken, are not held together. Nor is a first guard whose last use comes before the second is
taken: it only lingers until the end of its scope, and releasing it early is the fix the
single-guard rules (`guard-across-await`…) offer. A short critical section that needs both locks
(move an entry from one map to the other) is below the threshold and is not reported. In
synchronous code a long section under several locks with nothing spawned is usually a deliberate
atomic update (lock coupling down a tree, a cache's housekeeping): it is not reported either.

## Why is this bad?
Every task that needs either lock waits for the whole body, including the `.await`s and the event
emission inside it: the two locks together serialise far more than either protects. A spawned task
or an event handler that takes one of the locks deadlocks against its own caller (it waits for the
lock the caller holds while the caller awaits it). And a second function that takes the same two
locks in the other order deadlocks with this one (see `lock-order-inversion`).

## Example
```rust
async fn record(&self, ok: bool) {
    let mut state = self.state.lock().await;
    let mut metrics = self.metrics.lock().await;
    metrics.calls += 1;
    if !ok {
        metrics.failures += 1;
    }
    let next = match &*state {
        State::Closed { failures } if !ok && *failures >= 2 => {
            metrics.trips += 1;
            let trips = metrics.trips;
            self.events.emit("circuit_opened", trips).await;
            State::Open
        }
        State::Closed { failures } => State::Closed {
            failures: if ok { 0 } else { failures + 1 },
        },
        State::Open => State::Open,
    };
    *state = next;
}
```

## Use instead
```rust
async fn record(&self, ok: bool) {
    {
        let mut metrics = self.metrics.lock().await;
        metrics.calls += 1;
        if !ok {
            metrics.failures += 1;
        }
    }

    let mut circuit_opened = false;
    {
        let mut state = self.state.lock().await;
        let next = match &*state {
            State::Closed { failures } if !ok && *failures >= 2 => {
                circuit_opened = true;
                State::Open
            }
            State::Closed { failures } => State::Closed {
                failures: if ok { 0 } else { failures + 1 },
            },
            State::Open => State::Open,
        };
        *state = next;
    }

    if circuit_opened {
        let trips = {
            let mut metrics = self.metrics.lock().await;
            metrics.trips += 1;
            metrics.trips
        };
        self.events.emit("circuit_opened", trips).await;
    }
}
```

## Fix safety
The fix splits the function into phases, as seed 004's analysis does by hand: the statements are
taken in order, and each run of statements that uses one guard becomes a scoped block that takes
that lock and returns what later phases need; statements that use no guard (and the events) run
with no lock held. A value of one guard that a statement under another lock reads is computed in
the first guard's phase (a snapshot). Inside the state machine, the steps that need the other lock
or emit an event are deferred: a flag (with the values they need) is set where they were, and they
run after the state machine's phase, taking the other lock again briefly (a re-lock phase) and
emitting with no lock held. To save re-locks, a statement may also move back into the last phase
of its lock when it commutes with everything in between (no await, spawn or call other than known
reads and calls on its own guard, no local that both touch), and a lock nothing has touched yet is
read first. Nothing else moves. The fix is refused, with the reason, when the order cannot be kept:
a value read under one lock after a deferred step changed it, a step that moves is needed by code
that stays, a step that returns early, a loop that uses both guards, a lock taken inside a phase,
a guard taken through the other or handed to a function whole. When it is refused and events are
emitted while every guard is held, seed 004's simplest remedy is offered instead: the emitting
statements move after the last use of the guards, which are dropped there (the locks stay held
together; only the events leave the critical section).

The fix is always unsafe: the updates of the two locks are no longer atomic together, so another
task can observe the metrics updated and the state not yet (or take the locks between the phases).
A caller that runs alone sees the same counters, state transitions and events, in the same order,
as before — except that events are emitted after the state is updated instead of while it was being
decided (an event handler that reads the state now sees the new one). Lock errors (`?` on a
poisoned lock) can now surface after an earlier phase has already written.

## Known problems
Only guards bound by `let`s of one block are split; other shapes are reported without a fix. The
syntax does not show types: a value handed from one phase to the next must be visibly owned (a
copy, a length, a clone), else the fix is refused. A deferred step inside a loop is not supported.
Two locks held together on purpose for atomicity, over a long body, are reported too: if the
invariant spans both, keep them and document why."#,
};

/// Statements both guards are alive for, with no `.await` or spawn among them, before the
/// stretch counts as long (in async code only: see the docs).
const MIN_STATEMENTS: usize = 15;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let clusters = ctx.double_lock_clusters();
    for (cluster, worst) in clusters {
        out.push(finding(ctx, cluster, worst));
    }
    let clustered = |g: usize| clusters.iter().any(|(cluster, _)| cluster.contains(&g));
    for &(o, i) in &ctx.scopes.nested {
        if !clustered(o) && !clustered(i) && waits_for_owned_guard(ctx, o, i) {
            out.push(owned_guard_finding(ctx, o, i));
        }
    }
}

/// Guard `o` is alive while the task blocks for an owned guard of another lock (`i`:
/// `map.entry(k).or_default().read_arc()`): such guards are made to be kept beyond the scope that
/// takes them, so the wait can last as long as some caller keeps one, and every thread that needs
/// the first lock waits that long too.
fn waits_for_owned_guard(ctx: &Context<'_>, o: usize, i: usize) -> bool {
    let (outer, inner) = (&ctx.scopes.guards[o], &ctx.scopes.guards[i]);
    let owned = inner
        .method_name_ref()
        .is_some_and(|n| crate::analysis::is_owned_guard_method(n.text()));
    owned
        && !inner.awaited
        && outer.identity != inner.identity
        && !outer.kind.is_cell()
        && !held_on_purpose(ctx, outer)
}

fn owned_guard_finding(ctx: &Context<'_>, o: usize, i: usize) -> Finding {
    let (outer, inner) = (&ctx.scopes.guards[o], &ctx.scopes.guards[i]);
    let method = inner
        .method_name_ref()
        .map(|n| n.text().to_string())
        .unwrap_or_default();
    let held = display_name(outer);
    // In test code the analysis's last pass makes it information, as every rule's.
    Finding {
        tier: crate::analysis::Tier::Syntax,
        rule: RuleId::DoubleLock,
        severity: Severity::Warning,
        range: syntax::to_range(outer.primary_range()),
        message: format!(
            "`{held}` is held while `{method}()` blocks for an owned guard of another lock: such guards are \
             kept for long stretches, and everyone who needs `{}` waits as long",
            outer.lock_path
        ),
        labels: vec![Label {
            range: syntax::to_range(inner.primary_range()),
            message: format!("waits here, with `{held}` held, for whoever keeps the other lock"),
        }],
        help: Some(format!(
            "under `{held}`, take only what leads to the second lock (clone its `Arc`) and release the guard; \
             then call `{method}()`"
        )),
        fix: clone_arc_out(ctx.text, outer, inner),
    }
}

/// The guards this rule reports, grouped (guards linked by held-together pairs), each with its
/// worst pair. emit-under-lock leaves these guards to this rule: the phase split moves their events
/// after every lock is released.
pub(crate) fn reported_clusters(ctx: &Context<'_>) -> Vec<Cluster> {
    let guards = &ctx.scopes.guards;
    // Pairs of named guards of different locks, the second taken while the first is held.
    let mut pairs: Vec<(usize, usize, Overlap)> = Vec::new();
    for &(o, i) in &ctx.scopes.nested {
        let (outer, inner) = (&guards[o], &guards[i]);
        if outer.identity == inner.identity
            || outer.kind.is_cell()
            || inner.kind.is_cell()
            || !named(outer)
            || !named(inner)
            || held_on_purpose(ctx, outer)
            || held_on_purpose(ctx, inner)
        {
            continue;
        }
        let overlap = overlap(ctx, outer, inner);
        // The first guard must still be needed once the second is taken: one whose last use
        // comes before only lingers, and releasing it early (the single-guard rules' fix) is all
        // it needs. The second must be used while both are held.
        let region = TextRange::new(overlap.start, overlap.end);
        let outer_needed = outer
            .uses(ctx.file)
            .iter()
            .any(|u| u.start() >= overlap.start);
        let inner_used = inner
            .uses(ctx.file)
            .iter()
            .any(|u| region.contains_range(*u));
        if !outer_needed || !inner_used {
            continue;
        }
        pairs.push((o, i, overlap));
    }
    // Guards linked by pairs form one cluster; it is reported when one of its pairs is long.
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for (o, i, _) in &pairs {
        let found: Vec<usize> = clusters
            .iter()
            .enumerate()
            .filter(|(_, c)| c.contains(o) || c.contains(i))
            .map(|(k, _)| k)
            .collect();
        let mut merged = vec![*o, *i];
        for k in found.iter().rev() {
            merged.extend(clusters.remove(*k));
        }
        merged.sort_unstable();
        merged.dedup();
        clusters.push(merged);
    }
    let mut reported_clusters = Vec::new();
    for mut cluster in clusters {
        cluster.sort_by_key(|&g| guards[g].call.syntax().text_range().start());
        let reported: Vec<&(usize, usize, Overlap)> = pairs
            .iter()
            .filter(|(o, i, ov)| cluster.contains(o) && cluster.contains(i) && ov.long())
            .collect();
        let Some(worst) = reported.iter().max_by_key(|(_, _, ov)| {
            (
                !ov.awaits.is_empty() || !ov.spawns.is_empty(),
                ov.end - ov.start,
            )
        }) else {
            continue;
        };
        let worst = (**worst).clone();
        reported_clusters.push((cluster, worst));
    }
    reported_clusters
}

fn named(guard: &Guard) -> bool {
    matches!(guard.holder, Holder::Let { .. } | Holder::IfLet { .. })
}

/// `let _serial = LOCK.lock();` never used: held on purpose to serialise what follows.
fn held_on_purpose(ctx: &Context<'_>, guard: &Guard) -> bool {
    guard.name().is_some_and(|n| n.starts_with('_')) && guard.uses(ctx.file).is_empty()
}

/// Guards held together (indices into the file's guards) and the worst pair among them.
pub(crate) type Cluster = (Vec<usize>, (usize, usize, Overlap));

/// What happens while two guards are both alive.
#[derive(Clone)]
pub(crate) struct Overlap {
    start: TextSize,
    end: TextSize,
    statements: usize,
    awaits: Vec<TextRange>,
    spawns: Vec<TextRange>,
    in_async: bool,
}

impl Overlap {
    fn long(&self) -> bool {
        !self.awaits.is_empty()
            || !self.spawns.is_empty()
            || (self.in_async && self.statements >= MIN_STATEMENTS)
    }
}

/// Where a named guard is released: its first unconditional `drop`, else the end of its scope.
fn release(guard: &Guard) -> TextSize {
    let list = match &guard.holder {
        Holder::Let { list, .. } => Some(list.syntax().clone()),
        _ => None,
    };
    guard
        .drops
        .iter()
        .filter(|d| d.syntax().parent() == list)
        .map(|d| d.syntax().text_range().start())
        .min()
        .unwrap_or(guard.live.end())
}

fn overlap(ctx: &Context<'_>, outer: &Guard, inner: &Guard) -> Overlap {
    let start = inner.live.start();
    let end = release(outer).min(release(inner)).max(start);
    let region = TextRange::new(start, end);
    let acquisitions: Vec<TextRange> = ctx
        .scopes
        .guards
        .iter()
        .map(|g| g.call.syntax().text_range())
        .collect();
    let awaits = inner
        .awaits
        .iter()
        .filter(|a| outer.awaits.iter().any(|b| b.syntax() == a.syntax()))
        .filter(|a| region.contains_range(a.syntax().text_range()))
        .filter(|a| {
            // Waiting for a further lock is lock ordering, not work done under these two.
            a.expr()
                .is_none_or(|e| !acquisitions.contains(&e.syntax().text_range()))
        })
        .map(|a| a.syntax().text_range())
        .collect();
    let spawns = inner
        .calls
        .iter()
        .filter(|c| is_spawn(&c.node) && region.contains_range(c.node.text_range()))
        .filter(|c| outer.calls.iter().any(|d| d.node == c.node))
        .map(|c| c.node.text_range())
        .collect();
    let statements = inner
        .body
        .descendants()
        .filter(|n| matches!(n.kind(), SyntaxKind::LET_STMT | SyntaxKind::EXPR_STMT))
        .filter(|n| region.contains_range(n.text_range()))
        .filter(|n| syntax::enclosing_body(n).as_ref() == Some(&inner.body))
        .count();
    Overlap {
        start,
        end,
        statements,
        awaits,
        spawns,
        in_async: syntax::body_is_async(&inner.body),
    }
}

fn finding(ctx: &Context<'_>, cluster: &[usize], pair: &(usize, usize, Overlap)) -> Finding {
    let guards = &ctx.scopes.guards;
    let (o, i, ov) = pair;
    let (outer, inner) = (&guards[*o], &guards[*i]);
    let names: Vec<String> = cluster
        .iter()
        .map(|&g| format!("`{}`", display_name(&guards[g])))
        .collect();
    let who = match names.as_slice() {
        [a, b] => format!("{a} and {b}"),
        _ => format!(
            "{} and {}",
            names[..names.len() - 1].join(", "),
            names[names.len() - 1]
        ),
    };
    let lines = ctx.text[usize::from(ov.start)..usize::from(ov.end)]
        .matches('\n')
        .count();
    let mut during = Vec::new();
    if !ov.awaits.is_empty() {
        during.push("an `.await`");
    }
    if !ov.spawns.is_empty() {
        during.push("a spawn");
    }
    let message = if during.is_empty() {
        format!(
            "{who} are held together for {lines} lines ({} statements)",
            ov.statements
        )
    } else {
        format!(
            "{who} are held together for {lines} lines, across {}",
            during.join(" and ")
        )
    };
    let mut labels = vec![Label {
        range: syntax::to_range(inner.primary_range()),
        message: format!(
            "`{}` is taken while `{}` is held",
            display_name(inner),
            display_name(outer)
        ),
    }];
    let first_event = ov
        .awaits
        .iter()
        .map(|r| (*r, "both are still held at this `.await`"))
        .chain(
            ov.spawns
                .iter()
                .map(|r| (*r, "both are still held when this is spawned")),
        )
        .min_by_key(|(r, _)| r.start());
    if let Some((range, message)) = first_event {
        labels.push(Label {
            range: syntax::to_range(first_line(ctx.text, range)),
            message: message.to_string(),
        });
    }
    let (fix, help) = match build_fix(ctx, cluster) {
        Ok(fix) => {
            let help = "split the function into phases, each lock in its own scope, and emit events after both are \
                        released"
                .to_string();
            (Some(fix), help)
        }
        Err(reason) => (None, reason),
    };
    Finding {
        tier: crate::analysis::Tier::Syntax,
        rule: RuleId::DoubleLock,
        severity: Severity::Warning,
        range: syntax::to_range(guards[cluster[0]].primary_range()),
        message,
        labels,
        help: Some(help),
        fix,
    }
}

fn display_name(guard: &Guard) -> String {
    guard.name().unwrap_or_else(|| guard.lock_path.clone())
}

/// The first line of a (possibly multi-line) range, for a label.
fn first_line(text: &str, range: TextRange) -> TextRange {
    let start = usize::from(range.start());
    let end = usize::from(range.end());
    let cut = text[start..end].find('\n').map_or(end, |i| start + i);
    TextRange::new(range.start(), TextSize::from(cut as u32))
}

fn build_fix(ctx: &Context<'_>, cluster: &[usize]) -> Result<Fix, String> {
    let split = match phase_split(ctx.text, ctx.file, ctx.scopes, cluster) {
        Ok(split) => split,
        // Seed 004's simplest remedy still applies when the phases cannot be split: emit the
        // events after the locks are released.
        Err(reason) => return deferral(ctx, cluster).map_err(|_| reason),
    };
    let mut title = format!("Split into {} phases, one lock each", split.phases);
    if split.relocks > 0 {
        title.push_str(&format!(
            " ({} short re-lock{})",
            split.relocks,
            if split.relocks == 1 { "" } else { "s" }
        ));
    }
    if split.deferred > 0 {
        title.push_str(", deferred steps and events after the locks are released");
    }
    title.push_str("; the updates are no longer atomic together");
    Ok(Fix {
        title,
        applicability: Applicability::Unsafe,
        edits: vec![split.edit],
    })
}

/// The emissions made while every guard of the cluster is held, moved after their last use.
fn deferral(ctx: &Context<'_>, cluster: &[usize]) -> Result<Fix, String> {
    let guards: Vec<&Guard> = cluster.iter().map(|&g| &ctx.scopes.guards[g]).collect();
    let mut events: Vec<SyntaxNode> = Vec::new();
    for guard in &guards {
        for call in &guard.calls {
            let held_by_all = guards
                .iter()
                .all(|g| g.alive_at(call.node.text_range().start(), &call.node));
            if held_by_all
                && effects::emission(call, &ctx.extra).is_some()
                && !events.contains(&call.node)
            {
                events.push(call.node.clone());
            }
        }
    }
    if events.is_empty() {
        return Err("no emission".to_string());
    }
    super::emit_under_lock::deferral_fix(ctx, &guards, &events)
}

#[cfg(test)]
mod tests {
    use crate::model::RuleId;
    use crate::test_support::{assert_documented_fix, findings};

    const SCAFFOLD: &str = "use tokio::sync::Mutex;\n\
        enum State { Closed { failures: u32 }, Open }\n\
        #[derive(Default)] struct Metrics { calls: u64, failures: u64, trips: u64 }\n\
        struct Events;\n\
        impl Events { async fn emit(&self, _: &str, _: u64) {} }\n\
        struct Breaker { state: Mutex<State>, metrics: Mutex<Metrics>, events: Events }\n";

    #[test]
    fn the_documented_example_becomes_the_documented_fix() {
        assert_documented_fix(&super::DOC, |code| {
            format!("{SCAFFOLD}impl Breaker {{\n{code}}}\n")
        });
    }

    #[test]
    fn sequential_guards_are_not_held_together() {
        let src = "async fn f(a: &tokio::sync::Mutex<u32>, b: &tokio::sync::Mutex<u32>) {\n\
                   let x = { let g = a.lock().await; *g };\n\
                   let mut h = b.lock().await;\n\
                   *h = x;\n\
                   tick().await;\n}\n";
        assert!(findings(src, RuleId::DoubleLock).is_empty());
    }

    #[test]
    fn a_short_section_holding_both_is_fine() {
        let src = "fn f(a: &std::sync::Mutex<Vec<u32>>, b: &std::sync::Mutex<Vec<u32>>) {\n\
                   let mut from = a.lock().unwrap();\n\
                   let mut to = b.lock().unwrap();\n\
                   if let Some(x) = from.pop() {\n\
                   to.push(x);\n\
                   }\n}\n";
        assert!(findings(src, RuleId::DoubleLock).is_empty());
    }
}
