//! `emit-under-lock`: events emitted, sends awaited or tasks spawned while a lock guard is alive.

use std::cell::OnceCell;

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast, ast::HasArgList};

use super::Context;
use super::guard_across_blocking::{
    arguments_carry_guard_data, await_reported, build_fix, guard_subject, held_on_purpose, labels,
    on_guarded_object, shown_call, still_held, with_note,
};
use crate::analysis::effects::{self, CallbackSource, Emission, Matched};
use crate::analysis::held::{self, rooted_at_guard};
use crate::analysis::{AccessMode, Call, CallKind, Guard, syntax};
use crate::fixes::defer_emission::{DEFERRAL_REFUSED, defer_emissions};
use crate::fixes::drain_then_run::drain_then_run;
use crate::fixes::drop_at_last_use::drop_fix;
use crate::fixes::ownership::OWNING_METHODS;
use crate::fixes::release::node_at;
use crate::model::{Applicability, Finding, Fix, RuleDoc, RuleId, Severity};

pub const DOC: RuleDoc = RuleDoc {
    id: RuleId::EmitUnderLock,
    summary: "A task is spawned, a send or event awaited, or a callback called while a lock guard is alive",
    explanation: r#"## What it does
Reports a lock guard that is still alive when the code emits:

- awaits a spawned task (`tokio::spawn(..).await`), or spawns one — `tokio::spawn`,
  `task::spawn_local`, `Handle::spawn`/`rt.spawn(..)`, `join_set.spawn(..)`, `std::thread::spawn` —
  after the guard's last use, so that the lock is held across the spawn for nothing;
- awaits a send of a value: `tx.send(v).await`, `sink.send_all(..).await`, `reserve().await`;
- awaits an `emit`/`publish`/`notify`/`broadcast`/`dispatch`-style call;
- calls a listener that came from outside the guarded data: `(self.on_change)(..)`,
  `listener(..)` for a listener taken from `self.listeners`, a `callback`/`handler`/`hook`, or a
  listener method on one (`self.observer.emit(ev)`, `subscriber.on_event(ev)`) — also on listeners
  taken from a registry behind a *read* guard: they are called through shared references, so a
  snapshot could be called unlocked, and a listener that unregisters itself write-locks the
  registry on the thread that holds the read guard;
- calls any closure it was handed (`f(Event { id: ids.lock().unwrap().get(&k).cloned() })`) while
  a temporary guard in that call's own arguments, whose data is only copied, lives to the end of
  the statement. The safe fix computes the copy in a statement of its own.

Synchronous sends that never wait — `broadcast::Sender::send`, `UnboundedSender::send`,
`try_send` — are fine under a lock and are not reported (mini-redis publishes under its std mutex
exactly so); nor is `request.send().await` without a value, an HTTP request (a token refresh under
an async lock is a deliberate single-flight hold). The list is data (`analysis::effects::EMITTERS`).

Severity: a warning. An emission under a lock is a hang only when the receiving side needs the
same lock, which one file rarely shows; the certain hangs have their own rules (an `.await` under
a blocking guard: `guard-across-await`; locking again: `read-then-write`).

## Why is this bad?
An emission hands control to code that does not know a lock is held. A spawned task, a listener
or the receiver of a send that needs the same lock waits for it — and when the emitter then waits
for them (an awaited send on a full channel, `spawn(..).await`), nothing moves again. A callback
that locks the same `std::sync::Mutex` on the same thread deadlocks at once. Even without a cycle,
every other user of the lock waits for the whole emission (seed 004: circuit-breaker events
spawned and awaited while two guards were held for 140 lines).

## Example
```rust
async fn record_failure(&self) {
    let mut state = self.circuit_state.lock().await;
    state.failures += 1;
    let trips = state.trips;
    self.events.emit("circuit_breaker_opened", trips).await;
}
```

## Use instead
```rust
async fn record_failure(&self) {
    let trips = {
        let mut state = self.circuit_state.lock().await;
        state.failures += 1;
        state.trips
    };
    self.events.emit("circuit_breaker_opened", trips).await;
}
```

## Fix safety
The fix computes the event data inside the lock scope and emits after it (seed 004's phase 3): the
guard and the statements that use it move into a scoped block returning what the emission needs;
when the emitting statement itself reads the guard (`tokio::spawn(report(state.count))`), the values
it reads are computed or copied at the end of the block (clone-out).

- Safe: spawning a task or thread, when every value leaving the block is plainly owned. The lock
  never ordered the spawned task: it could always run before or after other holders.
- Unsafe: sends, events and callbacks. Emitted under the lock, concurrent callers' events arrive
  in the order of their state changes; emitted after it, two callers' events may arrive swapped.
  Also unsafe when data is copied (the copy may be stale) or a returned value might borrow from
  the guard.
- Unsafe: listeners taken from a registry behind a read guard and called in the loop over it
  (`for s in subs.values() { s.on_event(ev) }`), when the file shows the registry's type is
  `Clone` (a map of `Arc`s): the guard becomes a copy of the registry
  (`self.subscribers.read().unwrap().clone()`), released at once. The listeners run on the copy:
  one registered during the loop is not called, one unregistered during it still is.

## Known problems
Which rule owns an awaited emission: under a blocking guard (`std::sync`, `parking_lot`) every
`.await` is a `guard-across-await` error with the same release-before fix, so this rule does not
repeat it. Under an async guard this rule reports awaited sends and events, except when
`guard-across-await` already reports that await (its data is borrowed from the guard). The same
guard can carry both rules' findings for different calls (seed 004's `metrics`: the awaited
`emit(.., metrics.trips)` is guard-across-await's, the awaited spawn before it is this rule's). A
thread spawned and joined under the guard is `guard-across-blocking`'s (the join blocks).

Left alone on purpose, because the lock is doing its job there: a method called on the guarded
object itself (`sink.lock().await.send(msg).await`); a fire-and-forget spawn inside a critical
section that goes on after it (a thread counted, a `JoinHandle` stored in the guarded map — spawning
under the lock makes the registration atomic); a closure parameter run under the lock
(`with_lock(f)`, `retain(predicate)`), a closure kept in the guarded data (an `FnMut` behind a
mutex), a callback handed the guarded data; calls of values not named like listeners
(`(self.create)()` in a pool); emissions under a named guard that is never used (it orders them on
purpose); test code (`#[test]`, `#[cfg(test)]`), which spawns under locks to build races.

When the guard is used after the emission, the emitting statement moves after the guard's last
use, where `drop(guard)` releases it (seed 004's deferral; what the emission reads from the guard
is computed under the lock, where the emission stood). Refused, with the reason, when the code in
between can return early (the event would be lost on that path), when the emitting statement
binds a value the locked code uses, or when a value it needs borrows from the guard in a way the
syntax cannot copy. With several guards held together, split the function into phases
(`double-lock`, which falls back to the same deferral when the phases cannot be split). Emissions inside closures
(`listeners.iter().for_each(|l| l(ev))`) are not seen. There is no attribute to silence this rule
on one item; use `--ignore emit-under-lock`."#,
};

