//! The one-line release maintainers write for an async guard that simply lives too long: a
//! `drop(guard);` after the statement that uses it last, or at the top of the branch that awaits
//! (Fluvio #2490's fix).
//!
//! ```text
//! let mut w = self.segments.write().await;          let mut w = self.segments.write().await;
//! if let Some(old) = w.remove_segment(id) {   =>    if let Some(old) = w.remove_segment(id) {
//!     old.remove_files().await;                         drop(w);
//! }                                                     old.remove_files().await;
//!                                                   }
//! ```
//!
//! Only offered where it compiles for certain: the guard is a binding that nothing moves, no
//! value that may borrow from it is used after the `drop` or stored anywhere but in a `let`, and
//! no loop that starts under the guard runs the `drop` twice. A `drop` of a guard that was
//! borrowed still counts as held for rustc's `Send` check (rust-clippy #6446), so this is for
//! async guards, whose futures are `Send` either way; blocking guards get the scoped block.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize, ast};

use super::ownership::{Ownership, ownership};
use super::release::node_at;
use crate::analysis::{Guard, Holder, held, syntax};
use crate::model::{Applicability, Fix, TextEdit};

/// [`drop_at_last_use`] as a safe fix with its title.
pub fn drop_fix(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    data: &[String],
    event: &SyntaxNode,
) -> Option<Fix> {
    let edits = drop_at_last_use(text, file, guard, data, event)?;
    Some(Fix {
        title: format!(
            "Release the guard after its last use (`drop({})`)",
            guard.name()?
        ),
        applicability: Applicability::Safe,
        edits,
    })
}

/// The edits that insert `drop(<guard>);` after the last mention of the guard's data and before
/// `event`, or `None` when that might not compile. `data` are the guard's binding and the bindings
/// that may borrow from it ([`held::guard_data_names`]).
///
/// The first edit rewrites the first character of the guard's statement to itself: a fix's span
/// must cover the guard's whole region, from its `let` on, as every other fix of a guard does (a
/// scoped block, a check extraction), so that two rewrites of one guard never land in one pass.
pub fn drop_at_last_use(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    data: &[String],
    event: &SyntaxNode,
) -> Option<Vec<TextEdit>> {
    let insertion = insertion(text, file, guard, data, event, AfterEvent::Unused)?;
    let start = usize::from(guard.primary_range().start());
    let anchor = TextEdit {
        range: start..start + 1,
        replacement: text.get(start..start + 1)?.to_string(),
    };
    Some(vec![anchor, insertion])
}

/// What happens to the guard after the event, for [`insertion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AfterEvent {
    /// Nothing reached from the event may use the guard or its data.
    Unused,
    /// The lock is taken again before the guard's next use ([`super::drop_and_relock`]): only
    /// what comes before the event has to allow the `drop`.
    Relocked,
}

