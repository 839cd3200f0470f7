//! How an `.await` under a guard relates to it: the await works on the guarded object, reads data
//! borrowed from it (directly or through a binding), or has no part in it — and then whether the
//! guard sits idle after its last use, was taken before its first, or spans slow IO between two
//! uses (see [`Hold`]). Deliberate holds (single-flight refreshes, serialisation, lock ordering)
//! and awaits other rules own (relocks, emissions, guards held together) have no role.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize, ast, ast::HasArgList};

use super::Hold;
use crate::analysis::relock::relocks;
use crate::analysis::{Guard, Holder, held, syntax};
use crate::fixes::release::node_at;
use crate::rules::Context;

/// What a guard lends within its live region: the bindings that may borrow from it, and whether a
/// use of it may move it.
pub(super) struct Lent {
    pub(super) data: Vec<String>,
    uses: Vec<TextRange>,
    moved: bool,
}

impl Lent {
    pub(super) fn of(ctx: &Context<'_>, guard: &Guard) -> Lent {
        let uses = guard.uses(ctx.file);
        Lent {
            data: held::guard_data_names(ctx.file, guard, ctx.scopes.crate_index.as_deref()),
            moved: uses.iter().any(|u| held::may_move_guard(ctx.file, *u)),
            uses,
        }
    }
}

/// How the awaits under an async guard that work neither on the guarded object nor on data
/// borrowed from it relate to the guard's uses.
pub(super) struct AsyncHolds {
    /// Every mention of the guard or of a value borrowed from it, in the live region.
    mentions: Vec<TextRange>,
    /// Where the same task locks this lock again (`read-then-write`'s findings): an await there is
    /// that rule's.
    relock_sites: Vec<TextRange>,
}

impl AsyncHolds {
    /// `None` for a guard whose awaits have no role: a blocking guard, a temporary, a guard bound
    /// to `_name`, never used or moved (a deliberate hold: single-flight, serialisation), or one
    /// held together with another (double-lock's phase split releases those).
    pub(super) fn of(
        ctx: &Context<'_>,
        index: usize,
        guard: &Guard,
        lent: &Lent,
    ) -> Option<AsyncHolds> {
        let is_let = matches!(guard.holder, Holder::Let { .. } | Holder::IfLet { .. });
        let deliberate =
            guard.name().is_none_or(|n| n.starts_with('_')) || lent.uses.is_empty() || lent.moved;
        if !guard.kind.is_async()
            || !is_let
            || deliberate
            || ctx.phase_split_guards().contains(&index)
        {
            return None;
        }
        Some(AsyncHolds {
            mentions: held::data_mentions(ctx.file, guard, &lent.data, &lent.uses),
            relock_sites: relocks(ctx.scopes, ctx.file, index, ctx.facts)
                .iter()
                .map(|r| r.site_range())
                .collect(),
        })
    }
}

/// The role of one await under an async guard, see [`Hold`].
pub(super) fn await_role(
    ctx: &Context<'_>,
    guard: &Guard,
    holds: &AsyncHolds,
    await_expr: &ast::AwaitExpr,
) -> Option<Hold> {
    let at = await_expr.syntax().text_range().start();
    let range = await_expr.syntax().text_range();
    if held::handed_away_before(ctx.file, guard, at)
        || holds.relock_sites.iter().any(|r| range.contains_range(*r))
        || emits(ctx, guard, await_expr)
    {
        return None;
    }
    let before = holds.mentions.iter().any(|m| m.end() <= at);
    let inside_or_after = holds.mentions.iter().any(|m| m.end() > at);
    if repeated_in_loop(guard, at, &holds.mentions) {
        return None;
    }
    match (before, inside_or_after) {
        (true, false) => Some(Hold::AfterLastUse),
        // Taking another lock before using this one is lock ordering, not a wait.
        (false, true) if !mentioned_inside(holds, await_expr) && !acquires_a_lock(await_expr) => {
            Some(Hold::BeforeFirstUse)
        }
        (true, true)
            if !mentioned_inside(holds, await_expr) && !single_flight(guard, holds, await_expr) =>
        {
            slow_await(await_expr).map(Hold::SpansSlow)
        }
        _ => None,
    }
}

