//! Seed 001's rewrite: when a guard's last use is the condition of an `if` (or the scrutinee of a
//! `match` / `if let`), compute that value in a scoped block with the guard, and branch on the
//! value after the guard is gone.
//!
//! ```text
//! let g = store.read().await;                let user_exists = {
//! if g.get_user(&email).await.is_ok() {  =>      let g = store.read().await;
//!     return Err(Exists);                        g.get_user(&email).await.is_ok()
//! }                                          };
//!                                            if user_exists {
//!                                                return Err(Exists);
//!                                            }
//! ```
//!
//! Evaluation order is unchanged: the statements before the check and the check itself run in
//! the block, in the same order; only the guard's release moves from after the branches to before
//! them.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, ast};

use super::naming::{suggest_check_name, suggest_name};
use super::ownership::{Ownership, ownership};
use super::scoped_block::{ExtraValue, scoped_block};
use crate::analysis::syntax;
use crate::model::TextEdit;

#[derive(Debug, Clone)]
pub struct CheckExtraction {
    pub edits: Vec<TextEdit>,
    /// The binding that now holds the check's value.
    pub name: String,
    /// Bindings the block returns as owned copies of data borrowed from the guard.
    pub copied: Vec<super::exports::CopiedOut>,
}

/// The branching expression of block item `item`: the item itself (`if …`, `match …`, as a
/// statement or the tail) or the initializer of a `let` (`let x = match … ;`).
fn branching_expr(item: &SyntaxNode) -> Option<ast::Expr> {
    let expr = if let Some(stmt) = ast::ExprStmt::cast(item.clone()) {
        stmt.expr()?
    } else if let Some(stmt) = ast::LetStmt::cast(item.clone()) {
        if stmt.let_else().is_some() {
            return None;
        }
        stmt.initializer()?
    } else {
        ast::Expr::cast(item.clone())?
    };
    matches!(expr, ast::Expr::IfExpr(_) | ast::Expr::MatchExpr(_)).then_some(expr)
}

/// What to compute in the block: the expression, and whether its value is a `bool` condition.
fn checked_value(branching: &ast::Expr) -> Option<(ast::Expr, bool)> {
    match branching {
        ast::Expr::IfExpr(i) => {
            let condition = i.condition()?;
            if let ast::Expr::LetExpr(l) = &condition {
                return Some((l.expr()?, false));
            }
            if condition
                .syntax()
                .descendants()
                .any(|d| d.kind() == SyntaxKind::LET_EXPR)
            {
                // A let chain binds names the branches use: no single value to compute.
                return None;
            }
            // `if !g.contains(k)`: compute `g.contains(k)` and keep the `!`, which reads better
            // than a negated name.
            if let ast::Expr::PrefixExpr(p) = &condition
                && p.op_kind() == Some(ast::UnaryOp::Not)
                && let Some(operand) = p.expr()
            {
                return Some((operand, true));
            }
            Some((condition, true))
        }
        ast::Expr::MatchExpr(m) => Some((m.expr()?, false)),
        _ => None,
    }
}

/// Rewrite items `first..item` of `list` (item `first` binds the guard `guard_name`) and the check
/// in item `item` as described in the module docs. `None` when the guard is mentioned in the
/// branching item outside the check, the checked value might borrow from the guard, or the items
/// cannot move into a block.
pub fn extract_check(
    text: &str,
    file: &SyntaxNode,
    body: &SyntaxNode,
    list: &ast::StmtList,
    first: usize,
    item: usize,
    guard_name: &str,
) -> Option<CheckExtraction> {
    let items = syntax::block_items(list);
    if item <= first || item >= items.len() {
        return None;
    }
    let branching = branching_expr(&items[item])?;
    let (value, is_condition) = checked_value(&branching)?;
    let value_range = value.syntax().text_range();
    let item_range = items[item].text_range();
    let mentions = syntax::mentions(file, item_range, guard_name);
    if mentions.is_empty() || mentions.iter().any(|m| !value_range.contains_range(*m)) {
        return None;
    }
    // Names bound between the guard and the check may borrow from it.
    let mut tainted = vec![guard_name.to_string()];
    for moved in &items[first + 1..item] {
        if let Some(stmt) = ast::LetStmt::cast(moved.clone())
            && let Some(pat) = stmt.pat()
        {
            tainted.extend(
                syntax::pattern_bindings(&pat)
                    .iter()
                    .map(syntax::ident_name),
            );
        }
    }
    if !is_condition && ownership(&value, &tainted, file) != Ownership::Owned {
        return None;
    }

    let taken = syntax::identifiers(body);
    let base = if is_condition {
        suggest_check_name(&value)
    } else {
        suggest_name(&value)
    };
    let name = syntax::fresh_name(&base, &taken);

    // The value moves one level deeper: its continuation lines gain one indentation unit.
    let unit = syntax::indent_unit(text, list);
    let start = usize::from(value_range.start());
    let strings = syntax::multiline_string_ranges(value.syntax());
    let value_text = syntax::reindent(
        &text[start..usize::from(value_range.end())],
        start,
        &unit,
        &strings,
    );
    let block = scoped_block(
        text,
        file,
        list,
        first,
        item - 1,
        guard_name,
        &[ExtraValue {
            name: name.clone(),
            expr: value_text,
        }],
    )?;
    // A value that may borrow from the guard cannot leave the block.
    if !block.possibly_borrowed.is_empty() {
        return None;
    }
    let replace_value = TextEdit {
        range: syntax::to_range(value_range),
        replacement: name.clone(),
    };
    Some(CheckExtraction {
        edits: vec![block.edit, replace_value],
        name,
        copied: block.copied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile};

    fn apply(src: &str) -> Option<String> {
        let file = SourceFile::parse(src, Edition::Edition2021).tree();
        let body = file
            .syntax()
            .descendants()
            .find(|n| n.kind() == SyntaxKind::FN)?;
        let list = body.descendants().find_map(ast::StmtList::cast)?;
        let extraction = extract_check(src, file.syntax(), &body, &list, 0, 1, "g")?;
        let mut out = src.to_string();
        let mut edits = extraction.edits;
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        for e in edits {
            out.replace_range(e.range, &e.replacement);
        }
        Some(out)
    }

    #[test]
    fn a_condition_becomes_a_named_bool() {
        let src = "fn f() {\n    let g = m.read().unwrap();\n    if !g.contains_key(&k) {\n        return;\n    }\n    m.write().unwrap();\n}\n";
        assert_eq!(
            apply(src).unwrap(),
            "fn f() {\n    let exists = {\n        let g = m.read().unwrap();\n        g.contains_key(&k)\n    };\n    if !exists {\n        return;\n    }\n    m.write().unwrap();\n}\n"
        );
    }

    #[test]
    fn a_borrowed_scrutinee_is_not_extracted() {
        let src = "fn f() {\n    let g = m.read().unwrap();\n    match g.get(&k) {\n        Some(v) => {}\n        None => {}\n    }\n}\n";
        assert!(apply(src).is_none());
    }

    #[test]
    fn a_guard_used_in_a_branch_is_not_extracted() {
        let src = "fn f() {\n    let g = m.read().unwrap();\n    if g.is_empty() {\n        g.len();\n    }\n}\n";
        assert!(apply(src).is_none());
    }
}