pub fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    // Guards held together with another are double-lock's: its phase split moves the events after
    // every lock is released, which a fix for one guard at a time cannot do.
    let phase_split = ctx.phase_split_guards();
    for (index, guard) in ctx.scopes.guards.iter().enumerate() {
        if guard.calls.is_empty()
            || held::in_test_code(guard.call.syntax())
            || guard.kind.is_cell()
            || phase_split.contains(&index)
        {
            continue;
        }
        let data = OnceCell::new();
        let joined = joined_spawns(guard, &ctx.extra);
        let events: Vec<(&Call, Matched<Emission>)> = guard
            .calls
            .iter()
            .filter_map(|call| {
                effects::emission(call, &ctx.extra)
                    .or_else(|| {
                        copied_into_arguments(guard, call).and_then(|_| effects::any_callback(call))
                    })
                    .map(|m| (call, m))
            })
            .filter(|(call, _)| still_held(ctx, guard, call))
            .filter(|(call, m)| match m.pattern.kind {
                Emission::Callback => {
                    foreign_callback(ctx, guard, &data, call)
                        || copied_into_arguments(guard, call).is_some()
                }
                _ => !on_guarded_object(guard, call, ctx.file),
            })
            .filter(|(call, m)| {
                m.pattern.kind != Emission::Spawn
                    || !joined.contains(&call.node) && !handle_kept_under_guard(ctx, guard, call)
            })
            .filter(|(call, _)| !call.awaited || !await_reported(ctx, guard, &call.node))
            .filter(|(call, m)| {
                // A spawn in the middle of a critical section that goes on after it (a thread
                // counted, a handle registered) is there on purpose and costs microseconds; one
                // the lock is merely still held across is worth moving out.
                m.pattern.kind != Emission::Spawn
                    || call.awaited
                    || build_fix(ctx, guard, &call.node, "the spawn").is_ok()
            })
            .collect();
        let Some((first, matched)) = events.first() else {
            if !held_on_purpose(ctx, guard)
                && let Some((helper, listener)) = emission_in_helper(ctx, guard)
            {
                out.push(helper_finding(ctx, guard, helper, &listener));
            }
            continue;
        };
        if held_on_purpose(ctx, guard) {
            continue;
        }
        let nodes: Vec<SyntaxNode> = events.iter().map(|(call, _)| call.node.clone()).collect();
        let mut found = finding(ctx, guard, &data, first, matched, &nodes);
        // guard-across-blocking's relock split of this guard moves the emission after the second
        // lock scope too; a fix of our own would keep the lock across the blocking work and
        // collide with it.
        if found.fix.is_some() && super::guard_across_blocking::relock_split_fixes(ctx, index) {
            found.fix = None;
            found.help = Some(format!(
                "emit after the lock is released: `{}` (guard-across-blocking's fix, which takes the lock \
                 again after the blocking work, moves it there)",
                shown_call(first)
            ));
        }
        out.push(found);
    }
}

