//! A lock taken before a chain of awaited checks whose every branch ends by storing one value
//! through the guard (`*status = Err(e)`): the chain computes the value instead, and the lock is
//! taken after it, only to store it (lighthouse's `refresh_status`, whose write lock on the node's
//! status waited for three HTTP round trips to an offline node; the maintainers computed
//! `new_status` with no lock held and stored it in one statement).
//!
//! ```text
//! let mut status = self.status.write().await;      let new_status = if let Err(e) = online().await {
//! if let Err(e) = online().await {                     Err(e)
//!     *status = Err(e);                  =>        } else {
//! } else {                                             Ok(())
//!     *status = Ok(());                            };
//! }                                                let mut status = self.status.write().await;
//! *status                                          *status = new_status;
//!                                                  *status
//! ```
//!
//! Only where the meaning is kept: every branch of the `if` chain (with a final `else`) ends with
//! `*guard = value`, and nothing else in the chain mentions the guard. The new binding takes a
//! name the function does not use yet.

use std::ops::Range;

use ra_ap_syntax::{AstNode, SyntaxNode, ast};

use crate::analysis::syntax;
use crate::model::TextEdit;

/// The edits that turn `chain` (a statement of the guard's block) into the computation of the
/// value it stores through `guard_name`, and move the lines `lock_lines` (the guard's `let`) after
/// it with the store, and the name of the computed value; `None` when the chain has another
/// shape.
pub fn store_after(
    text: &str,
    file: &SyntaxNode,
    chain: &SyntaxNode,
    guard_name: &str,
    lock_lines: Range<usize>,
) -> Option<(Vec<TextEdit>, String)> {
    // A statement, or the block's tail (whose value is `()`, as every branch ends with a store).
    let Some(ast::Expr::IfExpr(if_expr)) = syntax::item_expr(chain) else {
        return None;
    };
    let stores = branch_stores(&if_expr, guard_name)?;
    // Nothing but the stores' targets mentions the guard in the chain.
    let mentions = syntax::mentions(file, chain.text_range(), guard_name);
    let targets: Vec<_> = stores.iter().filter_map(|s| s.lhs()).collect();
    if mentions.len() != targets.len()
        || !mentions.iter().all(|m| {
            targets
                .iter()
                .any(|t| t.syntax().text_range().contains_range(*m))
        })
    {
        return None;
    }
    let function = syntax::enclosing_body(chain)?;
    let value_name = syntax::fresh_name(
        &format!("new_{guard_name}"),
        &syntax::identifiers(&function),
    );
    let eol = syntax::eol(text);
    let chain_start = usize::from(chain.text_range().start());
    let chain_end = usize::from(chain.text_range().end());
    let indent = syntax::line_indent(text, chain_start).to_string();
    let has_semicolon = chain.text().to_string().trim_end().ends_with(';');
    let mut edits = Vec::new();
    if let Some(line) = one_line(&if_expr, &stores, &indent, &value_name) {
        edits.push(TextEdit {
            range: chain_start..chain_end,
            // The chain's own `;`, if it has one, is inside the replaced range.
            replacement: format!("{line};"),
        });
    } else {
        edits.extend(branch_values(&stores)?);
        edits.push(TextEdit {
            range: chain_start..chain_start,
            replacement: format!("let {value_name} = "),
        });
        edits.push(TextEdit {
            range: chain_end..chain_end,
            replacement: if has_semicolon { "" } else { ";" }.to_string(),
        });
    }
    // After the chain's line: the lock, then the store.
    let line_end = text[chain_end..]
        .find('\n')
        .map_or(text.len(), |i| chain_end + i + 1);
    if !text[chain_end..line_end].trim().is_empty() {
        return None;
    }
    let lock = text.get(lock_lines.clone())?.to_string();
    edits.push(TextEdit {
        range: line_end..line_end,
        replacement: format!("{lock}{indent}*{guard_name} = {value_name};{eol}"),
    });
    // A blank line after the lock that would open the block once the lock is gone goes too.
    let opens_block = text[..lock_lines.start].trim_end().ends_with('{');
    let next_line_end = text[lock_lines.end..]
        .find('\n')
        .map(|i| lock_lines.end + i + 1);
    let removed = match next_line_end {
        Some(end) if opens_block && text[lock_lines.end..end].trim().is_empty() => {
            lock_lines.start..end
        }
        _ => lock_lines,
    };
    edits.push(TextEdit {
        range: removed,
        replacement: String::new(),
    });
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    Some((edits, value_name))
}

