//! Step 2, pieces: a statement (or the block's tail) becomes a `Piece` (its range with the
//! comments that belong to it, and the edits made inside it), and the questions the other steps ask
//! of a range: which members it mentions and how (`Access`), whether it awaits, spawns or runs
//! barrier work, whether it takes another lock.
//!
//! Assumes: the ranges lie in the body the `Splitter` was built for, and `edits` come from
//! `text::replace` (sorted, none cutting another in half).
//! Guarantees: text already replaced by an edit is never reported (a read turned into a snapshot
//! is no longer a mention); a use the syntax cannot tell (inside a macro, a method not known to
//! only read) is a write; nothing here changes the `Splitter`.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize, ast};

use super::text::{comment_end, edited, leading_comments};
use super::{Access, Edit, Piece, READ_METHODS, Splitter};
use crate::fixes::ownership::{Ownership, ownership};

impl Splitter<'_> {
    pub(super) fn piece(&self, node: &SyntaxNode) -> Piece {
        let (start, blank_before) = leading_comments(node);
        let end = TextSize::from(comment_end(self.text, node) as u32);
        Piece {
            node: node.clone(),
            range: TextRange::new(start, end.max(start)),
            blank_before,
            edits: Vec::new(),
            is_tail: false,
        }
    }

    /// A statement inside `parent`, carrying the edits `parent` made inside it.
    pub(super) fn sub_piece(&self, node: &SyntaxNode, edits: &[Edit]) -> Piece {
        let mut piece = self.piece(node);
        piece.edits = edits
            .iter()
            .filter(|e| piece.range.contains_range(e.range))
            .cloned()
            .collect();
        piece
    }

    /// Mentions of member `m` inside `range`, not inside text already replaced.
    pub(super) fn mentions(&self, m: usize, range: TextRange, edits: &[Edit]) -> Vec<TextRange> {
        self.members[m]
            .uses
            .iter()
            .copied()
            .filter(|u| range.contains_range(*u) && !edited(edits, *u))
            .collect()
    }

    pub(super) fn touched(&self, range: TextRange, edits: &[Edit]) -> Vec<usize> {
        (0..self.members.len())
            .filter(|&m| !self.mentions(m, range, edits).is_empty())
            .collect()
    }

    /// An await or a spawn inside `range`, outside replaced text.
    pub(super) fn effect_in(&self, range: TextRange, edits: &[Edit]) -> Option<TextRange> {
        self.awaits
            .iter()
            .chain(self.spawns.iter())
            .chain(self.barriers.iter())
            .copied()
            .filter(|r| range.contains_range(*r) && !edited(edits, *r))
            .min_by_key(|r| r.start())
    }

    pub(super) fn other_lock_in(&self, range: TextRange, edits: &[Edit]) -> Option<&str> {
        self.other_locks
            .iter()
            .find(|(r, _)| range.contains_range(*r) && !edited(edits, *r))
            .map(|(_, path)| path.as_str())
    }

    /// How member `m` is used at `mention`.
    pub(super) fn access(&self, m: usize, mention: TextRange) -> Access {
        let node = super::release::node_at(self.file, mention);
        let Some(path) = node
            .ancestors()
            .find_map(ast::PathExpr::cast)
            .filter(|p| p.syntax().text_range() == mention)
        else {
            // Inside a macro's tokens: the syntax cannot tell.
            return Access::Write;
        };
        let mut expr = ast::Expr::PathExpr(path);
        loop {
            let Some(parent) = expr.syntax().parent().and_then(ast::Expr::cast) else {
                break;
            };
            let is_base = |e: Option<ast::Expr>| e.is_some_and(|e| e.syntax() == expr.syntax());
            let next = match &parent {
                ast::Expr::FieldExpr(f) if is_base(f.expr()) => Some(parent.clone()),
                ast::Expr::IndexExpr(i) if is_base(i.base()) => Some(parent.clone()),
                ast::Expr::ParenExpr(_) | ast::Expr::TryExpr(_) => Some(parent.clone()),
                ast::Expr::PrefixExpr(p) if p.op_kind() == Some(ast::UnaryOp::Deref) => {
                    Some(parent.clone())
                }
                ast::Expr::MethodCallExpr(call) if is_base(call.receiver()) => {
                    let method = call
                        .name_ref()
                        .map(|n| n.text().to_string())
                        .unwrap_or_default();
                    if !self.reads_only(&method) {
                        return Access::Write;
                    }
                    Some(parent.clone())
                }
                ast::Expr::RefExpr(r) => {
                    if r.mut_token().is_some() {
                        return Access::Write;
                    }
                    return Access::Read {
                        expr: parent.clone(),
                        owned: false,
                    };
                }
                ast::Expr::BinExpr(b) => {
                    let is_lhs = is_base(b.lhs());
                    match b.op_kind() {
                        Some(ast::BinaryOp::Assignment { .. }) if is_lhs => return Access::Write,
                        Some(ast::BinaryOp::CmpOp(_)) => {
                            // `g.count == 1`: the comparison is a plain `bool`. With a number on the
                            // other side the place itself is a number, a copy.
                            let other = if is_lhs { b.rhs() } else { b.lhs() };
                            if other.is_some_and(|o| is_number(&o)) {
                                return Access::Read {
                                    owned: true,
                                    expr: expr.clone(),
                                };
                            }
                            return Access::Read {
                                owned: true,
                                expr: parent.clone(),
                            };
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            match next {
                Some(e) => expr = e,
                None => break,
            }
        }
        let by_value = value_context(&expr);
        let place = is_place(&expr);
        let owned = (!place || by_value)
            && ownership(
                &expr,
                std::slice::from_ref(&self.members[m].name),
                self.file,
            ) == Ownership::Owned;
        Access::Read { expr, owned }
    }

    /// A method known to only read its receiver. A method of the same name defined in this file
    /// proves nothing: the guarded type may have its own, taking `&mut self`.
    fn reads_only(&self, method: &str) -> bool {
        READ_METHODS.contains(&method)
    }

    /// Every mention of `m` in `range` is a read whose value can leave the lock.
    pub(super) fn all_owned_reads(&self, m: usize, range: TextRange, edits: &[Edit]) -> bool {
        self.mentions(m, range, edits)
            .into_iter()
            .all(|u| matches!(self.access(m, u), Access::Read { owned: true, .. }))
    }

    pub(super) fn writes(&self, m: usize, range: TextRange, edits: &[Edit]) -> bool {
        self.mentions(m, range, edits)
            .into_iter()
            .any(|u| matches!(self.access(m, u), Access::Write))
    }
}

fn is_number(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Literal(l) => matches!(
            l.kind(),
            ast::LiteralKind::IntNumber(_) | ast::LiteralKind::FloatNumber(_)
        ),
        ast::Expr::PrefixExpr(p) => p.expr().is_some_and(|e| is_number(&e)),
        _ => false,
    }
}

/// A place expression: reading it by value moves (or copies) out of the guard.
fn is_place(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::FieldExpr(_) | ast::Expr::IndexExpr(_) | ast::Expr::PathExpr(_) => true,
        ast::Expr::PrefixExpr(p) => p.op_kind() == Some(ast::UnaryOp::Deref),
        ast::Expr::ParenExpr(p) => p.expr().is_some_and(|e| is_place(&e)),
        _ => false,
    }
}

/// Whether the expression's value is used by value where it stands (so a place there is a copy):
/// a `let` initializer, an argument, an operand of arithmetic, a field value, an element.
fn value_context(expr: &ast::Expr) -> bool {
    let Some(parent) = expr.syntax().parent() else {
        return false;
    };
    match parent.kind() {
        SyntaxKind::LET_STMT
        | SyntaxKind::ARG_LIST
        | SyntaxKind::RECORD_EXPR_FIELD
        | SyntaxKind::TUPLE_EXPR
        | SyntaxKind::ARRAY_EXPR
        | SyntaxKind::CAST_EXPR
        | SyntaxKind::RETURN_EXPR => true,
        SyntaxKind::BIN_EXPR => ast::BinExpr::cast(parent).is_some_and(|b| match b.op_kind() {
            Some(ast::BinaryOp::ArithOp(_)) => true,
            Some(ast::BinaryOp::Assignment { .. }) => {
                b.rhs().is_some_and(|r| r.syntax() == expr.syntax())
            }
            _ => false,
        }),
        SyntaxKind::PREFIX_EXPR => ast::PrefixExpr::cast(parent)
            .is_some_and(|p| matches!(p.op_kind(), Some(ast::UnaryOp::Neg | ast::UnaryOp::Not))),
        _ => false,
    }
}