/// The edit that inserts `drop(<guard>);` after the last mention of the guard's data before
/// `event`, in the innermost block around `event` that runs under the guard, or `None` when that
/// might not compile.
pub(super) fn insertion(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    data: &[String],
    event: &SyntaxNode,
    after_event: AfterEvent,
) -> Option<TextEdit> {
    if !matches!(guard.holder, Holder::Let { .. } | Holder::IfLet { .. }) {
        return None;
    }
    let name = guard.name()?;
    // Code the event's path never reaches (after a `return` that follows it) neither blocks the
    // `drop` nor needs the guard: maintainers drop a guard in the branch that returns early
    // (trypema's `drop(state)` before `get_mut`) while the other paths keep using it. Seen from
    // the event, the guard lives up to that `return`, and only what borrows from it there counts.
    let reached;
    let narrowed: Vec<String>;
    let (guard, data) = match exit_after(event, guard) {
        Some(exit) => {
            reached = Guard {
                live: TextRange::new(guard.live.start(), exit),
                ..guard.clone()
            };
            let borrowing_there = held::guard_data_names(file, &reached, None);
            narrowed = data
                .iter()
                .filter(|name| borrowing_there.contains(name))
                .cloned()
                .collect();
            (&reached, narrowed.as_slice())
        }
        None => (guard, data),
    };
    // Uses in another branch than the event's (`else` of the `if let` that blocks in its
    // `then`) are never reached from it: lighthouse's `drop(shuffling_cache)` before the wait in
    // one branch, while the other branch goes on using the guard and drops it itself.
    let event_start = event.text_range().start();
    let reachable = |u: &TextRange| {
        !syntax::in_other_branch(event, &node_at(file, *u))
            && (after_event == AfterEvent::Unused || u.end() <= event_start)
    };
    let uses: Vec<TextRange> = guard.uses(file).into_iter().filter(reachable).collect();
    if uses.is_empty() || uses.iter().any(|u| held::may_move_guard(file, *u)) {
        return None;
    }
    // A mention inside a macro call is a token, not an expression: what the macro does with the
    // guard (`vec![g]` moves it) is not known, and a `drop` after a move does not compile. The
    // standard macros that format, log, assert or match only borrow their arguments.
    let in_unknown_macro = |u: &TextRange| {
        let node = node_at(file, *u);
        node.ancestors().all(|a| a.kind() != SyntaxKind::PATH_EXPR) && !in_borrowing_macro(&node)
    };
    if uses.iter().any(in_unknown_macro) {
        return None;
    }
    let mentions: Vec<TextRange> = held::data_mentions(file, guard, data, &uses)
        .into_iter()
        .filter(reachable)
        .collect();
    if mentions.iter().any(|m| escapes(file, *m, data)) {
        return None;
    }
    let last = mentions.iter().map(|m| m.end()).max()?;
    // After a pattern that binds the guard's name again, `drop(name)` would drop the new value.
    let bound_again = TextRange::new(guard.live.start(), event_start.max(guard.live.start()));
    if syntax::binds_in(&guard.body, bound_again, &name) {
        return None;
    }
    if last > event_start {
        return None;
    }
    // The innermost block around the event that runs under the guard: the guard's own block or
    // one inside its live region.
    let list = event
        .ancestors()
        .filter_map(ast::StmtList::cast)
        .find(|l| {
            let range = l.syntax().text_range();
            guard.live.contains_range(range) || range.contains(guard.live.start())
        })?;
    if syntax::enclosing_body(list.syntax()).as_ref() != Some(&guard.body) {
        return None;
    }
    let runs_again = list.syntax().ancestors().any(|a| {
        matches!(
            a.kind(),
            SyntaxKind::LOOP_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::FOR_EXPR
        ) && guard.live.contains(a.text_range().start())
    });
    if runs_again {
        return None;
    }
    let items = syntax::block_items(&list);
    let event_item = syntax::item_containing(&list, event)?;
    let eol = syntax::eol(text);
    if list.syntax().text_range().start() >= last {
        // Nothing in this block uses the guard: release it first thing.
        let first = items.first()?;
        let at = usize::from(first.text_range().start());
        let indent = syntax::line_indent(text, at);
        return Some(TextEdit {
            range: at..at,
            replacement: format!("drop({name});{eol}{indent}"),
        });
    }
    let last_item = syntax::item_containing(
        &list,
        &node_at(file, TextRange::new(last - TextSize::from(1), last)),
    )?;
    if last_item >= event_item {
        return None;
    }
    let at = syntax::end_with_trailing_comment(&items[last_item]);
    let indent = syntax::line_indent(text, usize::from(items[last_item].text_range().start()));
    Some(TextEdit {
        range: at..at,
        replacement: format!("{eol}{indent}drop({name});"),
    })
}

/// Whether a method of `receiver` may keep a borrowed argument beyond the call. Not a method of
/// `self` (it hands the value over for the call), nor of a static (it keeps `'static` data only:
/// `GRAPH_POOL.read().unwrap().get(&key)`), nor of a local whose `let` declares a type without
/// references (`let mut stack: Vec<Key> = ..`: it holds values).
fn receiver_may_keep(receiver: &ast::Expr) -> bool {
    let root = syntax::compact_text(receiver.syntax());
    let first = root.split(['.', '(', '[']).next().unwrap_or_default();
    let last_segment = first.rsplit("::").next().unwrap_or_default();
    let is_static = last_segment.chars().any(|c| c.is_ascii_uppercase())
        && last_segment
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if first.starts_with("self") || is_static {
        return false;
    }
    let ast::Expr::PathExpr(local) = receiver else {
        return true;
    };
    let Some(function) = receiver.syntax().ancestors().find_map(ast::Fn::cast) else {
        return true;
    };
    let name = syntax::compact_text(local.syntax());
    let declared = function
        .syntax()
        .descendants()
        .filter_map(ast::LetStmt::cast)
        .filter(|stmt| stmt.syntax().text_range().end() <= receiver.syntax().text_range().start())
        .filter(|stmt| {
            matches!(stmt.pat(), Some(ast::Pat::IdentPat(pat)) if syntax::ident_name(&pat) == name)
        })
        .last();
    declared.and_then(|stmt| stmt.ty()).is_none_or(|ty| {
        let text = ty.syntax().text().to_string();
        text.contains(['&', '\'']) || text.contains("impl ") || text.contains("dyn ")
    })
}