/// Each store (`*status = Err(e);`, with its `;`, or a branch's tail) replaced by its value, which
/// becomes the branch's tail.
fn branch_values(stores: &[ast::BinExpr]) -> Option<Vec<TextEdit>> {
    let mut edits = Vec::new();
    for store in stores {
        // `*status = Err(e);` (a statement, with its `;`) or the branch's tail: the value becomes
        // the branch's tail.
        let value = store.rhs()?;
        let whole = store
            .syntax()
            .parent()
            .filter(|p| ast::ExprStmt::can_cast(p.kind()))
            .unwrap_or_else(|| store.syntax().clone());
        edits.push(TextEdit {
            range: syntax::to_range(whole.text_range()),
            replacement: value.syntax().text().to_string(),
        });
    }
    Some(edits)
}

/// `let new_x = if c { a } else { b };` on one line, as rustfmt writes a plain `if`/`else` of two
/// short values (the whole `if` within its `single_line_if_else_max_width`, 50, and the line
/// within 100 columns); `None` for any other chain, written over several lines.
fn one_line(
    if_expr: &ast::IfExpr,
    stores: &[ast::BinExpr],
    indent: &str,
    value_name: &str,
) -> Option<String> {
    let [then_store, else_store] = stores else {
        return None;
    };
    let single = |block: Option<ast::BlockExpr>| {
        block
            .and_then(|b| b.stmt_list())
            .is_some_and(|l| syntax::block_items(&l).len() == 1)
    };
    let else_block = match if_expr.else_branch()? {
        ast::ElseBranch::Block(block) => block,
        ast::ElseBranch::IfExpr(_) => return None,
    };
    let commented = if_expr
        .syntax()
        .descendants_with_tokens()
        .any(|t| t.kind() == ra_ap_syntax::SyntaxKind::COMMENT);
    if !single(if_expr.then_branch()) || !single(Some(else_block)) || commented {
        return None;
    }
    let condition = if_expr.condition()?.syntax().text().to_string();
    let a = then_store.rhs()?.syntax().text().to_string();
    let b = else_store.rhs()?.syntax().text().to_string();
    let expr = format!("if {condition} {{ {a} }} else {{ {b} }}");
    let line = format!("let {value_name} = {expr};");
    (!expr.contains('\n') && expr.len() <= 50 && indent.len() + line.len() <= 100)
        .then(|| line.trim_end_matches(';').to_string())
}

/// The `*guard = value` that ends each branch of the chain, the final `else` included.
fn branch_stores(if_expr: &ast::IfExpr, guard_name: &str) -> Option<Vec<ast::BinExpr>> {
    let mut stores = vec![final_store(&if_expr.then_branch()?, guard_name)?];
    match if_expr.else_branch()? {
        ast::ElseBranch::Block(block) => stores.push(final_store(&block, guard_name)?),
        ast::ElseBranch::IfExpr(nested) => stores.extend(branch_stores(&nested, guard_name)?),
    }
    Some(stores)
}

/// The block's last item, when it is `*guard = value` (with or without its `;`).
fn final_store(block: &ast::BlockExpr, guard_name: &str) -> Option<ast::BinExpr> {
    let list = block.stmt_list()?;
    let last = syntax::block_items(&list).pop()?;
    let Some(ast::Expr::BinExpr(store)) = syntax::item_expr(&last) else {
        return None;
    };
    if !matches!(
        store.op_kind(),
        Some(ast::BinaryOp::Assignment { op: None })
    ) {
        return None;
    }
    let ast::Expr::PrefixExpr(deref) = store.lhs()? else {
        return None;
    };
    let is_guard = deref.op_kind() == Some(ast::UnaryOp::Deref)
        && matches!(deref.expr()?, ast::Expr::PathExpr(p) if p.syntax().text() == guard_name);
    is_guard.then_some(store)
}
