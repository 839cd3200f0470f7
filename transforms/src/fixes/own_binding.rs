//! An `.await` that needs one value the guard lends, reached through a binding of an entry of the
//! guarded collection (`Some(tool)` of `tools.get(name)`): the binding is replaced by its own copy
//! and the guard dropped, right before the statement that awaits (mofa's `execute_tool`, whose
//! maintainers cloned the `Arc` of the tool out of the lock before running it).
//!
//! ```text
//! let tools = self.tools.read().await;           let tools = self.tools.read().await;
//! match tools.get(name) {                        match tools.get(name) {
//!     Some(tool) => {                                Some(tool) => {
//!         tool.run(input).await          =>              let tool = tool.clone();
//!     }                                                  drop(tools);
//!     None => tools.len(),                               tool.run(input).await
//! }                                                  }
//!                                                    None => tools.len(),
//!                                                }
//! ```
//!
//! Only where it compiles for certain: the binding takes the whole entry (`Some(x)` of
//! `g.get(..)`, or `let x = g.get(..)?`/`.unwrap()`), the file declares the collection with a
//! `Clone` element type (so `x.clone()` is the element, not the reference), nothing the guard
//! lent besides the binding is used from the `drop` on (arms and `else` branches that the
//! statement is not in do not count: they do not run after it), the binding itself is used there
//! only as a method receiver, a field's owner or in a formatting macro (where a value works as the
//! reference did), and no loop or closure between the guard and the statement would run the
//! `drop` twice or move the guard.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize, ast};

use super::clone_evidence::element_is_clone;
use super::drop_at_last_use::in_borrowing_macro;
use super::release::node_at;
use crate::analysis::syntax::MentionUse;
use crate::analysis::{Guard, Holder, syntax};
use crate::model::TextEdit;

/// The edit that copies `binding` and drops the guard before the statement holding `awaited`,
/// and the binding's name; `None` when that might not compile. `lent` names every binding that
/// may borrow from the guard.
pub fn own_binding(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    awaited: &ast::AwaitExpr,
    lent: &[String],
) -> Option<(TextEdit, String)> {
    let Holder::Let {
        list: guard_list, ..
    } = &guard.holder
    else {
        return None;
    };
    let guard_name = guard.name()?;
    let operand = awaited.expr()?;
    let operand_range = operand.syntax().text_range();
    let mut needed = lent
        .iter()
        .filter(|n| **n != guard_name)
        .filter(|n| !syntax::mentions(file, operand_range, n).is_empty());
    let (Some(name), None) = (needed.next(), needed.next()) else {
        return None;
    };
    let (binding, scope) = entry_binding(guard, &guard_name, name, operand_range)?;
    if !element_is_clone(file, &guard.lock_name) {
        return None;
    }
    // The statement that awaits, in a block inside the binding's scope.
    let list = awaited
        .syntax()
        .ancestors()
        .filter_map(ast::StmtList::cast)
        .find(|l| scope.contains_range(l.syntax().text_range()))?;
    let item = syntax::block_items(&list)
        .into_iter()
        .find(|i| i.text_range().contains_range(operand_range))?;
    let at = item.text_range().start();
    if binding.text_range().end() > at
        || syntax::repeats_between(list.syntax(), &guard.body)
        || !value_stays_in(&list, guard_list)
        || leaves_early(&list, at)
    {
        return None;
    }
    let after = TextRange::new(at, guard.live.end());
    for tainted in lent.iter().chain(std::iter::once(&guard_name)) {
        for mention in syntax::mentions(file, after, tainted) {
            // Another arm or branch than the statement's does not run after it; bindings made
            // after the copy borrow from the copy, whose block they do not leave (checked above).
            let rebound =
                syntax::binds_in(list.syntax(), TextRange::new(at, mention.start()), tainted);
            if syntax::in_other_branch(&node_at(file, mention), &item) || rebound {
                continue;
            }
            if tainted != name || !works_on_a_value(file, mention) {
                return None;
            }
        }
    }
    let at = usize::from(at);
    let indent = syntax::line_indent(text, at);
    let eol = syntax::eol(text);
    Some((
        TextEdit {
            range: at..at,
            replacement: format!(
                "let {name} = {name}.clone();{eol}{indent}drop({guard_name});{eol}{indent}"
            ),
        },
        name.clone(),
    ))
}

