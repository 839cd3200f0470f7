//! Callbacks run from inside `.retain(..)`/`.retain_mut(..)` on a locked `Vec`, for the entries the
//! closure removes: the entries are taken out under the lock, and the callbacks run on them after
//! it is released (rust-socketio's `handle_ack`, whose ack callbacks could call back into the
//! client and lock the same list: the maintainers removed the matching ack under a short lock and
//! called it afterwards).
//!
//! ```text
//! self.acks.lock()?.retain_mut(|ack| {          let removed = {
//!     if ack.id != id {                             let mut acks = self.acks.lock()?;
//!         return true;                 =>           let (kept, removed) = std::mem::take(&mut *acks)
//!     }                                                 .into_iter()
//!     (ack.callback)(payload);                          .partition(|ack| ack.id != id);
//!     false                                         *acks = kept;
//! });                                               removed
//!                                               };
//!                                               for mut ack in removed {
//!                                                   (ack.callback)(payload);
//!                                               }
//! ```
//!
//! Only the closure's one shape whose meaning is plain: it starts with `if <keep> { return true; }`,
//! ends with `false`, returns nowhere else, and uses its entry only through fields and method
//! calls (an owned entry works there as the reference did); the keep condition reads the entry
//! only through fields; the file declares the guarded value as a `Vec`.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, ast, ast::HasArgList};

use super::naming::suggest_name;
use crate::analysis::{Guard, Holder, syntax};
use crate::model::TextEdit;

/// The edit that rewrites the statement `guard.retain_mut(|x| ..)` holding `event`; `None` for
/// any other shape.
pub fn drain_then_run(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    event: &SyntaxNode,
) -> Option<TextEdit> {
    if !matches!(guard.holder, Holder::Temporary) || !guarded_vec(file, &guard.lock_name) {
        return None;
    }
    let call = guard
        .guard_expr
        .syntax()
        .parent()
        .and_then(ast::MethodCallExpr::cast)?;
    let method = call.name_ref()?.text().to_string();
    if !matches!(method.as_str(), "retain" | "retain_mut")
        || call.receiver()?.syntax() != guard.guard_expr.syntax()
    {
        return None;
    }
    let stmt = call.syntax().parent().and_then(ast::ExprStmt::cast)?;
    let mut args = call.arg_list()?.args();
    let (Some(ast::Expr::ClosureExpr(closure)), None) = (args.next(), args.next()) else {
        return None;
    };
    if !closure
        .syntax()
        .text_range()
        .contains_range(event.text_range())
    {
        return None;
    }
    let entry = closure_entry(&closure)?;
    let ast::Expr::BlockExpr(body) = closure.body()? else {
        return None;
    };
    let items = syntax::block_items(&body.stmt_list()?);
    let (first, rest) = items.split_first()?;
    let keep = keep_condition(first)?;
    let (last, middle) = rest.split_last()?;
    if last.text().to_string().trim() != "false"
        || middle.iter().any(|i| {
            i.descendants().any(|n| {
                matches!(
                    n.kind(),
                    SyntaxKind::RETURN_EXPR | SyntaxKind::CLOSURE_EXPR | SyntaxKind::TRY_EXPR
                )
            })
        })
    {
        return None;
    }
    let body_range = ra_ap_syntax::TextRange::new(
        middle.first()?.text_range().start(),
        middle.last()?.text_range().end(),
    );
    // Comments between the work and the closing `false` stay with the work.
    let moved_end = text[..usize::from(last.text_range().start())]
        .trim_end()
        .len()
        .max(usize::from(body_range.end()));
    let fields_only = |range| {
        syntax::mentions(file, range, &entry)
            .iter()
            .all(|m| through_field_or_method(file, *m, false))
    };
    let calls_allowed = syntax::mentions(file, body_range, &entry)
        .iter()
        .all(|m| through_field_or_method(file, *m, true));
    if !fields_only(keep.syntax().text_range()) || !calls_allowed {
        return None;
    }
    let start = usize::from(stmt.syntax().text_range().start());
    let end = usize::from(stmt.syntax().text_range().end());
    let indent = syntax::line_indent(text, start).to_string();
    let list = stmt.syntax().parent().and_then(ast::StmtList::cast)?;
    let unit = syntax::indent_unit(text, &list);
    let eol = syntax::eol(text);
    let guard_name = suggest_name(&guard.guard_expr);
    let lock = guard.guard_expr.syntax().text().to_string();
    let keep_text = keep.syntax().text().to_string();
    // The loop body: the closure's statements between the check and the `false`, one level less
    // indented than in the closure.
    let body_start = syntax::line_start(text, usize::from(body_range.start()));
    let old_indent = syntax::line_indent(text, body_start).to_string();
    let moved: Vec<String> = text[body_start..moved_end]
        .lines()
        .map(|line| {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                String::new()
            } else {
                format!(
                    "{indent}{unit}{}",
                    line.strip_prefix(old_indent.as_str())
                        .unwrap_or(line.trim_start())
                )
            }
        })
        .collect();
    if lock.contains('\n') || keep_text.contains('\n') {
        return None;
    }
    let replacement = [
        "let removed = {".to_string(),
        format!("{indent}{unit}let mut {guard_name} = {lock};"),
        format!("{indent}{unit}let (kept, removed) = std::mem::take(&mut *{guard_name})"),
        format!("{indent}{unit}{unit}.into_iter()"),
        format!("{indent}{unit}{unit}.partition(|{entry}| {keep_text});"),
        format!("{indent}{unit}*{guard_name} = kept;"),
        format!("{indent}{unit}removed"),
        format!("{indent}}};"),
        format!("{indent}for mut {entry} in removed {{"),
        moved.join(eol),
        format!("{indent}}}"),
    ]
    .join(eol);
    let names_taken = ["removed", "kept", guard_name.as_str()]
        .iter()
        .any(|n| !syntax::mentions(file, guard.body.text_range(), n).is_empty());
    if names_taken {
        return None;
    }
    Some(TextEdit {
        range: start..end,
        replacement,
    })
}

