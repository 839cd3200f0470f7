//! Step 6, naming: fresh names that collide with nothing in the function, snapshots (a read of
//! another guard replaced by a name whose value that guard's phase computes), flag names, and the
//! declaration a name refers to.
//!
//! Assumes: `taken` holds the names of the function (see `guards`).
//! Guarantees: a name from `fresh` is new in the function and taken from then on; a
//! `let name = <read>;` inside the statement gives its name to the snapshot only when every use of
//! `name` the snapshot would be visible to is a use of that `let`.

use ra_ap_syntax::{
    AstNode, AstToken, NodeOrToken, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasLoopBody},
};

use super::text::{apply, line_range, replace};
use super::{Pre, Splitter, Walk};
use crate::analysis::syntax;
use crate::fixes::naming::suggest_name;

impl Splitter<'_> {
    pub(super) fn fresh(&mut self, base: &str) -> String {
        let name = syntax::fresh_name(base, &self.taken);
        self.taken.insert(name.clone());
        name
    }

    /// Replace the read `expr` of member `m` by a snapshot taken in `m`'s phase before the
    /// statement. `let name = <read>;` gives its name to the snapshot and goes away.
    pub(super) fn snapshot(
        &mut self,
        walk: &mut Walk,
        m: usize,
        expr: &ast::Expr,
    ) -> Result<(), String> {
        let range = expr.syntax().text_range();
        let value = apply(self.text, range, &walk.edits);
        let names: Vec<String> = syntax::identifiers(expr.syntax())
            .into_iter()
            .filter(|n| *n != self.members[m].name)
            .collect();
        if let Some((stmt, name)) = self.foldable_let(expr, walk) {
            let deletion = line_range(self.text, stmt.syntax().text_range());
            replace(&mut walk.edits, deletion, String::new())?;
            walk.pre.push(Pre {
                member: m,
                name: name.clone(),
                expr: value,
                names,
            });
            self.taken.insert(name);
            return Ok(());
        }
        let name = self.fresh(&snapshot_name(expr));
        replace(&mut walk.edits, range, name.clone())?;
        walk.pre.push(Pre {
            member: m,
            name,
            expr: value,
            names,
        });
        Ok(())
    }

    /// `let name = <expr>;` nested inside the statement (not the statement itself), with `name`
    /// mentioned nowhere outside the rest of its block: the value can be computed earlier under
    /// that name.
    fn foldable_let(&self, expr: &ast::Expr, walk: &Walk) -> Option<(ast::LetStmt, String)> {
        let stmt = expr.syntax().parent().and_then(ast::LetStmt::cast)?;
        if stmt.initializer()?.syntax() != expr.syntax()
            || stmt.let_else().is_some()
            || stmt.ty().is_some()
            || stmt.syntax().text_range() == walk.node_range
            || !walk.node_range.contains_range(stmt.syntax().text_range())
        {
            return None;
        }
        let Some(ast::Pat::IdentPat(pat)) = stmt.pat() else {
            return None;
        };
        if pat.mut_token().is_some() || pat.ref_token().is_some() {
            return None;
        }
        let name = syntax::ident_name(&pat);
        let block = stmt.syntax().parent()?;
        let own_scope = TextRange::new(stmt.syntax().text_range().end(), block.text_range().end());
        // Every use of the name where the snapshot will be visible is a use of this `let`.
        let inside = syntax::mentions(self.file, walk.scope, &name)
            .iter()
            .all(|r| own_scope.contains_range(*r));
        let shadowed_inside = block
            .descendants()
            .filter_map(ast::IdentPat::cast)
            .any(|p| p.syntax() != pat.syntax() && syntax::ident_name(&p) == name);
        (inside && !shadowed_inside).then_some((stmt, name))
    }

    /// The declaration (`IdentPat` or parameter) that `name` refers to at `at`.
    pub(super) fn declaration(&self, name: &str, at: &SyntaxNode) -> Option<SyntaxNode> {
        let mut child = at.clone();
        for ancestor in at.ancestors().skip(1) {
            if let Some(list) = ast::StmtList::cast(ancestor.clone()) {
                let items = syntax::block_items(&list);
                if let Some(pos) = items.iter().position(|i| *i == child) {
                    for item in items[..pos].iter().rev() {
                        if let Some(stmt) = ast::LetStmt::cast(item.clone())
                            && let Some(pat) = stmt.pat()
                            && let Some(found) = syntax::pattern_bindings(&pat)
                                .into_iter()
                                .find(|p| syntax::ident_name(p) == name)
                        {
                            return Some(found.syntax().clone());
                        }
                    }
                }
            }
            if let Some(arm) = ast::MatchArm::cast(ancestor.clone())
                && arm.pat().is_some_and(|p| p.syntax() != &child)
                && let Some(found) = arm.pat().and_then(|p| {
                    syntax::pattern_bindings(&p)
                        .into_iter()
                        .find(|b| syntax::ident_name(b) == name)
                })
            {
                return Some(found.syntax().clone());
            }
            if let Some(if_expr) = ast::IfExpr::cast(ancestor.clone())
                && if_expr.then_branch().is_some_and(|b| b.syntax() == &child)
                && let Some(found) = if_expr.condition().and_then(|c| binding_in_lets(&c, name))
            {
                return Some(found);
            }
            if let Some(for_expr) = ast::ForExpr::cast(ancestor.clone())
                && for_expr.loop_body().is_some_and(|b| b.syntax() == &child)
                && let Some(found) = for_expr.pat().and_then(|p| {
                    syntax::pattern_bindings(&p)
                        .into_iter()
                        .find(|b| syntax::ident_name(b) == name)
                })
            {
                return Some(found.syntax().clone());
            }
            if let Some(while_expr) = ast::WhileExpr::cast(ancestor.clone())
                && while_expr.loop_body().is_some_and(|b| b.syntax() == &child)
                && let Some(found) = while_expr
                    .condition()
                    .and_then(|c| binding_in_lets(&c, name))
            {
                return Some(found);
            }
            if let Some(closure) = ast::ClosureExpr::cast(ancestor.clone())
                && let Some(found) = closure.param_list().and_then(|p| {
                    p.params()
                        .filter_map(|p| p.pat())
                        .flat_map(|p| syntax::pattern_bindings(&p))
                        .find(|b| syntax::ident_name(b) == name)
                })
            {
                return Some(found.syntax().clone());
            }
            if let Some(f) = ast::Fn::cast(ancestor.clone()) {
                return f.param_list().and_then(|p| {
                    p.params()
                        .filter_map(|p| p.pat())
                        .flat_map(|p| syntax::pattern_bindings(&p))
                        .find(|b| syntax::ident_name(b) == name)
                        .map(|b| b.syntax().clone())
                });
            }
            child = ancestor;
        }
        None
    }

    /// A name for the flag of a deferred step: from an enum variant it mentions
    /// (`PoolOperation::CircuitBreakerTripped` → `circuit_breaker_tripped`) or an event name it
    /// passes (`"circuit_breaker_opened"`), else `fallback`.
    pub(super) fn flag_name(&mut self, stmts: &[SyntaxNode], fallback: &str) -> String {
        let mut base = None;
        'search: for stmt in stmts {
            for path in stmt.descendants().filter_map(ast::PathExpr::cast) {
                let is_callee = path
                    .syntax()
                    .parent()
                    .is_some_and(|p| p.kind() == SyntaxKind::CALL_EXPR);
                let segments: Vec<String> = syntax::compact_text(path.syntax())
                    .split("::")
                    .map(str::to_string)
                    .collect();
                let Some(last) = segments.last() else {
                    continue;
                };
                if !is_callee
                    && segments.len() >= 2
                    && segments[segments.len() - 2] != "Self"
                    && last.starts_with(|c: char| c.is_ascii_uppercase())
                    && last.chars().any(|c| c.is_ascii_lowercase())
                {
                    base = Some(snake_case(last));
                    break 'search;
                }
            }
        }
        if base.is_none() {
            'strings: for stmt in stmts {
                for token in stmt
                    .descendants_with_tokens()
                    .filter_map(NodeOrToken::into_token)
                    .filter_map(ast::String::cast)
                {
                    let Ok(value) = token.value() else { continue };
                    let looks_like_a_name = value.len() > 2
                        && value.len() <= 40
                        && value.starts_with(|c: char| c.is_ascii_lowercase())
                        && value
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                        && !super::naming::is_keyword(&value);
                    if looks_like_a_name {
                        base = Some(value.to_string());
                        break 'strings;
                    }
                }
            }
        }
        let base = base.unwrap_or_else(|| fallback.to_string());
        self.fresh(&base)
    }
}