/// Where the path through `event` certainly leaves the guard's function: the end of the
/// innermost block around `event` (inside the guard's live region) in which a `return` (or a
/// panic) follows it. Code after that point is not reached from `event` (`None`: it may be).
fn exit_after(event: &SyntaxNode, guard: &Guard) -> Option<TextSize> {
    event
        .ancestors()
        .filter_map(ast::StmtList::cast)
        .take_while(|list| guard.live.contains_range(list.syntax().text_range()))
        .find_map(|list| {
            let from = syntax::item_containing(&list, event)?;
            syntax::block_items(&list)
                .into_iter()
                .skip(from)
                .any(|item| leaves_function(&item))
                .then(|| list.syntax().text_range().end())
        })
        .filter(|exit| *exit < guard.live.end())
}

/// Whether `node` is a token inside macro calls that all only borrow what they are given.
pub(super) fn in_borrowing_macro(node: &SyntaxNode) -> bool {
    let mut calls = node.ancestors().filter_map(ast::MacroCall::cast).peekable();
    calls.peek().is_some()
        && calls.all(|call| {
            call.path()
                .and_then(|path| path.segment())
                .is_some_and(|segment| {
                    crate::analysis::macros::EXPRESSION_MACROS
                        .contains(&segment.syntax().text().to_string().as_str())
                })
        })
}

/// A block item that always leaves the function: `return ..;` or a panicking macro.
fn leaves_function(item: &SyntaxNode) -> bool {
    match syntax::item_expr(item) {
        Some(ast::Expr::ReturnExpr(_)) => true,
        Some(ast::Expr::MacroExpr(mac)) => mac
            .macro_call()
            .and_then(|call| call.path())
            .and_then(|path| path.segment())
            .is_some_and(|segment| {
                matches!(
                    segment.syntax().text().to_string().as_str(),
                    "panic" | "unreachable" | "todo" | "unimplemented"
                )
            }),
        _ => false,
    }
}

/// Whether a value computed from the guard at `range` may be kept somewhere a `drop` of the guard
/// would leave dangling without the `let` bindings showing it: passed to a call, assigned, put in
/// a struct, returned. Owned values (`v.push(g.len())`) are fine.
pub(super) fn escapes(file: &SyntaxNode, range: TextRange, data: &[String]) -> bool {
    let node = node_at(file, range);
    let mut expr = node
        .ancestors()
        .find_map(ast::PathExpr::cast)
        .map(ast::Expr::PathExpr);
    if expr.is_none() && in_borrowing_macro(&node) {
        return false;
    }
    while let Some(current) = expr.clone() {
        let Some(parent) = current.syntax().parent() else {
            return true;
        };
        let continues = match ast::Expr::cast(parent.clone()) {
            Some(ast::Expr::MethodCallExpr(m)) => {
                m.receiver().is_some_and(|r| r.syntax() == current.syntax())
            }
            Some(
                ast::Expr::FieldExpr(_)
                | ast::Expr::IndexExpr(_)
                | ast::Expr::PrefixExpr(_)
                | ast::Expr::RefExpr(_)
                | ast::Expr::TryExpr(_)
                | ast::Expr::ParenExpr(_)
                | ast::Expr::AwaitExpr(_),
            ) => true,
            _ => false,
        };
        if continues {
            expr = ast::Expr::cast(parent);
            continue;
        }
        let kept_elsewhere = match parent.kind() {
            // Bound (the binding is one of `data`), discarded, tested, or iterated (the loop's
            // bindings are in `data`).
            SyntaxKind::LET_STMT
            | SyntaxKind::EXPR_STMT
            | SyntaxKind::LET_EXPR
            | SyntaxKind::MATCH_EXPR
            | SyntaxKind::IF_EXPR
            | SyntaxKind::WHILE_EXPR
            | SyntaxKind::FOR_EXPR
            | SyntaxKind::STMT_LIST => false,
            SyntaxKind::BIN_EXPR => ast::BinExpr::cast(parent.clone()).is_some_and(|b| {
                b.op_kind()
                    .is_some_and(|op| matches!(op, ast::BinaryOp::Assignment { .. }))
                    && b.rhs().is_some_and(|r| r.syntax() == current.syntax())
            }),
            // An argument: a method of a local value may keep it (`seen.push(item)`); a call of
            // a path or a method of `self` hands it over for the call.
            SyntaxKind::ARG_LIST => parent
                .parent()
                .and_then(ast::MethodCallExpr::cast)
                .and_then(|m| m.receiver())
                .is_some_and(|r| receiver_may_keep(&r)),
            _ => true,
        };
        return kept_elsewhere && ownership(&current, data, file) != Ownership::Owned;
    }
    true
}