/// The closure's one parameter, a plain name.
fn closure_entry(closure: &ast::ClosureExpr) -> Option<String> {
    let mut params = closure.param_list()?.params();
    let (Some(param), None) = (params.next(), params.next()) else {
        return None;
    };
    let ast::Pat::IdentPat(pat) = param.pat()? else {
        return None;
    };
    (pat.ref_token().is_none() && pat.mut_token().is_none() && param.ty().is_none())
        .then(|| syntax::ident_name(&pat))
}

/// `c` of the statement `if c { return true; }` (no `else`, no `let`).
fn keep_condition(item: &SyntaxNode) -> Option<ast::Expr> {
    let expr = match ast::ExprStmt::cast(item.clone()) {
        Some(stmt) => stmt.expr()?,
        None => ast::Expr::cast(item.clone())?,
    };
    let ast::Expr::IfExpr(if_expr) = expr else {
        return None;
    };
    if if_expr.else_branch().is_some() {
        return None;
    }
    let condition = if_expr.condition()?;
    if matches!(condition, ast::Expr::LetExpr(_)) {
        return None;
    }
    let branch = if_expr.then_branch()?.stmt_list()?;
    let [only] = &syntax::block_items(&branch)[..] else {
        return None;
    };
    let text = only.text().to_string();
    (text.trim().trim_end_matches(';').trim() == "return true").then_some(condition)
}

/// Whether the entry's mention at `mention` is a field's owner (`ack.id`), or, with
/// `methods`, a method's receiver (`ack.touch()`).
fn through_field_or_method(
    file: &SyntaxNode,
    mention: ra_ap_syntax::TextRange,
    methods: bool,
) -> bool {
    let node = file.covering_element(mention);
    let Some(path) = node.ancestors().find_map(ast::PathExpr::cast) else {
        return false;
    };
    match path.syntax().parent().and_then(ast::Expr::cast) {
        Some(ast::Expr::FieldExpr(_)) => true,
        Some(ast::Expr::MethodCallExpr(call)) => {
            methods && call.receiver().is_some_and(|r| r.syntax() == path.syntax())
        }
        _ => false,
    }
}

/// Whether the file declares the lock named `lock_name` as guarding a `Vec`.
fn guarded_vec(file: &SyntaxNode, lock_name: &str) -> bool {
    super::clone_evidence::guarded_type_names(file, lock_name)
        .is_some_and(|names| names.iter().all(|n| n == "Vec"))
}
