//! Hoisting: compute a value in a statement of its own, so that a temporary guard inside it dies
//! at that statement's end instead of living through the `.await`s (or the arms) after it.
//!
//! ```text
//! match m.lock().unwrap().get(&k).cloned() {      let value = m.lock().unwrap().get(&k).cloned();
//!     Some(v) => send(v).await,             =>    match value {
//!     None => {}                                      Some(v) => send(v).await,
//! }                                                   None => {}
//!                                                 }
//! ```

use ra_ap_syntax::{AstNode, SyntaxNode, ast};

use crate::analysis::syntax;
use crate::model::TextEdit;

#[derive(Debug, Clone)]
pub struct Hoist {
    pub edit: TextEdit,
    pub name: String,
    /// Something in the statement that runs before the hoisted value now runs after it.
    pub reorders: bool,
}

/// Move `value` (inside the block item `item`) into `let NAME = value;` just before `item`, and
/// put `NAME` where it was.
pub fn hoist(text: &str, item: &SyntaxNode, value: &ast::Expr, body: &SyntaxNode) -> Hoist {
    hoist_with(text, item, value, body, "")
}

/// [`hoist`], binding `value` followed by `suffix` (`.clone()`): for a place that was borrowed
/// (`&m.lock().unwrap().name`), which cannot be moved out of the guard.
pub fn hoist_with(
    text: &str,
    item: &SyntaxNode,
    value: &ast::Expr,
    body: &SyntaxNode,
    suffix: &str,
) -> Hoist {
    hoist_as(
        text,
        item,
        value,
        body,
        suffix,
        &[super::naming::suggest_name(value)],
    )
}

/// [`hoist_with`], naming the binding after the first of `names` that the body does not use
/// (numbered after the last when all are taken).
pub fn hoist_as(
    text: &str,
    item: &SyntaxNode,
    value: &ast::Expr,
    body: &SyntaxNode,
    suffix: &str,
    names: &[String],
) -> Hoist {
    let taken = syntax::identifiers(body);
    let name = match names.iter().find(|n| !taken.contains(*n)) {
        Some(free) => free.clone(),
        None => syntax::fresh_name(names.last().map_or("value", String::as_str), &taken),
    };
    let start = usize::from(item.text_range().start());
    let value_range = value.syntax().text_range();
    let indent = syntax::line_indent(text, start);
    let eol = syntax::eol(text);
    let value_start = usize::from(value_range.start());
    let value_text = value.syntax().text().to_string();
    // A value that started its own line (rustfmt's layout of a long argument) keeps its
    // continuation lines' depth relative to the new `let`, not to where it was.
    let value_indent = syntax::line_indent(text, value_start);
    let starts_line = text[syntax::line_start(text, value_start)..value_start]
        .trim()
        .is_empty();
    let value_text = if starts_line && value_indent.len() > indent.len() {
        value_text.replace(&format!("\n{value_indent}"), &format!("\n{indent}"))
    } else {
        value_text
    };
    // `*m.lock().unwrap()` followed by a method needs parentheses to keep the dereference first.
    let value_text = if !suffix.is_empty() && matches!(value, ast::Expr::PrefixExpr(_)) {
        format!("({value_text}){suffix}")
    } else {
        format!("{value_text}{suffix}")
    };
    let replacement = format!(
        "let {name} = {value_text};{eol}{indent}{}{name}",
        &text[start..value_start]
    );
    Hoist {
        edit: TextEdit {
            range: start..usize::from(value_range.end()),
            replacement,
        },
        reorders: runs_before(item, value),
        name,
    }
}

/// Whether evaluating `item` runs a call, macro or await before it reaches `value` — hoisting
/// `value` would then change the order of side effects.
pub fn runs_before(item: &SyntaxNode, value: &ast::Expr) -> bool {
    let value_range = value.syntax().text_range();
    item.descendants().any(|node| {
        let effectful = matches!(
            ast::Expr::cast(node.clone()),
            Some(
                ast::Expr::CallExpr(_)
                    | ast::Expr::MethodCallExpr(_)
                    | ast::Expr::MacroExpr(_)
                    | ast::Expr::AwaitExpr(_)
            )
        );
        effectful && node.text_range().end() <= value_range.start()
    })
}