/// An awaited send, event or spawn: `emit-under-lock` reports it under an async guard, with the
/// fix seed 004 asks for (compute the event under the lock, emit after).
fn emits(ctx: &Context<'_>, guard: &Guard, await_expr: &ast::AwaitExpr) -> bool {
    let Some(operand) = await_expr.expr() else {
        return false;
    };
    guard.calls.iter().any(|call| {
        call.awaited
            && call.node == *operand.syntax()
            && crate::analysis::effects::emission(call, &ctx.extra).is_some()
    })
}

/// `other.lock().await`, `self.state.write().await`.
fn acquires_a_lock(await_expr: &ast::AwaitExpr) -> bool {
    matches!(
        await_expr.expr(),
        Some(ast::Expr::MethodCallExpr(m))
            if m.name_ref().is_some_and(|n| crate::analysis::lock_method_mode(n.text()).is_some())
    )
}

fn mentioned_inside(holds: &AsyncHolds, await_expr: &ast::AwaitExpr) -> bool {
    let range = await_expr.syntax().text_range();
    holds.mentions.iter().any(|m| range.contains_range(*m))
}

/// A single-flight hold: the await runs only when a condition on the guarded data says so
/// (`if tok.is_expired() { *tok = refresh().await }`), so that one task does the work while the
/// others wait for its result. That is what the lock is for.
fn single_flight(guard: &Guard, holds: &AsyncHolds, await_expr: &ast::AwaitExpr) -> bool {
    await_expr
        .syntax()
        .ancestors()
        .take_while(|a| guard.live.contains_range(a.text_range()))
        .any(|a| {
            let condition = if let Some(i) = ast::IfExpr::cast(a.clone()) {
                i.condition().map(|c| c.syntax().text_range())
            } else if let Some(m) = ast::MatchExpr::cast(a.clone()) {
                m.expr().map(|e| e.syntax().text_range())
            } else if let Some(w) = ast::WhileExpr::cast(a) {
                w.condition().map(|c| c.syntax().text_range())
            } else {
                None
            };
            condition.is_some_and(|c| {
                !c.contains_range(await_expr.syntax().text_range())
                    && holds.mentions.iter().any(|m| c.contains_range(*m))
            })
        })
}

/// What makes an awaited call slow enough that holding a lock across it is a hazard, when the
/// callee says so: a sleep, a network connection or request, file-system IO, waiting for other
/// tasks or a message. `None` for anything else (most awaits are quick, or unknown).
fn slow_await(await_expr: &ast::AwaitExpr) -> Option<&'static str> {
    let mut operand = syntax::strip_wrappers(&await_expr.expr()?);
    // `Box::pin(x)`, `timeout(d, x)`: the work is the wrapped future.
    while let ast::Expr::CallExpr(call) = &operand {
        let callee = call
            .expr()
            .map(|e| syntax::compact_text(e.syntax()))
            .unwrap_or_default();
        let last = callee.rsplit("::").next().unwrap_or_default();
        if !matches!(last, "pin" | "timeout") {
            break;
        }
        // `Box::pin(make_future()?)`: the future is what `?` unwraps.
        let inner = match call.arg_list().and_then(|a| a.args().last()) {
            Some(ast::Expr::TryExpr(t)) => t.expr(),
            other => other,
        };
        match inner {
            Some(inner) => operand = syntax::strip_wrappers(&inner),
            None => break,
        }
    }
    let (name, path, args) = match &operand {
        ast::Expr::CallExpr(call) => {
            let callee = call
                .expr()
                .map(|e| syntax::compact_text(e.syntax()))
                .unwrap_or_default();
            let name = callee.rsplit("::").next().unwrap_or_default().to_string();
            let args = call.arg_list().map_or(0, |a| a.args().count());
            (name, callee, args)
        }
        ast::Expr::MethodCallExpr(call) => {
            let name = call
                .name_ref()
                .map(|n| n.text().to_string())
                .unwrap_or_default();
            let args = call.arg_list().map_or(0, |a| a.args().count());
            (name, String::new(), args)
        }
        ast::Expr::MacroExpr(mac) => {
            let name = mac
                .macro_call()
                .and_then(|m| m.path())
                .map(|p| syntax::compact_text(p.syntax()))
                .unwrap_or_default();
            let name = name.rsplit("::").next().unwrap_or_default().to_string();
            (name, String::new(), 0)
        }
        _ => return None,
    };
    let name = name.as_str();
    if path.starts_with("tokio::fs::")
        || path.starts_with("fs::")
        || path.starts_with("async_std::fs::")
    {
        return Some("file-system IO");
    }
    Some(match name {
        "sleep" | "sleep_until" | "delay_for" => "a sleep",
        "connect" | "new_connection" | "handshake" | "connect_timeout" => "a network connection",
        n if n.starts_with("connect_") => "a network connection",
        // `request.send().await` (reqwest, hyper): an HTTP request. `contract.method().call().await`
        // (alloy, ethers): a remote call.
        "send" | "call" if args == 0 => "a network request",
        "send_request" | "request" => "a network request",
        "read_to_end" | "read_to_string" | "sync_all" | "sync_data" => "file or socket IO",
        "join_all" | "try_join_all" | "join" | "try_join" => "waiting for other tasks",
        "recv" => "waiting for a message",
        _ => return None,
    })
}

