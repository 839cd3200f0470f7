//! A scrutinee's temporary guard that an arm locks again (or blocks under), when the scrutinee's
//! value may borrow from the guard and so cannot be bound on its own: bind the guard instead, and
//! release it at the top of each arm that needs the lock gone. Those arms bind nothing from the
//! scrutinee, so nothing borrows from the guard there.
//!
//! ```text
//! match self.users.lock().await.get(&id) {          let users = self.users.lock().await;
//!     Some(u) => u.clone(),                   =>    match users.get(&id) {
//!     None => {                                         Some(u) => u.clone(),
//!         let u = load(id);                             None => {
//!         self.users.lock().await.insert(id, u);            drop(users);
//!         u                                                 let u = load(id);
//!     }                                                     self.users.lock().await.insert(id, u);
//! }                                                         u
//!                                                       }
//!                                                   }
//! ```
//!
//! The guard lives exactly as long as the temporary did in the other arms: the construct must end
//! its block, or else every arm that drops the guard must leave the block (`return`, `break`,
//! `continue`, a panic) and a `drop` after the construct ends the guard where the temporary ended.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, ast};

use super::hoist::hoist_as;
use crate::analysis::relock::{ScrutineeKind, ScrutineeScope};
use crate::analysis::{Guard, syntax};
use crate::model::TextEdit;

#[derive(Debug, Clone)]
pub struct DropInArms {
    pub edits: Vec<TextEdit>,
    /// The name the guard is bound to.
    pub name: String,
}

/// The edits binding the scrutinee's guard and dropping it at the top of the arms (or the `else`
/// branch) that contain one of `sites`, or `None` when that might not compile or would keep the
/// guard longer than the temporary lived.
pub fn drop_in_arms(
    text: &str,
    guard: &Guard,
    scope: &ScrutineeScope,
    sites: &[SyntaxNode],
) -> Option<DropInArms> {
    // The guard is what the scrutinee evaluates first, so taking it one statement earlier runs
    // nothing out of order.
    if scope.scrutinee.syntax().text_range().start()
        != guard.guard_expr.syntax().text_range().start()
    {
        return None;
    }
    let item = statement_of(&scope.construct)?;
    if syntax::enclosing_body(&item).as_ref() != Some(&guard.body) {
        return None;
    }
    let (list, index) = syntax::as_block_item(&item)?;
    let ends_block = index + 1 == syntax::block_items(&list).len();

    let mut bodies: Vec<ast::Expr> = Vec::new();
    for site in sites {
        let body = releasing_body(scope, site)?;
        if !bodies.contains(&body) {
            bodies.push(body);
        }
    }
    if bodies.is_empty() || (!ends_block && !bodies.iter().all(diverges)) {
        return None;
    }

    // Named after the lock (`users`), or `users_guard` when the body uses that name already.
    // A lock reached through a getter (`self.runtime.lock_or_panic()`) is named by its receiver.
    let path = guard.lock_path.as_str();
    let path = match path.strip_suffix("()").and_then(|p| p.rsplit_once('.')) {
        Some((receiver, _getter)) => receiver,
        None => path,
    };
    let last = path.rsplit('.').next().unwrap_or_default();
    let is_name = last.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && last.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let base = if is_name && !super::naming::is_keyword(last) {
        last.to_string()
    } else {
        "guard".to_string()
    };
    let names = [base.clone(), format!("{base}_guard")];
    let hoisted = hoist_as(text, &item, &guard.guard_expr, &guard.body, "", &names);
    let name = hoisted.name.clone();
    let eol = syntax::eol(text);
    let mut edits = vec![hoisted.edit];
    for body in &bodies {
        edits.push(drop_first(text, body, &name)?);
    }
    if !ends_block {
        let end = syntax::end_with_trailing_comment(&item);
        let indent = syntax::line_indent(text, usize::from(item.text_range().start()));
        edits.push(TextEdit {
            range: end..end,
            replacement: format!("{eol}{indent}drop({name});"),
        });
    }
    edits.sort_by_key(|e| e.range.start);
    Some(DropInArms { edits, name })
}

/// The block item the construct is: a statement, a `let`'s whole initializer, or the tail.
fn statement_of(construct: &SyntaxNode) -> Option<SyntaxNode> {
    let parent = construct.parent()?;
    match parent.kind() {
        SyntaxKind::STMT_LIST => Some(construct.clone()),
        SyntaxKind::EXPR_STMT => Some(parent),
        SyntaxKind::LET_STMT => {
            let stmt = ast::LetStmt::cast(parent.clone())?;
            let whole_initializer = stmt
                .initializer()
                .is_some_and(|init| init.syntax() == construct);
            (whole_initializer && stmt.let_else().is_none()).then_some(parent)
        }
        _ => None,
    }
}