/// A callback that came from outside the guarded data and is not handed it: a listener stored in a
/// field, a handler bound from elsewhere. Not a closure parameter (`with_lock(f)`, `retain(pred)`
/// run caller code under the lock by contract), not a closure kept in the guarded data (an `FnMut`
/// behind a mutex must be called under it), not a call handed the guarded data (a job run on it).
fn foreign_callback(
    ctx: &Context<'_>,
    guard: &Guard,
    data: &OnceCell<Vec<String>>,
    call: &Call,
) -> bool {
    let names = guard_data(ctx, guard, data);
    // A closure taken out of the guarded data as an owned copy (`state.on_change.clone()`) no
    // longer needs the lock; one borrowed from it (`self.0.lock().as_mut()`) does.
    let from_guard = |e: &ast::Expr| held::borrows_guard_data(ctx.file, guard, names, e);
    let foreign = match effects::callback_source(call) {
        None | Some(CallbackSource::Parameter) => false,
        Some(CallbackSource::Place(place)) => {
            !from_guard(&place) && !rooted_at_guard(guard, &place, &guard.uses(ctx.file))
        }
        Some(CallbackSource::Binding(source)) => {
            !from_guard(&source) || shared_listener_registry(guard, call)
        }
    };
    foreign && !arguments_carry_guard_data(ctx, guard, data, &call.node)
}

/// A listener method (`subscriber.on_event(ev)`) called on a listener taken from a registry held
/// under a read guard: the listeners are reached through shared references, so a snapshot of them
/// (cloned `Arc`s) could be called with no lock held, and a listener that registers or unregisters
/// — the write lock of the same registry — deadlocks on the thread that holds the read guard.
/// (A closure kept behind an exclusive guard is `FnMut` and must be called under it.)
fn shared_listener_registry(guard: &Guard, call: &Call) -> bool {
    guard.mode == AccessMode::Read && call.kind == CallKind::Method
}

