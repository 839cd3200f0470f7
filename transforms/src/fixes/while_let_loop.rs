//! A `while let` scrutinee's temporaries live through the whole loop body, on every iteration
//! (in every edition). Binding the value with `let … else { break }` at the top of a `loop` ends
//! them with that statement:
//!
//! ```text
//! while let Some(job) = queue.lock().unwrap().pop_front() {      loop {
//!     run(job);                                              =>      let Some(job) = queue.lock().unwrap().pop_front() else { break };
//! }                                                                  run(job);
//!                                                                }
//! ```
//!
//! `continue` re-runs the `let` as it re-ran the condition; a label stays on the loop.

use ra_ap_syntax::{AstNode, SyntaxNode, TextRange, ast, ast::HasLoopBody};

use super::ownership::{Ownership, temporary_ownership};
use crate::analysis::syntax;
use crate::model::TextEdit;

/// The edits for `while_expr`, whose scrutinee holds a temporary guard at `guard_range`. `None`
/// for let chains, or when the bound value might borrow from the guard (it would not outlive the
/// `let` statement).
pub fn while_let_to_loop(
    text: &str,
    file: &SyntaxNode,
    while_expr: &ast::WhileExpr,
    guard_range: TextRange,
) -> Option<Vec<TextEdit>> {
    let ast::Expr::LetExpr(condition) = while_expr.condition()? else {
        return None;
    };
    let pat = condition.pat()?;
    let value = condition.expr()?;
    if temporary_ownership(&value, guard_range, file) != Ownership::Owned {
        return None;
    }
    let body = while_expr.loop_body()?;
    let list = body.stmt_list()?;
    let l_curly = list.l_curly_token()?;
    let while_token = while_expr.while_token()?;

    let indent = syntax::line_indent(text, usize::from(while_token.text_range().start()));
    let unit = syntax::indent_unit(text, &list);
    let inner = format!("{indent}{unit}");
    let eol = syntax::eol(text);
    let value_start = usize::from(value.syntax().text_range().start());
    let value_text = syntax::reindent(
        &text[value_start..usize::from(value.syntax().text_range().end())],
        value_start,
        &unit,
        &syntax::multiline_string_ranges(value.syntax()),
    );
    let binding = format!(
        "let {} = {value_text} else {{ break }};",
        pat.syntax().text()
    );

    let head = TextEdit {
        range: usize::from(while_token.text_range().start())
            ..usize::from(body.syntax().text_range().start()),
        replacement: "loop ".to_string(),
    };
    let after_curly = usize::from(l_curly.text_range().end());
    let empty = syntax::block_items(&list).is_empty()
        && !list
            .syntax()
            .children_with_tokens()
            .any(|t| t.kind() == ra_ap_syntax::SyntaxKind::COMMENT);
    let insert = if empty {
        TextEdit {
            range: after_curly..usize::from(list.syntax().text_range().end()),
            replacement: format!("{eol}{inner}{binding}{eol}{indent}}}"),
        }
    } else {
        TextEdit {
            range: after_curly..after_curly,
            replacement: format!("{eol}{inner}{binding}"),
        }
    };
    Some(vec![head, insert])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile};

    fn apply(src: &str) -> Option<String> {
        let file = SourceFile::parse(src, Edition::Edition2021).tree();
        let while_expr = file.syntax().descendants().find_map(ast::WhileExpr::cast)?;
        let guard = file
            .syntax()
            .descendants()
            .filter_map(ast::MethodCallExpr::cast)
            .find(|m| m.name_ref().is_some_and(|n| n.text() == "unwrap"))?;
        let edits =
            while_let_to_loop(src, file.syntax(), &while_expr, guard.syntax().text_range())?;
        let mut out = src.to_string();
        for e in edits.into_iter().rev() {
            out.replace_range(e.range, &e.replacement);
        }
        Some(out)
    }

    #[test]
    fn the_value_is_bound_at_the_top_of_a_loop() {
        let src = "fn f() {\n    'jobs: while let Some(job) = q.lock().unwrap().pop_front() {\n        run(job);\n    }\n}\n";
        assert_eq!(
            apply(src).unwrap(),
            "fn f() {\n    'jobs: loop {\n        let Some(job) = q.lock().unwrap().pop_front() else { break };\n        run(job);\n    }\n}\n"
        );
    }

    #[test]
    fn a_borrowed_value_is_left_alone() {
        let src = "fn f() {\n    while let Some(job) = q.lock().unwrap().front() {\n        run(job);\n    }\n}\n";
        assert!(apply(src).is_none());
    }
}