/// The arm body (or `else` block) that runs `site`, when nothing there borrows from the scrutinee:
/// a `match` arm whose pattern binds nothing, or the `else` of an `if let`.
fn releasing_body(scope: &ScrutineeScope, site: &SyntaxNode) -> Option<ast::Expr> {
    let inside = |node: &SyntaxNode| node.text_range().contains_range(site.text_range());
    match scope.kind {
        ScrutineeKind::Match => {
            let arms = ast::MatchExpr::cast(scope.construct.clone())?.match_arm_list()?;
            let arm = arms.arms().find(|arm| inside(arm.syntax()))?;
            let body = arm.expr()?;
            let binds = arm
                .pat()
                .is_none_or(|pat| !syntax::pattern_bindings(&pat).is_empty());
            (!binds && inside(body.syntax())).then_some(body)
        }
        ScrutineeKind::IfLet => {
            let if_expr = ast::IfExpr::cast(scope.construct.clone())?;
            match if_expr.else_branch()? {
                ast::ElseBranch::Block(block) if inside(block.syntax()) => {
                    Some(ast::Expr::BlockExpr(block))
                }
                _ => None,
            }
        }
        ScrutineeKind::WhileLet => None,
    }
}

/// Whether control never leaves `body` normally: it ends in `return`, `break`, `continue` or a
/// panicking macro.
pub(super) fn diverges(body: &ast::Expr) -> bool {
    let last = match body {
        ast::Expr::BlockExpr(block) => {
            let Some(list) = block.stmt_list() else {
                return false;
            };
            match syntax::block_items(&list).last() {
                Some(item) => item.clone(),
                None => return false,
            }
        }
        other => other.syntax().clone(),
    };
    let expr = match ast::ExprStmt::cast(last.clone()) {
        Some(stmt) => match stmt.expr() {
            Some(e) => e,
            None => return false,
        },
        None => match ast::Expr::cast(last) {
            Some(e) => e,
            None => return false,
        },
    };
    match expr {
        ast::Expr::ReturnExpr(_) | ast::Expr::BreakExpr(_) | ast::Expr::ContinueExpr(_) => true,
        ast::Expr::MacroExpr(m) => m
            .macro_call()
            .and_then(|c| c.path())
            .and_then(|p| p.segment())
            .is_some_and(|s| {
                matches!(
                    s.syntax().text().to_string().as_str(),
                    "panic" | "unreachable" | "todo" | "unimplemented"
                )
            }),
        _ => false,
    }
}

/// `drop(name);` as the first statement of `body`; a body that is not a block becomes one.
fn drop_first(text: &str, body: &ast::Expr, name: &str) -> Option<TextEdit> {
    let eol = syntax::eol(text);
    if let ast::Expr::BlockExpr(block) = body
        && block.modifier().is_none()
        && block.label().is_none()
    {
        let list = block.stmt_list()?;
        let unit = syntax::indent_unit(text, &list);
        let curly = usize::from(list.l_curly_token()?.text_range().end());
        let inner = match syntax::block_items(&list).first() {
            Some(first) => syntax::line_indent(text, usize::from(first.text_range().start())),
            None => "",
        };
        let inner = if inner.is_empty() {
            format!(
                "{}{unit}",
                syntax::line_indent(text, usize::from(block.syntax().text_range().start()))
            )
        } else {
            inner.to_string()
        };
        return Some(TextEdit {
            range: curly..curly,
            replacement: format!("{eol}{inner}drop({name});"),
        });
    }
    // `None => expr,` becomes `None => { drop(name); expr }` laid out as rustfmt would, without
    // the comma rustfmt drops after a block arm.
    let start = usize::from(body.syntax().text_range().start());
    let mut end = usize::from(body.syntax().text_range().end());
    let outer = syntax::line_indent(text, start);
    let unit = if text.lines().any(|l| l.starts_with('\t')) {
        "\t"
    } else {
        "    "
    };
    let strings = syntax::multiline_string_ranges(body.syntax());
    let mut inner_text = syntax::reindent(&text[start..end], start, unit, &strings);
    if matches!(
        body,
        ast::Expr::ReturnExpr(_) | ast::Expr::BreakExpr(_) | ast::Expr::ContinueExpr(_)
    ) {
        // rustfmt ends a jump that becomes a block's last statement with `;`.
        inner_text.push(';');
    }
    if let Some(comma) = body
        .syntax()
        .next_sibling_or_token()
        .filter(|t| t.kind() == SyntaxKind::COMMA)
    {
        end = usize::from(comma.text_range().end());
    }
    Some(TextEdit {
        range: start..end,
        replacement: format!(
            "{{{eol}{outer}{unit}drop({name});{eol}{outer}{unit}{inner_text}{eol}{outer}}}"
        ),
    })
}
