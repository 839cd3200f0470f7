//! Who holds a guard and how long: whether its value is bound by a `let`, an `if let`, dropped at
//! once or kept as a temporary; the region in which it is alive (to the end of its block, its
//! `if let` branch, or its temporary scope with the edition's rules); the `drop(guard)`
//! statements that end it early; and the uses that hand the guard on instead of holding it.
//!
//! Invariants: a guard bound by a `let` is held from the end of the whole initializer; a `match`
//! or block tail feeds the `let` only when the value flowing out is the guard itself; a
//! `drop(guard)` ends the guard only for code it runs before on every path ([`dominates`]).

use ra_ap_syntax::{
    AstNode, Edition, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasArgList},
};

use super::{Holder, syntax};

/// `m.read().map(|g| g.clone())`: the guard moves into the closure and is dropped when it returns,
/// so no guard outlives the call (a lockfix snapshot fix writes exactly this).
pub(super) fn consumed_by_closure(guard_expr: &ast::Expr) -> bool {
    let Some(call) = guard_expr
        .syntax()
        .parent()
        .and_then(ast::MethodCallExpr::cast)
    else {
        return false;
    };
    let is_receiver = call
        .receiver()
        .is_some_and(|r| r.syntax() == guard_expr.syntax());
    let consumes = call
        .name_ref()
        .is_some_and(|n| matches!(n.text(), "map" | "and_then" | "map_or" | "map_or_else"));
    let closure = call
        .arg_list()
        .and_then(|a| a.args().last())
        .and_then(|a| match a {
            ast::Expr::ClosureExpr(c) => Some(c),
            _ => None,
        });
    let Some(closure) = closure else { return false };
    // `.map(|g| g)` hands the guard back.
    let returns_param = closure.body().is_some_and(|b| {
        closure
            .param_list()
            .and_then(|p| p.params().next())
            .is_some_and(|p| p.syntax().text() == b.syntax().text())
    });
    is_receiver && consumes && !returns_param
}

/// `Some(m.read_arc())`, `Shared(m.read_arc())`: the value is stored by a tuple struct or variant
/// (a capitalised callee), not handed to a function that may await it (async-lock's `read_arc()`
/// is a future).
pub(super) fn stored_by_constructor(expr: &ast::Expr) -> bool {
    expr.syntax()
        .parent()
        .and_then(ast::ArgList::cast)
        .and_then(|args| args.syntax().parent())
        .and_then(ast::CallExpr::cast)
        .and_then(|call| call.expr())
        .is_some_and(|callee| {
            let text = syntax::compact_text(callee.syntax());
            let last = text.rsplit("::").next().unwrap_or_default();
            last.chars().next().is_some_and(char::is_uppercase)
        })
}

pub(super) fn passed_on(expr: &ast::Expr) -> bool {
    expr.syntax().parent().is_some_and(|p| {
        matches!(
            p.kind(),
            SyntaxKind::ARG_LIST
                | SyntaxKind::RETURN_EXPR
                | SyntaxKind::TUPLE_EXPR
                | SyntaxKind::STMT_LIST
        )
    })
}

/// Decide where the guard value goes.
pub(super) fn holder_of(guard_expr: &ast::Expr) -> Holder {
    let Some(parent) = guard_expr.syntax().parent() else {
        return Holder::Temporary;
    };
    if let Some(stmt) = ast::LetStmt::cast(parent.clone()) {
        if stmt.initializer().as_ref().map(|e| e.syntax()) != Some(guard_expr.syntax()) {
            return Holder::Temporary;
        }
        return let_holder(stmt);
    }
    if let Some(scrutinee_of) = ast::MatchExpr::cast(parent.clone()) {
        // `let g = match m.lock() { Ok(g) => g, Err(e) => e.into_inner() };`
        let binding = scrutinee_of.syntax().parent().and_then(ast::LetStmt::cast);
        if let Some(stmt) = binding
            && arms_yield_the_guard(&scrutinee_of)
        {
            return let_holder(stmt);
        }
    }
    if let Some(stmt) = let_fed_by_tail(guard_expr) {
        // `let g = match cached { Some(g) => g, None => map.get(k).unwrap() };`: the guard is the
        // value of the arm, which the `let` binds.
        return let_holder(stmt);
    }
    if let Some(let_expr) = ast::LetExpr::cast(parent.clone()) {
        // `if let Ok(g) = m.write()` / `if let Some(g) = m.try_lock()`.
        let if_expr = let_expr.syntax().parent().and_then(ast::IfExpr::cast);
        if let (Some(if_expr), Some(pat)) = (if_expr, let_expr.pat()) {
            let bindings = pat
                .syntax()
                .descendants()
                .filter_map(ast::IdentPat::cast)
                .collect::<Vec<_>>();
            if let ([binding], Some(then_branch)) = (bindings.as_slice(), if_expr.then_branch())
                && binding.ref_token().is_none()
            {
                return Holder::IfLet {
                    if_expr: if_expr.clone(),
                    pat: binding.clone(),
                    then_branch,
                };
            }
        }
    }
    Holder::Temporary
}