fn finding(
    ctx: &Context<'_>,
    guard: &Guard,
    data: &OnceCell<Vec<String>>,
    call: &Call,
    matched: &Matched<Emission>,
    events: &[SyntaxNode],
) -> Finding {
    let count = events.len();
    let shown = shown_call(call);
    let during = match matched.pattern.kind {
        Emission::Spawn if call.awaited => "while the spawned task is awaited",
        Emission::Spawn => "when the task is spawned",
        Emission::Send => "during the send",
        Emission::Emit => "during the emission",
        Emission::Callback => "during the callback",
    };
    let labels = labels(ctx, guard, call, during, count);
    let phrase = format!("`{shown}`");
    if let Some(value) = copied_into_arguments(guard, call) {
        return copied_argument_finding(ctx, guard, call, &value, labels, &shown);
    }
    let (fix, help) = match build_fix(ctx, guard, &call.node, &phrase) {
        Ok(mut fix) => {
            if matched.pattern.kind.ordered_by_lock() {
                fix.applicability = Applicability::Unsafe;
                fix.title = with_note(
                    &fix.title,
                    "emitted after the lock is released, concurrent callers' events may arrive in a different order \
                     than their state changes",
                );
            }
            (
                Some(fix),
                format!("emit after the lock is released: {phrase}"),
            )
        }
        // The guard is used after the emission: move the emission after its last use instead.
        Err(reason) if reason.contains("critical section spans") => {
            match deferral_fix(ctx, &[guard], events) {
                Ok(fix) => (
                    Some(fix),
                    format!("emit after the guard's last use: {phrase}"),
                ),
                Err(why) if why.starts_with(DEFERRAL_REFUSED) => (
                    None,
                    format!("{}; {why}", emission_help(reason, matched.pattern.kind)),
                ),
                Err(_) => (None, emission_help(reason, matched.pattern.kind)),
            }
        }
        Err(reason) => match drop_async_guard(ctx, guard, data, &call.node) {
            Some(fix) => (
                Some(fix),
                format!("emit after the lock is released: {phrase}"),
            ),
            None => match drain_fix(ctx, guard, &call.node) {
                Some(fix) => (
                    Some(fix),
                    format!(
                        "{phrase} runs for entries the closure removes: remove them under the lock, run it after"
                    ),
                ),
                None => (None, emission_help(reason, matched.pattern.kind)),
            },
        },
    };
    // A registry of listeners behind a read guard, iterated while they are called: a copy of the
    // registry taken under a short guard lets them run with no lock held.
    let (fix, help) = match fix {
        None if matched.pattern.kind == Emission::Callback => {
            match listener_snapshot_fix(ctx, guard, data, call) {
                Some(fix) => (
                    Some(fix),
                    "call the listeners on a copy of the registry, taken under a short read guard"
                        .to_string(),
                ),
                None => (None, help),
            }
        }
        fix => (fix, help),
    };
    warning(
        guard,
        format!(
            "{} is held during {} (`{shown}`)",
            guard_subject(guard),
            matched.pattern.what
        ),
        labels,
        help,
        fix,
    )
}

/// A listener method called on a listener the loop takes from a registry behind a read guard
/// (`for s in subs.values() { s.on_event(ev) }`): the guard becomes a copy of the registry
/// (`self.subscribers.read().unwrap().clone()`, the snapshot fix), when the file shows the
/// registry's type is `Clone` (a map of `Arc`s). Unsafe: the listeners run on the copy, so one
/// registered during the loop is not called and one unregistered during it still is.
fn listener_snapshot_fix(
    ctx: &Context<'_>,
    guard: &Guard,
    data: &OnceCell<Vec<String>>,
    call: &Call,
) -> Option<Fix> {
    if !shared_listener_registry(guard, call) {
        return None;
    }
    let Some(CallbackSource::Binding(source)) = effects::callback_source(call) else {
        return None;
    };
    let names = guard_data(ctx, guard, data);
    if !held::borrows_guard_data(ctx.file, guard, names, &source) {
        return None;
    }
    let mut fix = super::guard_across_await::snapshot_fix(ctx, guard, String::new()).ok()?;
    fix.title = "Call the listeners on a copy of the registry and release the read lock at once (listeners \
                 registered during the loop are not called, ones unregistered during it still are; the \
                 registry's type must be `Clone`)"
        .to_string();
    fix.applicability = Applicability::Unsafe;
    Some(fix)
}

