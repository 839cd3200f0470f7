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

use super::clone_evidence::guards_a_vec;
use super::naming::suggest_name;
use crate::analysis::syntax::MentionUse;
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
    if !matches!(guard.holder, Holder::Temporary) || !guards_a_vec(file, &guard.lock_name) {
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
    let used_as = |range, allowed: &[MentionUse]| {
        syntax::mentions(file, range, &entry)
            .iter()
            .all(|m| allowed.contains(&syntax::mention_use(file, *m)))
    };
    if !used_as(keep.syntax().text_range(), &[MentionUse::FieldOwner])
        || !used_as(body_range, &[MentionUse::FieldOwner, MentionUse::Receiver])
    {
        return None;
    }
    let start = usize::from(stmt.syntax().text_range().start());
    let end = usize::from(stmt.syntax().text_range().end());
    let indent = syntax::line_indent(text, start).to_string();
    let list = stmt.syntax().parent().and_then(ast::StmtList::cast)?;
    let unit = syntax::indent_unit(text, &list);
    let eol = syntax::eol(text);
    let lock = guard.guard_expr.syntax().text().to_string();
    let keep_text = keep.syntax().text().to_string();
    if lock.contains('\n') || keep_text.contains('\n') {
        return None;
    }
    // The loop body is the closure's statements between the check and the `false`, moved as they
    // are: a closure body of the statement is indented as a loop body of it is.
    let body_start = syntax::line_start(text, usize::from(body_range.start()));
    if syntax::line_indent(text, body_start) != format!("{indent}{unit}") {
        return None;
    }
    let moved = &text[body_start..moved_end];
    let taken = syntax::identifiers(&guard.body);
    let guard_name = syntax::fresh_name(&suggest_name(&guard.guard_expr), &taken);
    let kept = syntax::fresh_name("kept", &taken);
    let removed = syntax::fresh_name("removed", &taken);
    let replacement = [
        format!("let {removed} = {{"),
        format!("{indent}{unit}let mut {guard_name} = {lock};"),
        format!("{indent}{unit}let ({kept}, {removed}) = std::mem::take(&mut *{guard_name})"),
        format!("{indent}{unit}{unit}.into_iter()"),
        format!("{indent}{unit}{unit}.partition(|{entry}| {keep_text});"),
        format!("{indent}{unit}*{guard_name} = {kept};"),
        format!("{indent}{unit}{removed}"),
        format!("{indent}}};"),
        format!("{indent}for mut {entry} in {removed} {{"),
        moved.to_string(),
        format!("{indent}}}"),
    ]
    .join(eol);
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
    let Some(ast::Expr::IfExpr(if_expr)) = syntax::item_expr(item) else {
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
