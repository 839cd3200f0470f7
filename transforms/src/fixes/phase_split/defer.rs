//! Step 5, deferring: a run of deferred statements (events, steps that need another lock) leaves
//! the state machine. In its place the statement sets a flag, `flag = true;` or
//! `flag = Some(values);`, and the run moves into a continuation, `if let Some(values) = flag { … }`,
//! that runs after the phase (its steps are split into phases again: a re-lock).
//!
//! Assumes: the run is consecutive statements of one block inside the walked statement, none of
//! which leaves it early, and each reads the primary guard only for owned values.
//! Guarantees, on `Ok`: the continuation sees the values the steps would have seen: the primary
//! guard's reads are captured where the flag is set, and the state machine's locals they use are
//! handed over by value, only when immutable, owned (not borrowed from a guard) and, unless
//! plainly `Copy`, not needed after the run; a binding of a deferred step is not used by code that
//! stays.

use ra_ap_syntax::{AstNode, NodeOrToken, SyntaxNode, TextRange, ast};

use super::names::{candidate_names, declared_names, snapshot_name};
use super::text::{apply, edited, line_range, replace};
use super::{Access, Piece, Slot, Splitter, Walk};
use crate::analysis::syntax;
use crate::fixes::ownership::{Ownership, ownership};

impl Splitter<'_> {
    /// Close a run of deferred statements: they move into a continuation that runs after the
    /// phase, and a flag set here (with the values they need) says whether to run it.
    pub(super) fn close_run(
        &mut self,
        walk: &mut Walk,
        primary: usize,
        run: &mut Vec<SyntaxNode>,
    ) -> Result<(), String> {
        if run.is_empty() {
            return Ok(());
        }
        let stmts = std::mem::take(run);
        let first = self.piece(&stmts[0]);
        let last = self.piece(stmts.last().expect("a run has a statement"));
        let run_range = TextRange::new(first.range.start(), last.range.end());
        let mut captures: Vec<(String, String)> = Vec::new();
        let mut pieces = Vec::new();
        let primary_name = self.members[primary].name.clone();
        for stmt in &stmts {
            let mut piece = self.sub_piece(stmt, &walk.edits);
            let reads = self.mentions(primary, piece.range, &piece.edits);
            let mut folded = false;
            for mention in reads {
                let Access::Read { expr, owned: true } = self.access(primary, mention) else {
                    return Err(self.cannot_move(primary, mention, None));
                };
                if edited(&piece.edits, expr.syntax().text_range()) {
                    continue;
                }
                let value = apply(self.text, expr.syntax().text_range(), &piece.edits);
                let declared_in_run = syntax::identifiers(expr.syntax()).into_iter().any(|n| {
                    n != primary_name
                        && self
                            .declaration(&n, expr.syntax())
                            .is_some_and(|d| run_range.contains_range(d.text_range()))
                });
                if declared_in_run {
                    return Err(format!(
                        "`{}` needs a value computed in the step that moves; split the function by hand",
                        expr.syntax().text()
                    ));
                }
                let whole_let = ast::LetStmt::cast(stmt.clone()).is_some_and(|l| {
                    l.initializer().is_some_and(|i| i.syntax() == expr.syntax())
                        && l.ty().is_none()
                        && matches!(l.pat(), Some(ast::Pat::IdentPat(ref p)) if p.mut_token().is_none() && p.ref_token().is_none())
                });
                if whole_let {
                    let name = declared_names(stmt).into_iter().next().unwrap_or_default();
                    captures.push((name, value));
                    folded = true;
                    break;
                }
                let name = self.fresh(&snapshot_name(&expr));
                replace(&mut piece.edits, expr.syntax().text_range(), name.clone())?;
                captures.push((name, value));
            }
            if !folded {
                pieces.push(piece);
            }
        }
        // Locals of the state machine that the moved steps use are handed over by value.
        let mut handed: Vec<String> = Vec::new();
        for stmt in &stmts {
            let piece = self.sub_piece(stmt, &walk.edits);
            for name in candidate_names(stmt) {
                if handed.contains(&name) || self.members.iter().any(|m| m.name == name) {
                    continue;
                }
                let mentions: Vec<TextRange> = syntax::mentions(self.file, piece.range, &name)
                    .into_iter()
                    .filter(|r| !edited(&piece.edits, *r))
                    .collect();
                let Some(first_mention) = mentions.first() else {
                    continue;
                };
                let at = super::release::node_at(self.file, *first_mention);
                let Some(decl) = self.declaration(&name, &at) else {
                    continue;
                };
                let decl_range = decl.text_range();
                if run_range.contains_range(decl_range) {
                    continue;
                }
                if walk
                    .deferred_ranges
                    .iter()
                    .any(|r| r.contains_range(decl_range))
                {
                    return Err(format!(
                        "`{name}` is computed in one step that moves after the lock and used in another, with code \
                         that stays in between; split the function by hand"
                    ));
                }
                let pat = ast::IdentPat::cast(decl.clone());
                let mutable = pat.as_ref().is_some_and(|p| p.mut_token().is_some());
                if !walk.piece_range.contains_range(decl_range) {
                    // Declared before the statement: still there after the phase, unchanged
                    // unless it is mutable.
                    if mutable {
                        return Err(format!(
                            "the step that moves reads the mutable `{name}`; split the function by hand"
                        ));
                    }
                    continue;
                }
                if mutable {
                    return Err(format!(
                        "the step that moves uses the mutable `{name}` of the state machine; split the \
                         function by hand"
                    ));
                }
                if !self.owned_binding(&decl) {
                    return Err(format!(
                        "the step that moves uses `{name}`, which may borrow from a guard; split the \
                         function by hand"
                    ));
                }
                let used_after = syntax::mentions(
                    self.file,
                    TextRange::new(run_range.end(), walk.piece_range.end()),
                    &name,
                )
                .into_iter()
                .any(|r| !edited(&walk.edits, r));
                if used_after && !copy_shaped(&decl) {
                    return Err(format!(
                        "`{name}` is needed both by the step that moves and after it; split the function by hand"
                    ));
                }
                handed.push(name.clone());
                captures.push((name.clone(), name));
            }
        }
        // One value handed over names its flag (`pending_warning`) when nothing in the step does.
        let fallback = match captures.as_slice() {
            [(name, _)] => format!("pending_{name}"),
            _ => "deferred".to_string(),
        };
        let flag = self.flag_name(&stmts, &fallback);
        let value = match captures.len() {
            0 => "true".to_string(),
            1 => format!("Some({})", captures[0].1),
            _ => format!(
                "Some(({}))",
                captures
                    .iter()
                    .map(|c| c.1.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let assignment = format!("{flag} = {value};");
        let lines = line_range(self.text, run_range);
        let replacement = if lines.start() < run_range.start() {
            let indent = syntax::line_indent(self.text, usize::from(run_range.start()));
            format!("{indent}{assignment}{}", self.eol)
        } else {
            assignment
        };
        replace(&mut walk.edits, lines, replacement)?;
        for m in 0..self.members.len() {
            if m != primary && !self.mentions(m, run_range, &[]).is_empty() {
                walk.deferred_members.insert(m);
            }
        }
        walk.deferred_ranges.push(run_range);
        walk.slots.push(Slot {
            flag,
            captures,
            pieces,
        });
        Ok(())
    }

    /// A deferred statement's bindings must not be needed by code that stays.
    pub(super) fn check_deferred_bindings(&self, walk: &Walk, piece: &Piece) -> Result<(), String> {
        for range in &walk.deferred_ranges {
            let node = super::release::node_at(self.file, *range);
            for stmt in node
                .descendants_with_tokens()
                .filter_map(NodeOrToken::into_node)
                .filter_map(ast::LetStmt::cast)
                .filter(|l| range.contains_range(l.syntax().text_range()))
            {
                for name in declared_names(stmt.syntax()) {
                    let block_end = stmt
                        .syntax()
                        .parent()
                        .map_or(piece.range.end(), |b| b.text_range().end());
                    let after = TextRange::new(range.end(), block_end.max(range.end()));
                    let kept_use = syntax::mentions(self.file, after, &name)
                        .into_iter()
                        .any(|r| {
                            !edited(&walk.edits, r)
                                && !walk.deferred_ranges.iter().any(|d| d.contains_range(r))
                        });
                    if kept_use {
                        return Err(format!(
                            "`{name}` is computed in a step that moves after the lock is released but is used before \
                             that; split the function by hand"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// A binding whose value can leave the state machine's lock scope.
    fn owned_binding(&self, decl: &SyntaxNode) -> bool {
        let Some(pat) = ast::IdentPat::cast(decl.clone()) else {
            return false;
        };
        if pat.ref_token().is_some() {
            return false;
        }
        let members: Vec<String> = self.members.iter().map(|m| m.name.clone()).collect();
        for ancestor in decl.ancestors().skip(1) {
            if let Some(stmt) = ast::LetStmt::cast(ancestor.clone()) {
                return match stmt.initializer() {
                    Some(init) => {
                        let direct = matches!(stmt.pat(), Some(ast::Pat::IdentPat(ref p)) if p.syntax() == decl);
                        direct && ownership(&init, &members, self.file) == Ownership::Owned
                    }
                    None => false,
                };
            }
            // A pattern binding: owned when what is matched does not come from a guard.
            let scrutinee = if let Some(arm) = ast::MatchArm::cast(ancestor.clone()) {
                arm.syntax()
                    .ancestors()
                    .find_map(ast::MatchExpr::cast)
                    .and_then(|m| m.expr())
            } else if let Some(let_expr) = ast::LetExpr::cast(ancestor.clone()) {
                let_expr.expr()
            } else {
                continue;
            };
            return scrutinee.is_some_and(|s| {
                members
                    .iter()
                    .all(|n| syntax::mentions(self.file, s.syntax().text_range(), n).is_empty())
            });
        }
        false
    }
}

/// A binding whose value is plainly `Copy` (a number, a flag): using it after handing it over is
/// fine.
fn copy_shaped(decl: &SyntaxNode) -> bool {
    let Some(stmt) = decl.ancestors().find_map(ast::LetStmt::cast) else {
        return false;
    };
    let Some(init) = stmt.initializer() else {
        return false;
    };
    is_copy_expr(&init)
}

fn is_copy_expr(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::BinExpr(_) | ast::Expr::CastExpr(_) => true,
        ast::Expr::Literal(l) => !matches!(
            l.kind(),
            ast::LiteralKind::String(_)
                | ast::LiteralKind::ByteString(_)
                | ast::LiteralKind::CString(_)
        ),
        ast::Expr::PrefixExpr(p) => p.op_kind() != Some(ast::UnaryOp::Deref),
        ast::Expr::ParenExpr(p) => p.expr().is_some_and(|e| is_copy_expr(&e)),
        ast::Expr::MethodCallExpr(m) => m.name_ref().is_some_and(|n| {
            matches!(
                n.text().to_string().as_str(),
                "len"
                    | "is_empty"
                    | "is_some"
                    | "is_none"
                    | "count"
                    | "as_millis"
                    | "as_secs"
                    | "as_secs_f64"
            )
        }),
        ast::Expr::IfExpr(i) => {
            // `if c { 0 } else { n + 1 }`
            let tails = i
                .syntax()
                .children()
                .filter_map(ast::BlockExpr::cast)
                .filter_map(|b| b.stmt_list()?.tail_expr());
            let mut any = false;
            for t in tails {
                if !is_copy_expr(&t) {
                    return false;
                }
                any = true;
            }
            any
        }
        _ => false,
    }
}