/// rust-socketio's `handle_ack`: callbacks run in `retain_mut` for the entries the closure removes
/// run after the lock, on the entries taken out under it.
fn drain_fix(ctx: &Context<'_>, guard: &Guard, event: &SyntaxNode) -> Option<crate::model::Fix> {
    let edit = drain_then_run(ctx.text, ctx.file, guard, event)?;
    Some(crate::model::Fix {
        title: "Take the entries the closure removes out under the lock, then run the closure's work on them \
                after it is released (the work sees entries already removed from the list)"
            .to_string(),
        applicability: Applicability::Unsafe,
        edits: vec![edit],
    })
}

/// An async guard that nothing uses after the emission, when a scoped block cannot hold what it
/// lends (a value the file alone cannot prove owned): `drop(guard)` after its last use, which the
/// crate's declared return types may prove compiles. An async guard's `drop` needs no scope for
/// the future to stay `Send`.
fn drop_async_guard(
    ctx: &Context<'_>,
    guard: &Guard,
    data: &OnceCell<Vec<String>>,
    event: &SyntaxNode,
) -> Option<Fix> {
    if !guard.kind.is_async() {
        return None;
    }
    let names = guard_data(ctx, guard, data);
    drop_fix(ctx.text, ctx.file, guard, names, event)
}

/// [`held::guard_data_names`] of `guard`, computed once for all its emissions.
fn guard_data<'d>(
    ctx: &Context<'_>,
    guard: &Guard,
    data: &'d OnceCell<Vec<String>>,
) -> &'d [String] {
    data.get_or_init(|| held::guard_data_names(ctx.file, guard, ctx.scopes.crate_index.as_deref()))
}

/// A method of the same type, defined in this file and called under the guard
/// (`self.emit_events(&mut state)`), whose own body calls a listener that did not come from its
/// parameters (`self.observer.emit(event)`): the listener runs under the caller's guard. One step
/// deep, and only synchronous helpers (an `async fn` helper's awaits are the other rules').
fn emission_in_helper<'g>(ctx: &Context<'_>, guard: &'g Guard) -> Option<(&'g Call, Call)> {
    guard.calls.iter().find_map(|call| {
        if call.kind != CallKind::Method || call.receiver.as_deref() != Some("self") {
            return None;
        }
        let helper = ctx
            .scopes
            .decls
            .functions_named(&call.callee)
            .iter()
            .find(|f| {
                f.async_token().is_none()
                    && crate::analysis::relock::same_self_type(guard.call.syntax(), f.syntax())
            })?;
        // Bodies are keyed by their `fn` node (`syntax::enclosing_body`).
        let listener = crate::analysis::events::calls_where(helper.syntax(), |_, _| true)
            .into_iter()
            .find(|inner| {
                effects::is_callback(inner)
                    && matches!(
                        effects::callback_source(inner),
                        Some(CallbackSource::Place(_))
                    )
            })?;
        Some((call, listener))
    })
}

fn helper_finding(ctx: &Context<'_>, guard: &Guard, helper: &Call, listener: &Call) -> Finding {
    let shown = shown_call(helper);
    let inner = shown_call(listener);
    let mut labels = labels(ctx, guard, helper, "while the helper runs", 1);
    labels.push(crate::model::Label {
        range: syntax::to_range(listener.node.text_range()),
        message: "the listener is called here".to_string(),
    });
    warning(
        guard,
        format!(
            "{} is held while `{shown}` calls a listener (`{inner}`): a listener that touches the same lock \
             deadlocks",
            guard_subject(guard)
        ),
        labels,
        "take what the listeners need under the lock (the pending events), release it, and call them after"
            .to_string(),
        None,
    )
}