/// The `let` whose value `expr` becomes as the tail of a block, an `if`/`else` branch or a
/// `match` arm (`let g = if c { a.lock() } else { b.lock() };`). A condition, a scrutinee or a
/// statement on the way is not a value flowing to the `let`.
fn let_fed_by_tail(expr: &ast::Expr) -> Option<ast::LetStmt> {
    let mut value = expr.syntax().clone();
    loop {
        let parent = value.parent()?;
        match parent.kind() {
            SyntaxKind::STMT_LIST => {
                let list = ast::StmtList::cast(parent.clone())?;
                if list.tail_expr()?.syntax() != &value {
                    return None;
                }
                let block = ast::BlockExpr::cast(parent.parent()?)?;
                // An `async`/`gen` block's tail is the value of a future, a `try` block's is
                // wrapped, a `const` block's is no guard: only plain, `unsafe` and labelled
                // blocks hand their tail to the code around them.
                if !matches!(
                    block.modifier(),
                    None | Some(ast::BlockModifier::Unsafe(_) | ast::BlockModifier::Label(_))
                ) {
                    return None;
                }
                value = block.syntax().clone();
            }
            SyntaxKind::MATCH_ARM => {
                let arm = ast::MatchArm::cast(parent.clone())?;
                if arm.expr()?.syntax() != &value {
                    return None;
                }
                value = parent
                    .parent()?
                    .parent()
                    .filter(|m| m.kind() == SyntaxKind::MATCH_EXPR)?;
            }
            SyntaxKind::IF_EXPR => {
                let if_expr = ast::IfExpr::cast(parent.clone())?;
                if if_expr.condition().is_some_and(|c| c.syntax() == &value) {
                    return None;
                }
                value = parent;
            }
            SyntaxKind::LET_STMT => {
                let stmt = ast::LetStmt::cast(parent)?;
                return stmt
                    .initializer()
                    .is_some_and(|i| i.syntax() == &value)
                    .then_some(stmt);
            }
            _ => return None,
        }
    }
}

