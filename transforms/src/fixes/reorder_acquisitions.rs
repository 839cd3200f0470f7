//! Lock order: a function that takes two locks in the order the rest of the file takes the other
//! way round, with two `let` statements one after the other, takes them in the file's order
//! instead (VelesDB's `stats` and CodeChain's `connect`, whose maintainers swapped the two lines).
//!
//! ```text
//! let by_ts = self.by_ts.read();            let ids = self.ids.read();
//! let ids = self.ids.read();          =>    let by_ts = self.by_ts.read();
//! ids.len() + by_ts.len()                   ids.len() + by_ts.len()
//! ```
//!
//! Nothing runs between the two acquisitions, so only the order in which the thread waits changes;
//! but only this file's places are counted, so the fix is unsafe: another file may take the two
//! locks in the old order.
//!
//! Offered only where nothing but the order can change: both guards are bound by adjacent `let` statements with no comment
//! between them, each initializer is the acquisition alone (a receiver made of fields and paths,
//! unwrapped at most), the two bindings have different names, and neither initializer mentions
//! the other's binding. Which of the two
//! orders to keep is the caller's decision (`lock-order-inversion` keeps the one more places use).

use ra_ap_syntax::{
    AstNode, NodeOrToken, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasArgList},
};

use crate::analysis::kind::LockKind;
use crate::analysis::{Guard, Holder, syntax};
use crate::model::{Applicability, Fix, TextEdit};

/// The fix that swaps the statements acquiring `outer` and then `inner`, or `None` when swapping
/// them could change more than the order.
pub fn swap_acquisitions(text: &str, outer: &Guard, inner: &Guard) -> Option<Fix> {
    let (first, first_list, first_index) = let_holder(outer)?;
    let (second, second_list, second_index) = let_holder(inner)?;
    if first_list.syntax() != second_list.syntax() || second_index != first_index + 1 {
        return None;
    }
    if ![outer, inner].iter().all(|g| acquisition_alone(g)) {
        return None;
    }
    // A comment at the end of a statement's line describes that statement and moves with it.
    let first_unit = with_trailing_comment(text, first.syntax());
    let second_unit = with_trailing_comment(text, second.syntax());
    let between = TextRange::new(first_unit.end(), second_unit.start());
    if has_comment(first_list.syntax(), between) {
        return None;
    }
    let root = first_list.syntax();
    let mentions_other = |stmt: &ast::LetStmt, other: &Guard| {
        other.name().is_none_or(|name| {
            stmt.initializer().is_none_or(|init| {
                !syntax::mentions(root, init.syntax().text_range(), &name).is_empty()
            })
        })
    };
    // Two bindings of one name: the later one is the one the code after them sees.
    if outer.name() == inner.name()
        || mentions_other(&second, outer)
        || mentions_other(&first, inner)
    {
        return None;
    }
    let slice = |r: TextRange| &text[usize::from(r.start())..usize::from(r.end())];
    let (first_text, second_text, gap) = (slice(first_unit), slice(second_unit), slice(between));
    let range = usize::from(first_unit.start())..usize::from(second_unit.end());
    let (outer_path, inner_path) = (&outer.lock_path, &inner.lock_path);
    // A std lock poisons: if the first `lock().unwrap()` panics, the guard already taken is
    // dropped while panicking and poisons the other lock too, which the original order did not.
    let poisons = |g: &Guard| matches!(g.kind, LockKind::Std | LockKind::Unknown);
    let poisoning = if poisons(outer) || poisons(inner) {
        "; a panic on the first lock now poisons the other"
    } else {
        ""
    };
    // Only the file's places were counted: another file may take the two locks in the old order.
    Some(Fix {
        title: format!(
            "Lock `{inner_path}` before `{outer_path}`, in the order the other places in this file take them \
             (places in other files are not checked{poisoning})"
        ),
        applicability: Applicability::Unsafe,
        edits: vec![TextEdit {
            range,
            replacement: format!("{second_text}{gap}{first_text}"),
        }],
    })
}

/// The `let` statement binding the guard, its statement list and its index there.
fn let_holder(guard: &Guard) -> Option<(ast::LetStmt, ast::StmtList, usize)> {
    match &guard.holder {
        Holder::Let {
            stmt, list, index, ..
        } if stmt.let_else().is_none()
            && stmt.initializer().map(|i| i.syntax().clone())
                == Some(guard.guard_expr.syntax().clone()) =>
        {
            Some((stmt.clone(), list.clone(), *index))
        }
        _ => None,
    }
}

/// The acquisition does nothing but lock: a method call on a receiver of paths and fields
/// (`self.ids`, `STATE`, `(*shared).map`), with no arguments, unwrapped by calls whose arguments
/// cannot have effects of their own (`expect("poisoned")`, `unwrap_or_else(|e| e.into_inner())`).
fn acquisition_alone(guard: &Guard) -> bool {
    let ast::Expr::MethodCallExpr(call) = &guard.call else {
        return false;
    };
    let no_arguments = call.arg_list().is_some_and(|a| a.args().next().is_none());
    let plain_receiver = call.receiver().is_some_and(|r| place_only(&r));
    let unwrappers_are_plain = guard
        .guard_expr
        .syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
        .filter(|m| {
            m.syntax() != call.syntax()
                && !call
                    .syntax()
                    .text_range()
                    .contains_range(m.syntax().text_range())
        })
        .flat_map(|m| m.arg_list().into_iter().flat_map(|a| a.args()))
        .all(|arg| {
            matches!(
                arg,
                ast::Expr::Literal(_) | ast::Expr::ClosureExpr(_) | ast::Expr::PathExpr(_)
            )
        });
    no_arguments && plain_receiver && unwrappers_are_plain
}

fn place_only(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::PathExpr(_) => true,
        ast::Expr::FieldExpr(f) => f.expr().is_some_and(|e| place_only(&e)),
        ast::Expr::ParenExpr(p) => p.expr().is_some_and(|e| place_only(&e)),
        ast::Expr::RefExpr(r) => r.expr().is_some_and(|e| place_only(&e)),
        ast::Expr::PrefixExpr(p) => {
            p.op_kind() == Some(ast::UnaryOp::Deref) && p.expr().is_some_and(|e| place_only(&e))
        }
        _ => false,
    }
}

/// The statement and a comment after it on the same line.
fn with_trailing_comment(text: &str, stmt: &SyntaxNode) -> TextRange {
    let range = stmt.text_range();
    let mut next = stmt.next_sibling_or_token();
    while let Some(NodeOrToken::Token(token)) = next {
        match token.kind() {
            SyntaxKind::WHITESPACE if !token.text().contains('\n') => {
                next = token.next_sibling_or_token();
            }
            SyntaxKind::COMMENT
                if !text[usize::from(token.text_range().start())..].starts_with("/*") =>
            {
                return range.cover(token.text_range());
            }
            _ => break,
        }
    }
    range
}

fn has_comment(root: &SyntaxNode, range: TextRange) -> bool {
    root.descendants_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .any(|t| t.kind() == SyntaxKind::COMMENT && range.contains_range(t.text_range()))
}