/// This rule's finding on `guard`.
fn warning(
    guard: &Guard,
    message: String,
    labels: Vec<crate::model::Label>,
    help: String,
    fix: Option<crate::model::Fix>,
) -> Finding {
    Finding {
        tier: crate::analysis::Tier::Syntax,
        rule: RuleId::EmitUnderLock,
        severity: Severity::Warning,
        range: syntax::to_range(guard.primary_range()),
        message,
        labels,
        help: Some(help),
        fix,
    }
}

/// A temporary guard inside the callback's own arguments whose value is copied out
/// (`f(Event { id: ids.lock().unwrap().get(&k).unwrap().clone() })`): the copy is made before the
/// call, yet the temporary guard lives to the end of the statement, through the callback. The
/// copying expression, which can be computed in a statement of its own.
fn copied_into_arguments(guard: &Guard, call: &Call) -> Option<ast::Expr> {
    if !matches!(guard.holder, crate::analysis::Holder::Temporary) {
        return None;
    }
    let args = call
        .node
        .children()
        .find(|n| n.kind() == SyntaxKind::ARG_LIST)?;
    if !args
        .text_range()
        .contains_range(guard.guard_expr.syntax().text_range())
    {
        return None;
    }
    // Up the chain that starts at the guard (method calls on it, `?`, `.field`) to its last copy:
    // what the chain does with the copy after that needs no lock.
    let mut top = guard.guard_expr.clone();
    let mut copy = None;
    while let Some(parent) = top.syntax().parent().and_then(ast::Expr::cast) {
        let continues = match &parent {
            ast::Expr::MethodCallExpr(m) => m.receiver().as_ref() == Some(&top),
            ast::Expr::FieldExpr(_) | ast::Expr::TryExpr(_) => true,
            _ => false,
        };
        if !continues {
            break;
        }
        if matches!(&parent, ast::Expr::MethodCallExpr(m)
            if m.name_ref().is_some_and(|n| OWNING_METHODS.iter().any(|c| *c == n.text())))
        {
            copy = Some(parent.clone());
        }
        top = parent;
    }
    // The copy must not be handed on by reference (`f(&ids.lock().unwrap().clone())` would then
    // borrow a temporary of the statement).
    let copy = copy?;
    copy.syntax()
        .ancestors()
        .take_while(|a| a != &args)
        .all(|a| ast::RefExpr::cast(a).is_none())
        .then_some(copy)
}

/// The finding for [`copied_into_arguments`]: the fix computes the copy in its own statement, so
/// the guard is released before the callback runs — what the maintainers of such code write.
fn copied_argument_finding(
    ctx: &Context<'_>,
    guard: &Guard,
    call: &Call,
    value: &ast::Expr,
    labels: Vec<crate::model::Label>,
    shown: &str,
) -> Finding {
    let statement = call.node.ancestors().find(|a| {
        a.parent()
            .is_some_and(|p| p.kind() == SyntaxKind::STMT_LIST)
    });
    let fix = statement.and_then(|item| {
        // Named after the field it fills (`MenuEvent { id: .. }` → `id`) where there is one.
        let field = value
            .syntax()
            .ancestors()
            .find_map(ast::RecordExprField::cast)
            .and_then(|f| f.field_name())
            .map(|n| n.text().to_string());
        let names: Vec<String> = field
            .into_iter()
            .chain([crate::fixes::naming::suggest_name(value)])
            .collect();
        let hoist = crate::fixes::hoist::hoist_as(ctx.text, &item, value, &guard.body, "", &names);
        (!hoist.reorders).then(|| crate::model::Fix {
            title: format!(
                "compute `{}` in its own statement, so the guard is released before the callback",
                hoist.name
            ),
            applicability: Applicability::Safe,
            edits: vec![hoist.edit],
        })
    });
    warning(
        guard,
        format!(
            "{} lives to the end of the statement that calls `{shown}`: it stays locked while the callback runs, \
             although only a copy of its data is passed",
            guard_subject(guard),
        ),
        labels,
        "compute the copied value in a statement of its own; the temporary guard then ends there"
            .to_string(),
        fix,
    )
}