/// Whether a `match` on a lock result hands the guard itself to the `let` around it
/// (`Ok(g) => g`, `Err(e) => e.into_inner()`, or an arm that leaves), rather than a value computed
/// from it (`Ok(g) => g.len()`), in which case the guard is a temporary of the `let`.
fn arms_yield_the_guard(m: &ast::MatchExpr) -> bool {
    let Some(arms) = m.match_arm_list() else {
        return false;
    };
    let mut yields = false;
    for arm in arms.arms() {
        let Some(mut expr) = arm.expr() else {
            return false;
        };
        // `Ok(g) => { g }`
        while let ast::Expr::BlockExpr(b) = &expr {
            match b.stmt_list().and_then(|l| {
                l.statements()
                    .next()
                    .is_none()
                    .then(|| l.tail_expr())
                    .flatten()
            }) {
                Some(tail) => expr = tail,
                None => break,
            }
        }
        let bound: Vec<String> = arm
            .pat()
            .map(|p| {
                syntax::pattern_bindings(&p)
                    .iter()
                    .map(syntax::ident_name)
                    .collect()
            })
            .unwrap_or_default();
        let ok = match &expr {
            ast::Expr::PathExpr(p) => {
                let named = bound.iter().any(|b| *b == p.syntax().text().to_string());
                yields |= named;
                named
            }
            ast::Expr::MethodCallExpr(c) => c.name_ref().is_some_and(|n| n.text() == "into_inner"),
            ast::Expr::ReturnExpr(_) | ast::Expr::BreakExpr(_) | ast::Expr::ContinueExpr(_) => true,
            ast::Expr::MacroExpr(_) => true,
            ast::Expr::BlockExpr(_) => true,
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    yields
}

/// A `let` that binds the guard: `let g = …`, `let mut g = …`, or `let Ok(g) = … else { … }`.
fn let_holder(stmt: ast::LetStmt) -> Holder {
    let pat = match stmt.pat() {
        Some(ast::Pat::WildcardPat(_)) => return Holder::Discarded,
        Some(ast::Pat::IdentPat(pat)) => Some(pat),
        Some(ast::Pat::TupleStructPat(tuple)) => {
            let bindings: Vec<_> = tuple
                .syntax()
                .descendants()
                .filter_map(ast::IdentPat::cast)
                .collect();
            match bindings.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            }
        }
        _ => None,
    };
    match (pat, syntax::as_block_item(stmt.syntax())) {
        (Some(pat), Some((list, index))) if pat.ref_token().is_none() => Holder::Let {
            stmt,
            pat,
            list,
            index,
        },
        _ => Holder::Temporary,
    }
}

/// The region in which the guard is alive.
pub(super) fn live_region(
    guard_expr: &ast::Expr,
    holder: &Holder,
    edition: Edition,
) -> Option<TextRange> {
    let mut start = guard_expr.syntax().text_range().end();
    if let Holder::Let { stmt, .. } = holder
        && let Some(init) = stmt.initializer()
    {
        // The `let` holds the guard once its whole initializer has run: in `let g = match
        // m.try_lock() { Ok(g) => g, Err(_) => { m.lock(); return } };` or `let g = if c {
        // a.lock() } else { .. };` the other arms and branches hold nothing.
        start = start.max(init.syntax().text_range().end());
    }
    let end = match holder {
        Holder::Let { list, .. } => list.syntax().text_range().end(),
        Holder::IfLet { then_branch, .. } => then_branch.syntax().text_range().end(),
        Holder::Discarded => start,
        Holder::Temporary => temporary_scope_end(guard_expr.syntax(), edition),
    };
    Some(TextRange::new(start, end.max(start)))
}

/// Where a temporary created in `node` is dropped: the end of the enclosing statement, `if`
/// condition, match arm or loop body — with the edition's rules for block tails and `if let`.
fn temporary_scope_end(node: &SyntaxNode, edition: Edition) -> TextSize {
    let mut child = node.clone();
    for ancestor in node.ancestors().skip(1) {
        match ancestor.kind() {
            SyntaxKind::EXPR_STMT | SyntaxKind::LET_STMT => return ancestor.text_range().end(),
            SyntaxKind::IF_EXPR => {
                let if_expr = ast::IfExpr::cast(ancestor.clone());
                let is_condition =
                    if_expr.as_ref().and_then(|i| i.condition()).is_some_and(|c| c.syntax() == &child);
                if is_condition {
                    let is_let = child.kind() == SyntaxKind::LET_EXPR
                        || child.descendants().any(|d| d.kind() == SyntaxKind::LET_EXPR);
                    if !is_let {
                        // A plain `if` condition is a terminating scope.
                        return child.text_range().end();
                    }
                    if edition.at_least_2024() {
                        // 2024 drops `if let` scrutinee temporaries before the `else` branch.
                        if let Some(then_branch) = if_expr.and_then(|i| i.then_branch()) {
                            return then_branch.syntax().text_range().end();
                        }
                    }
                }
            }
            SyntaxKind::WHILE_EXPR => {
                let is_condition = ast::WhileExpr::cast(ancestor.clone())
                    .and_then(|w| w.condition())
                    .is_some_and(|c| c.syntax() == &child);
                if is_condition {
                    // A plain `while` condition is dropped before each run of the body (the loop is
                    // `loop { if cond { body } else { break } }`); a `while let` scrutinee lives
                    // through the body.
                    let is_let = child.kind() == SyntaxKind::LET_EXPR
                        || child.descendants().any(|d| d.kind() == SyntaxKind::LET_EXPR);
                    return if is_let { ancestor.text_range().end() } else { child.text_range().end() };
                }
            }
            SyntaxKind::MATCH_ARM
                // Arm bodies and guards are terminating scopes.
                if ast::Pat::cast(child.clone()).is_none() => {
                    return child.text_range().end();
                }
            SyntaxKind::STMT_LIST
                // `child` is the tail expression. Before 2024 its temporaries outlive the block.
                if edition.at_least_2024() => {
                    return ancestor.text_range().end();
                }
            SyntaxKind::FN | SyntaxKind::CLOSURE_EXPR | SyntaxKind::CONST | SyntaxKind::STATIC => {
                return ancestor.text_range().end();
            }
            SyntaxKind::BLOCK_EXPR if syntax::is_body(&ancestor) => return ancestor.text_range().end(),
            _ => {}
        }
        child = ancestor;
    }
    node.text_range().end()
}

/// `drop(name);` / `std::mem::drop(name);` statements inside `range`.
pub(super) fn drop_statements(
    root: &SyntaxNode,
    range: TextRange,
    name: &str,
) -> Vec<ast::ExprStmt> {
    syntax::descendants_meeting(root, range)
        .filter_map(ast::ExprStmt::cast)
        .filter(|s| range.contains_range(s.syntax().text_range()))
        .filter(|s| {
            let Some(ast::Expr::CallExpr(call)) = s.expr() else {
                return false;
            };
            let callee = call
                .expr()
                .map(|e| e.syntax().text().to_string())
                .unwrap_or_default();
            let is_drop = matches!(
                callee.as_str(),
                "drop" | "mem::drop" | "std::mem::drop" | "core::mem::drop"
            );
            let args: Vec<_> = call
                .arg_list()
                .map(|a| a.args().collect())
                .unwrap_or_default();
            is_drop && args.len() == 1 && args[0].syntax().text() == name
        })
        .collect()
}

/// Whether the statement runs before `node` on every path: it is a statement of a block that
/// contains `node`, and comes before it.
pub(super) fn dominates(stmt: &ast::ExprStmt, node: &SyntaxNode) -> bool {
    let Some(list) = stmt.syntax().parent() else {
        return false;
    };
    list.text_range().contains_range(node.text_range())
        && stmt.syntax().text_range().end() <= node.text_range().start()
}