/// The pattern binding `name` that takes a whole entry of the guard named `guard_name` (`Some(x)`
/// of `g.get(..)` in a `match` arm, an `if let` or a `let … else`; `x` of
/// `let x = g.get(..)?`), the last one before `before`, and the range where it is in scope.
fn entry_binding(
    guard: &Guard,
    guard_name: &str,
    name: &str,
    before: TextRange,
) -> Option<(SyntaxNode, TextRange)> {
    let binding = guard
        .body
        .descendants()
        .filter_map(ast::IdentPat::cast)
        .filter(|p| {
            syntax::ident_name(p) == name
                && guard.live.contains_range(p.syntax().text_range())
                && p.syntax().text_range().end() <= before.start()
        })
        .last()?;
    let is_entry = |source: Option<ast::Expr>| source.is_some_and(|s| entry_of(&s, guard_name));
    let whole = |pat: Option<ast::Pat>| {
        pat.and_then(|p| syntax::whole_value_binding(&p))
            .is_some_and(|n| n == name)
    };
    for ancestor in binding.syntax().ancestors() {
        if let Some(arm) = ast::MatchArm::cast(ancestor.clone()) {
            let scrutinee = arm
                .syntax()
                .ancestors()
                .find_map(ast::MatchExpr::cast)
                .and_then(|m| m.expr());
            let body = arm.expr()?.syntax().text_range();
            return (whole(arm.pat()) && is_entry(scrutinee))
                .then(|| (binding.syntax().clone(), body));
        }
        if let Some(let_expr) = ast::LetExpr::cast(ancestor.clone()) {
            let branch = let_expr
                .syntax()
                .parent()
                .and_then(ast::IfExpr::cast)
                .and_then(|i| i.then_branch())?;
            return (whole(let_expr.pat()) && is_entry(let_expr.expr()))
                .then(|| (binding.syntax().clone(), branch.syntax().text_range()));
        }
        if let Some(stmt) = ast::LetStmt::cast(ancestor.clone()) {
            let init = stmt.initializer();
            let taken = match stmt.pat()? {
                // `let Some(x) = g.get(k) else { .. };`
                pat @ ast::Pat::TupleStructPat(_) => {
                    stmt.let_else().is_some() && whole(Some(pat)) && is_entry(init)
                }
                // `let x = g.get(k)?;`, `.unwrap()`, `.expect(..)`
                ast::Pat::IdentPat(_) => init
                    .and_then(|i| unwrapped(&i))
                    .is_some_and(|i| entry_of(&i, guard_name)),
                _ => false,
            };
            // In scope from the `let` to the end of its block (the caller checks the order).
            let block = stmt.syntax().parent()?;
            return taken.then(|| (binding.syntax().clone(), block.text_range()));
        }
        if ancestor == guard.body {
            break;
        }
    }
    None
}

/// `g.get(..)` on the guard named `guard_name`: an `Option` of a reference to one element.
fn entry_of(expr: &ast::Expr, guard_name: &str) -> bool {
    let ast::Expr::MethodCallExpr(call) = expr else {
        return false;
    };
    call.name_ref().is_some_and(|n| n.text() == "get")
        && matches!(call.receiver(), Some(ast::Expr::PathExpr(p)) if p.syntax().text() == guard_name)
}

/// `e` of `e?`, `e.unwrap()`, `e.expect(..)`.
fn unwrapped(expr: &ast::Expr) -> Option<ast::Expr> {
    match expr {
        ast::Expr::TryExpr(t) => t.expr(),
        ast::Expr::MethodCallExpr(call)
            if call
                .name_ref()
                .is_some_and(|n| matches!(n.text().to_string().as_str(), "unwrap" | "expect")) =>
        {
            call.receiver()
        }
        _ => None,
    }
}

/// Whether the value of the block `list` (which may borrow from the copy made in it) ends where
/// the guard's own block does: it is discarded in a statement, or reaches the tail of
/// `guard_list` through tails, arms and branches only. There the original compiled only if that
/// value borrowed nothing of the guard, so it borrows nothing of the copy either.
fn value_stays_in(list: &ast::StmtList, guard_list: &ast::StmtList) -> bool {
    if list == guard_list {
        return true;
    }
    let Some(mut node) = list.syntax().parent() else {
        return false;
    };
    loop {
        let Some(parent) = node.parent() else {
            return false;
        };
        if let Some(stmts) = ast::StmtList::cast(parent.clone()) {
            let is_tail = stmts.tail_expr().is_some_and(|t| t.syntax() == &node);
            if !is_tail || &stmts == guard_list {
                return true;
            }
            match stmts.syntax().parent() {
                Some(block) => node = block,
                None => return false,
            }
            continue;
        }
        match parent.kind() {
            SyntaxKind::EXPR_STMT => return true,
            SyntaxKind::MATCH_ARM => match parent.parent().and_then(|l| l.parent()) {
                Some(m) => node = m,
                None => return false,
            },
            SyntaxKind::IF_EXPR => node = parent,
            _ => return false,
        }
    }
}

/// A `return`, `break` or `?` after `at` in `list`: a value made from the copy could leave its
/// block there.
fn leaves_early(list: &ast::StmtList, at: TextSize) -> bool {
    list.syntax().descendants().any(|n| {
        n.text_range().start() >= at
            && matches!(
                n.kind(),
                SyntaxKind::RETURN_EXPR | SyntaxKind::BREAK_EXPR | SyntaxKind::TRY_EXPR
            )
    })
}

/// Whether the mention of the binding works the same on the copied element as on the reference:
/// a method's receiver, a field's owner, an argument of a formatting macro.
fn works_on_a_value(file: &SyntaxNode, mention: TextRange) -> bool {
    match syntax::mention_use(file, mention) {
        MentionUse::FieldOwner | MentionUse::Receiver => true,
        MentionUse::InMacro => in_borrowing_macro(&node_at(file, mention)),
        MentionUse::Other => false,
    }
}
