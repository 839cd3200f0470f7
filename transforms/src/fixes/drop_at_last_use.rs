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
    let insertion = insertion(text, file, guard, data, event)?;
    let start = usize::from(guard.primary_range().start());
    let anchor = TextEdit {
        range: start..start + 1,
        replacement: text.get(start..start + 1)?.to_string(),
    };
    Some(vec![anchor, insertion])
}

fn insertion(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    data: &[String],
    event: &SyntaxNode,
) -> Option<TextEdit> {
    if !matches!(guard.holder, Holder::Let { .. } | Holder::IfLet { .. }) {
        return None;
    }
    let name = guard.name()?;
    let uses = guard.uses(file);
    if uses.is_empty() || uses.iter().any(|u| held::may_move_guard(file, *u)) {
        return None;
    }
    // A mention inside a macro call is a token, not an expression: what the macro does with the
    // guard (`vec![g]` moves it) is not known, and a `drop` after a move does not compile.
    let in_macro = |u: &TextRange| {
        node_at(file, *u)
            .ancestors()
            .all(|a| a.kind() != SyntaxKind::PATH_EXPR)
    };
    if uses.iter().any(in_macro) {
        return None;
    }
    let mentions = held::data_mentions(file, guard, data, &uses);
    if mentions.iter().any(|m| escapes(file, *m, data)) {
        return None;
    }
    let last = mentions.iter().map(|m| m.end()).max()?;
    // After a pattern that binds the guard's name again, `drop(name)` would drop the new value.
    if syntax::binds_in(&guard.body, guard.live, &name) {
        return None;
    }
    let event_start = event.text_range().start();
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

/// Whether a value computed from the guard at `range` may be kept somewhere a `drop` of the guard
/// would leave dangling without the `let` bindings showing it: passed to a call, assigned, put in
/// a struct, returned. Owned values (`v.push(g.len())`) are fine.
fn escapes(file: &SyntaxNode, range: TextRange, data: &[String]) -> bool {
    let mut expr = node_at(file, range)
        .ancestors()
        .find_map(ast::PathExpr::cast)
        .map(ast::Expr::PathExpr);
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
                .is_some_and(|r| {
                    let root = syntax::compact_text(r.syntax());
                    !root.starts_with("self")
                }),
            _ => true,
        };
        return kept_elsewhere && ownership(&current, data, file) != Ownership::Owned;
    }
    true
}