/// Seed 004's deferral: the emitting statements move after the guards' last use, where the guards
/// are dropped. Always unsafe: events arrive after state changes that used to follow them.
pub(crate) fn deferral_fix(
    ctx: &Context<'_>,
    guards: &[&Guard],
    events: &[SyntaxNode],
) -> Result<crate::model::Fix, String> {
    let deferral = defer_emissions(
        ctx.text,
        ctx.file,
        guards,
        events,
        ctx.scopes.crate_index.as_deref(),
    )?;
    let names: Vec<String> = guards
        .iter()
        .filter_map(|g| g.name())
        .map(|n| format!("`{n}`"))
        .collect();
    let what = if deferral.moved == 1 {
        "the emission"
    } else {
        "the emissions"
    };
    let mut title = format!(
        "Move {what} after the last use of {} and drop {} there",
        names.join(" and "),
        if names.len() == 1 { "it" } else { "them" }
    );
    if deferral.copies_data {
        title.push_str(" (event data is copied under the lock; the type must be `Clone`)");
    }
    Ok(crate::model::Fix {
        title: with_note(
            &title,
            "events are emitted after the locked updates that followed them, and concurrent callers' events may \
             arrive in a different order than their state changes",
        ),
        applicability: Applicability::Unsafe,
        edits: deferral.edits,
    })
}

fn emission_help(reason: String, kind: Emission) -> String {
    if !reason.contains("critical section spans") {
        return reason;
    }
    let extra = match kind {
        Emission::Callback => {
            "; if the callbacks live in the guarded data, clone them (`Arc<dyn Fn>`) inside the scope and call \
             them after it"
        }
        _ => {
            "; if several guards are held together, split the function into phases (`double-lock`)"
        }
    };
    format!(
        "the guard is used in or after the emission, so the event is inside the critical section: compute the \
         event data in a scoped block and emit after the guard's last use{extra}"
    )
}

/// Spawns whose handle is joined under the same guard: `guard-across-blocking` reports the join.
fn joined_spawns(guard: &Guard, extra: &effects::Extra) -> Vec<SyntaxNode> {
    guard
        .calls
        .iter()
        // Only chain roots matter here (`thread::spawn(f).join()`): a package function has none.
        .filter_map(|call| effects::blocking(call, extra, None))
        .filter_map(|m| m.root)
        .collect()
}