/// Names a `let` statement binds.
pub(super) fn declared_names(stmt: &SyntaxNode) -> Vec<String> {
    ast::LetStmt::cast(stmt.clone())
        .and_then(|l| l.pat())
        .map(|p| {
            syntax::pattern_bindings(&p)
                .iter()
                .map(syntax::ident_name)
                .collect()
        })
        .unwrap_or_default()
}

/// Names a statement may use: identifiers and inline format arguments.
pub(super) fn candidate_names(stmt: &SyntaxNode) -> Vec<String> {
    let mut names: Vec<String> = syntax::identifiers(stmt).into_iter().collect();
    for token in stmt
        .descendants_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .filter(|t| t.kind() == SyntaxKind::STRING)
    {
        let text = token.text();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            rest = &rest[open + 1..];
            let end = rest.find(['}', ':']).unwrap_or(rest.len());
            let candidate = rest[..end].trim();
            if !candidate.is_empty()
                && candidate
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                && candidate.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            {
                names.push(candidate.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// A binding in the `let` conditions of an `if` (`if let Some(x) = …`, let chains).
fn binding_in_lets(condition: &ast::Expr, name: &str) -> Option<SyntaxNode> {
    condition
        .syntax()
        .descendants()
        .filter_map(ast::LetExpr::cast)
        .filter_map(|l| l.pat())
        .flat_map(|p| syntax::pattern_bindings(&p))
        .find(|b| syntax::ident_name(b) == name)
        .map(|b| b.syntax().clone())
}

pub(super) fn snapshot_name(expr: &ast::Expr) -> String {
    let name = suggest_name(expr);
    if name == "value"
        && let ast::Expr::BinExpr(b) = expr
        && let Some(lhs) = b.lhs()
    {
        let base = suggest_name(&lhs);
        if base != "value" {
            return format!("{base}_holds");
        }
    }
    name
}

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
