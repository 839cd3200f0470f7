//! Seed 002's `if let Ok(mut g) = m.write() { sync part; x.await; … } else { poisoned }`: the
//! synchronous part keeps the guard in its own `if let`, which returns what the rest needs; the
//! rest runs after the guard is gone, under the original condition; the `else` branch is kept.
//!
//! ```text
//! if let Ok(mut g) = m.write() {          let locked = if let Ok(mut g) = m.write() {
//!     g.insert(k, v);                         g.insert(k, v);
//!     persist().await?;             =>        true
//!     Ok(())                              } else {
//! } else {                                    false
//!     Err(Poisoned)                       };
//! }                                       if locked {
//!                                             persist().await?;
//!                                             Ok(())
//!                                         } else {
//!                                             Err(Poisoned)
//!                                         }
//! ```
//!
//! Both branches stay at their nesting level, so nothing is re-indented.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, ast};

use super::exports::{CopiedOut, exports};
use crate::analysis::syntax;
use crate::model::TextEdit;

#[derive(Debug, Clone)]
pub struct IfLetSplit {
    pub edits: Vec<TextEdit>,
    /// Bindings that may borrow from the guard and cannot be copied: no fix while not empty.
    pub possibly_borrowed: Vec<String>,
    /// Bindings that borrow from the guard and leave the `if let` as owned copies.
    pub copied: Vec<CopiedOut>,
}

/// Split `if_expr` after item `last` of its then-branch. `guard_name` is the guard the `if let`
/// binds.
pub fn if_let_split(
    text: &str,
    file: &SyntaxNode,
    if_expr: &ast::IfExpr,
    last: usize,
    guard_name: &str,
) -> Option<IfLetSplit> {
    // Only an `if let` that is a statement or a block's tail can become two statements.
    let parent = if_expr.syntax().parent()?;
    let is_statement = parent.kind() == SyntaxKind::STMT_LIST
        || (parent.kind() == SyntaxKind::EXPR_STMT
            && parent.parent()?.kind() == SyntaxKind::STMT_LIST);
    if !is_statement || !matches!(if_expr.condition(), Some(ast::Expr::LetExpr(_))) {
        return None;
    }
    let then_list = if_expr.then_branch()?.stmt_list()?;
    let items = syntax::block_items(&then_list);
    if last + 1 >= items.len() {
        return None;
    }
    if items[..=last].iter().any(|i| ast::Item::can_cast(i.kind())) {
        return None;
    }

    let split_at = syntax::end_with_trailing_comment(&items[last]);
    let rest = ra_ap_syntax::TextRange::new(
        ra_ap_syntax::TextSize::from(split_at as u32),
        then_list.syntax().text_range().end(),
    );
    let exports = exports(file, &items[..=last], rest, guard_name)?;

    let start = usize::from(if_expr.syntax().text_range().start());
    let indent = syntax::line_indent(text, start);
    let inner = format!("{indent}{}", syntax::indent_unit(text, &then_list));
    let eol = syntax::eol(text);
    let flag = syntax::fresh_name(
        "locked",
        &syntax::identifiers(if_expr.syntax().ancestors().last().as_ref()?),
    );
    let names = exports.values();
    let patterns = exports.patterns();
    let (yes, no, condition) = match names.len() {
        0 => ("true".to_string(), "false", flag.clone()),
        1 => (
            format!("Some({})", names[0]),
            "None",
            format!("let Some({}) = {flag}", patterns[0]),
        ),
        _ => (
            format!("Some(({}))", names.join(", ")),
            "None",
            format!("let Some(({})) = {flag}", patterns.join(", ")),
        ),
    };
    let reborrows = exports.reborrows(eol, &inner);
    let middle = format!(
        "{eol}{inner}{yes}{eol}{indent}}} else {{{eol}{inner}{no}{eol}{indent}}};{eol}{indent}if {condition} {{{reborrows}"
    );
    // A blank line that separated the two parts would now open the new `if`: drop it.
    let after = &text[split_at..];
    let first_line = after.find('\n').map(|i| i + 1).unwrap_or(0);
    let blank_follows = first_line > 0
        && after[..first_line].trim().is_empty()
        && after[first_line..]
            .split('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty());
    // The blank line goes with the whitespace on it (seed 002's blank lines keep their indent),
    // so that the new `if … {` line does not end in spaces; its line ending stays.
    let split_end = if blank_follows {
        let blank = after[first_line..].split('\n').next().unwrap_or_default();
        split_at + first_line + blank.trim_end_matches('\r').len()
    } else {
        split_at
    };
    Some(IfLetSplit {
        edits: vec![
            TextEdit {
                range: start..start,
                replacement: format!("let {flag} = "),
            },
            TextEdit {
                range: split_at..split_end,
                replacement: middle,
            },
        ],
        copied: exports.copied(),
        possibly_borrowed: exports.possibly_borrowed,
    })
}