/// Whether a loop that starts while the guard is alive encloses `at` and one of `mentions`: the
/// next iteration uses the guard again after the await.
fn repeated_in_loop(guard: &Guard, at: TextSize, mentions: &[TextRange]) -> bool {
    guard
        .body
        .descendants()
        .filter(|n| {
            matches!(
                n.kind(),
                SyntaxKind::LOOP_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::FOR_EXPR
            )
        })
        .filter(|l| guard.live.contains(l.text_range().start()) && l.text_range().contains(at))
        .any(|l| mentions.iter().any(|m| l.text_range().contains_range(*m)))
}

/// For an async lock: is the await reading data borrowed from the guard, rather than operating on
/// the guarded object or on something unrelated (a deliberate hold)? Operating means: the awaited
/// call is a method of the guard (`sink.write_all(..).await`), or it is handed the guard itself or
/// a mutable borrow through it (`cvar.wait(guard)`, `apply(&mut deqs)`, `&mut g.0`).
pub(super) fn awaits_borrowed_data(
    ctx: &Context<'_>,
    guard: &Guard,
    await_expr: &ast::AwaitExpr,
) -> bool {
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

/// For an async lock: does the awaited call read a value borrowed from the guard through a
/// binding?
pub(super) fn awaits_borrowed_binding<'a>(
    ctx: &Context<'_>,
    guard: &Guard,
    await_expr: &ast::AwaitExpr,
    lent: impl Fn() -> &'a Lent,
) -> bool {
    let Some(operand) = await_expr.expr() else {
        return false;
    };
    let operand_range = operand.syntax().text_range();
    if guard
        .name()
        .is_some_and(|name| !syntax::mentions(ctx.file, operand_range, &name).is_empty())
    {
        // The guard itself is in the call: `awaits_borrowed_data` decided.
        return false;
    }
    // A value borrowed from the guard through a binding (`let names = list.names();`,
    // `if let Some(t) = g.as_ref()`, `for c in g.iter()`): the await reads guarded data, unless the
    // binding is a mutable borrow, which works on the guarded object itself. A guard moved into
    // something (`Holder::new(.., guard)`) lends nothing; bindings made inside the awaited
    // expression (an `async` block's own `let`s) are its own business.
    let lent = lent();
    if lent.moved {
        return false;
    }
    let bound_before = |name: &str| {
        guard
            .body
            .descendants()
            .filter_map(ast::IdentPat::cast)
            .any(|p| {
                syntax::ident_name(&p) == name
                    && guard.live.contains(p.syntax().text_range().start())
                    && p.syntax().text_range().end() <= operand_range.start()
            })
    };
    lent.data
        .iter()
        .filter(|n| Some(n.as_str()) != guard.name().as_deref())
        .any(|n| {
            !syntax::mentions(ctx.file, operand_range, n).is_empty()
                && bound_before(n)
                && !held::derived_mutably(ctx.file, guard, n)
        })
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