/// `tasks.insert(id, tokio::spawn(..))`, `state.worker = Some(thread::spawn(..))`, or a handle
/// bound by `let` and then stored by a statement that uses the guard: spawning under the lock is
/// what makes registering the task atomic (it cannot finish and deregister before it is
/// registered), so it is deliberate.
fn handle_kept_under_guard(ctx: &Context<'_>, guard: &Guard, call: &Call) -> bool {
    let uses = guard.uses(ctx.file);
    for ancestor in call.node.ancestors().skip(1) {
        if let Some(method) = ast::MethodCallExpr::cast(ancestor.clone()) {
            let in_arguments = method.arg_list().is_some_and(|a| {
                a.syntax()
                    .text_range()
                    .contains_range(call.node.text_range())
            });
            if in_arguments
                && method
                    .receiver()
                    .is_some_and(|r| rooted_at_guard(guard, &r, &uses))
            {
                return true;
            }
        }
        if let Some(assign) = ast::BinExpr::cast(ancestor.clone())
            && matches!(assign.op_kind(), Some(ast::BinaryOp::Assignment { .. }))
            && assign.rhs().is_some_and(|r| {
                r.syntax()
                    .text_range()
                    .contains_range(call.node.text_range())
            })
            && assign
                .lhs()
                .is_some_and(|l| rooted_at_guard(guard, &l, &uses))
        {
            return true;
        }
        if let Some(stmt) = ast::LetStmt::cast(ancestor.clone()) {
            let Some(pat) = stmt.pat() else { return false };
            // In broken code the statement can outlast the guard's region (fuzzing found it).
            let start = stmt.syntax().text_range().end();
            let after = TextRange::new(start, guard.live.end().max(start));
            return syntax::pattern_bindings(&pat).iter().any(|binding| {
                let name = syntax::ident_name(binding);
                syntax::mentions(ctx.file, after, &name).iter().any(|m| {
                    let statement = node_at(ctx.file, *m).ancestors().find(|a| {
                        a.parent()
                            .is_some_and(|p| p.kind() == SyntaxKind::STMT_LIST)
                    });
                    statement.is_some_and(|s| {
                        uses.iter().any(|u| s.text_range().contains_range(*u))
                            || s.text_range()
                                .contains_range(guard.guard_expr.syntax().text_range())
                    })
                })
            });
        }
        if ancestor
            .parent()
            .is_some_and(|p| p.kind() == SyntaxKind::STMT_LIST)
        {
            break;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::model::{Applicability, RuleId};
    use crate::test_support::{code_block, findings, fixed};

    const SCAFFOLD: &str = "struct State { failures: u64, trips: u64 }\n\
        #[derive(Clone)] struct EventBus;\n\
        impl EventBus { async fn emit(&self, _: &str, _: u64) {} }\n\
        struct Pool { circuit_state: tokio::sync::Mutex<State>, events: EventBus }\n";

    #[test]
    fn the_documented_example_becomes_the_documented_fix() {
        let doc = super::DOC.explanation;
        let before = format!(
            "{SCAFFOLD}impl Pool {{\n{}}}\n",
            code_block(doc, "## Example")
        );
        let after = format!(
            "{SCAFFOLD}impl Pool {{\n{}}}\n",
            code_block(doc, "## Use instead")
        );
        let found = findings(&before, RuleId::EmitUnderLock);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].fix.as_ref().map(|f| f.applicability),
            Some(Applicability::Unsafe)
        );
        assert_eq!(fixed(&before, RuleId::EmitUnderLock), after);
        assert!(findings(&after, RuleId::EmitUnderLock).is_empty());
    }

    #[test]
    fn non_blocking_sends_under_a_std_lock_are_fine() {
        // mini-redis `Db::publish`: a broadcast send under the std mutex.
        let src = "fn publish(&self, key: &str, value: Bytes) -> usize {\n\
                   let state = self.shared.state.lock().unwrap();\n\
                   state.pub_sub.get(key).map(|tx| tx.send(value).unwrap_or(0)).unwrap_or(0)\n}\n\
                   fn tell(&self, tx: &tokio::sync::mpsc::UnboundedSender<u8>) {\n\
                   let g = self.m.lock().unwrap();\n\
                   tx.send(*g).ok();\n\
                   tx.try_send(*g).ok();\n}\n";
        assert!(findings(src, RuleId::EmitUnderLock).is_empty());
    }

    #[test]
    fn an_awaited_send_under_a_std_guard_belongs_to_guard_across_await() {
        let src = "async fn f(m: &std::sync::Mutex<u8>, tx: tokio::sync::mpsc::Sender<u8>) {\n\
                   let g = m.lock().unwrap();\n\
                   let v = *g;\n\
                   tx.send(v).await.ok();\n}\n";
        assert!(findings(src, RuleId::EmitUnderLock).is_empty());
        assert_eq!(findings(src, RuleId::GuardAcrossAwait).len(), 1);
    }

    #[test]
    fn a_with_lock_helper_is_not_a_callback() {
        let src = "fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {\n\
                   let mut g = self.m.lock().unwrap();\n\
                   f(&mut g)\n}\n";
        assert!(findings(src, RuleId::EmitUnderLock).is_empty());
    }
}
