//! Step 4, inside one statement: a statement that needs one lock (the state machine) is walked
//! through its `if`s, `match`es and plain blocks, and each statement inside is classified
//! (`Class`): kept under the lock where it stands, deferred until after the phase, or neutral
//! (moves with the deferred steps around it). In kept code, reads of other guards become
//! snapshots (`names`); runs of deferred statements become a flag and a continuation (`defer`),
//! which is split into phases again.
//!
//! Assumes: the piece is a statement of the block being split; `primary` is the lock it runs under
//! (`None`: it only reads guards, and awaits or spawns).
//! Guarantees, on `Ok`: kept code mentions no other guard but through snapshots, and no await or
//! spawn kept under the lock comes after a step that moved out; a deferred step reads the
//! primary guard only for owned values, does not leave the statement early (`return`, `?`,
//! `break`), takes no other lock, and binds nothing that kept code needs. The plan's edits
//! replace every step that moved and every snapshot read.

use std::collections::HashSet;

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::names::declared_names;
use super::text::edited;
use super::{Access, Cont, ItemPlan, Piece, Splitter, Walk};
use crate::analysis::syntax;

/// Macros that only format or log: statements made of them can move with the steps around them.
const QUIET_MACROS: &[&str] = &[
    "format",
    "format_args",
    "println",
    "eprintln",
    "print",
    "eprint",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "dbg",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "vec",
    "matches",
];

impl Splitter<'_> {
    pub(super) fn split_item(
        &mut self,
        piece: Piece,
        primary: Option<usize>,
        depth: usize,
        scope: TextRange,
    ) -> Result<ItemPlan, String> {
        let mut walk = Walk {
            primary,
            edits: piece.edits.clone(),
            pre: Vec::new(),
            slots: Vec::new(),
            deferred_members: HashSet::new(),
            deferred_ranges: Vec::new(),
            kept_effect: false,
            piece_range: piece.range,
            node_range: piece.node.text_range(),
            scope,
        };
        match primary {
            None => self.kept(&mut walk, &piece.node)?,
            Some(_) => self.statement_like(&mut walk, &piece.node)?,
        }
        self.check_deferred_bindings(&walk, &piece)?;
        let mut conts = Vec::new();
        let mut slot_decls = Vec::new();
        for slot in walk.slots {
            self.deferred += 1;
            let scope = slot
                .pieces
                .first()
                .zip(slot.pieces.last())
                .map_or(TextRange::empty(0.into()), |(a, b)| {
                    TextRange::new(a.range.start(), b.range.end())
                });
            let chunks = self.split_sequence(slot.pieces, depth + 1, scope)?;
            slot_decls.push(match slot.captures.len() {
                0 => format!("let mut {} = false;", slot.flag),
                _ => format!("let mut {} = None;", slot.flag),
            });
            conts.push(Cont {
                flag: slot.flag,
                captures: slot.captures,
                chunks,
            });
        }
        Ok(ItemPlan {
            piece: Piece {
                edits: walk.edits,
                ..piece
            },
            pre: walk.pre,
            conts,
            slot_decls,
            kept_effect: walk.kept_effect,
        })
    }

    /// A statement or expression of the state machine: walked into when it holds steps that
    /// must move, kept whole otherwise.
    fn statement_like(&mut self, walk: &mut Walk, node: &SyntaxNode) -> Result<(), String> {
        let range = node.text_range();
        let others = self
            .touched(range, &walk.edits)
            .into_iter()
            .any(|m| Some(m) != walk.primary);
        let effect = self.effect_in(range, &walk.edits).is_some();
        if !others && !effect {
            return self.kept(walk, node);
        }
        match compound_of(node) {
            Some(expr) => {
                if let Some(stmt) = ast::LetStmt::cast(node.clone())
                    && let Some(pat) = stmt.pat()
                {
                    self.kept(walk, pat.syntax())?;
                }
                // `place = match … ;`: the place is written after the arms run, under the lock.
                if let Some(lhs) = ast::ExprStmt::cast(node.clone())
                    .and_then(|s| s.expr())
                    .and_then(|e| match e {
                        ast::Expr::BinExpr(b) => b.lhs(),
                        _ => None,
                    })
                {
                    self.kept(walk, lhs.syntax())?;
                }
                self.compound(walk, &expr)
            }
            None => self.kept(walk, node),
        }
    }

    fn compound(&mut self, walk: &mut Walk, expr: &ast::Expr) -> Result<(), String> {
        match expr {
            ast::Expr::IfExpr(if_expr) => {
                if let Some(condition) = if_expr.condition() {
                    self.kept(walk, condition.syntax())?;
                }
                if let Some(list) = if_expr.then_branch().and_then(|b| b.stmt_list()) {
                    self.block(walk, &list)?;
                }
                match if_expr.else_branch() {
                    Some(ast::ElseBranch::Block(b)) => {
                        if let Some(list) = b.stmt_list() {
                            self.block(walk, &list)?;
                        }
                    }
                    Some(ast::ElseBranch::IfExpr(nested)) => {
                        self.compound(walk, &ast::Expr::IfExpr(nested))?;
                    }
                    None => {}
                }
                Ok(())
            }
            ast::Expr::MatchExpr(m) => {
                if let Some(scrutinee) = m.expr() {
                    self.kept(walk, scrutinee.syntax())?;
                }
                for arm in m.match_arm_list().into_iter().flat_map(|l| l.arms()) {
                    if let Some(guard) = arm.guard() {
                        self.kept(walk, guard.syntax())?;
                    }
                    match arm.expr() {
                        Some(ast::Expr::BlockExpr(b)) if is_plain_block(&b) => {
                            if let Some(list) = b.stmt_list() {
                                self.block(walk, &list)?;
                            }
                        }
                        Some(e) => self.value(walk, &e)?,
                        None => {}
                    }
                }
                Ok(())
            }
            ast::Expr::BlockExpr(b) if is_plain_block(b) => match b.stmt_list() {
                Some(list) => self.block(walk, &list),
                None => Ok(()),
            },
            other => self.kept(walk, other.syntax()),
        }
    }

    /// An expression whose value is used (an arm, a block's tail).
    fn value(&mut self, walk: &mut Walk, expr: &ast::Expr) -> Result<(), String> {
        match expr {
            ast::Expr::IfExpr(_) | ast::Expr::MatchExpr(_) => self.compound(walk, expr),
            ast::Expr::BlockExpr(b) if is_plain_block(b) => self.compound(walk, expr),
            _ => self.kept(walk, expr.syntax()),
        }
    }

    /// The statements of a block inside the state machine.
    fn block(&mut self, walk: &mut Walk, list: &ast::StmtList) -> Result<(), String> {
        let Some(primary) = walk.primary else {
            return self.kept(walk, list.syntax());
        };
        let stmts: Vec<SyntaxNode> = list.statements().map(|s| s.syntax().clone()).collect();
        let tail = list.tail_expr();
        // Tentative classes, then: a deferred `let` whose value kept code needs stays.
        let mut classes: Vec<Class> = stmts
            .iter()
            .map(|s| self.classify(walk, primary, s))
            .collect();
        let mut needed: HashSet<String> = HashSet::new();
        if let Some(t) = &tail {
            needed.extend(syntax::identifiers(t.syntax()));
        }
        for (i, stmt) in stmts.iter().enumerate().rev() {
            let declares = declared_names(stmt);
            let is_needed = declares.iter().any(|n| needed.contains(n));
            classes[i] = match classes[i] {
                Class::Defer if is_needed => Class::Keep,
                Class::Neutral if is_needed => Class::Keep,
                c => c,
            };
            if !matches!(classes[i], Class::Defer | Class::Neutral) {
                needed.extend(syntax::identifiers(stmt));
            }
        }
        let mut run: Vec<SyntaxNode> = Vec::new();
        for (stmt, class) in stmts.iter().zip(classes) {
            match class {
                Class::Defer => run.push(stmt.clone()),
                Class::Neutral if !run.is_empty() => run.push(stmt.clone()),
                Class::Neutral | Class::Keep => {
                    self.close_run(walk, primary, &mut run)?;
                    self.statement_like(walk, stmt)?;
                }
            }
        }
        self.close_run(walk, primary, &mut run)?;
        if let Some(t) = tail {
            self.value(walk, &t)?;
        }
        Ok(())
    }

    fn classify(&self, walk: &Walk, primary: usize, stmt: &SyntaxNode) -> Class {
        let range = stmt.text_range();
        let others: Vec<usize> = self
            .touched(range, &walk.edits)
            .into_iter()
            .filter(|&m| m != primary)
            .collect();
        let effect = self.effect_in(range, &walk.edits).is_some();
        let uses_primary = !self.mentions(primary, range, &walk.edits).is_empty();
        if others.is_empty() && !effect {
            return if uses_primary {
                Class::Keep
            } else {
                Class::Neutral
            };
        }
        let deferrable = self.all_owned_reads(primary, range, &walk.edits)
            && !exits_early(stmt)
            && self.other_lock_in(range, &walk.edits).is_none();
        if deferrable {
            Class::Defer
        } else {
            Class::Keep
        }
    }

    /// Kept code: runs where it stands, under the statement's lock. Reads of other guards become
    /// snapshots taken in their phases; anything else of another guard cannot stay.
    fn kept(&mut self, walk: &mut Walk, node: &SyntaxNode) -> Result<(), String> {
        let range = node.text_range();
        if let Some(effect) = self.effect_in(range, &walk.edits) {
            if walk.primary.is_some()
                && walk
                    .deferred_ranges
                    .iter()
                    .any(|r| r.end() <= effect.start())
            {
                return Err(format!(
                    "`{}` must stay under the lock but runs after steps that move out of it; split the \
                     function by hand",
                    short(&self.text[syntax::to_range(effect)])
                ));
            }
            walk.kept_effect = true;
        }
        for m in 0..self.members.len() {
            if Some(m) == walk.primary {
                continue;
            }
            for mention in self.mentions(m, range, &walk.edits) {
                if edited(&walk.edits, mention) {
                    continue;
                }
                let Access::Read { expr, owned: true } = self.access(m, mention) else {
                    return Err(self.cannot_move(m, mention, walk.primary));
                };
                if walk.deferred_members.contains(&m) {
                    return Err(format!(
                        "`{}` is read after a deferred step changes `{}`, so the phases cannot keep the order; \
                         split the function by hand",
                        expr.syntax().text(),
                        self.members[m].name
                    ));
                }
                self.snapshot(walk, m, &expr)?;
            }
        }
        Ok(())
    }

    pub(super) fn cannot_move(
        &self,
        m: usize,
        mention: TextRange,
        primary: Option<usize>,
    ) -> String {
        let line = self.text[..usize::from(mention.start())]
            .matches('\n')
            .count()
            + 1;
        let node = super::release::node_at(self.file, mention);
        let in_loop = node.ancestors().any(|a| {
            matches!(
                a.kind(),
                SyntaxKind::FOR_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::LOOP_EXPR
            ) && a.text_range().start() >= self.list.syntax().text_range().start()
        });
        if let (true, Some(p)) = (in_loop, primary) {
            return format!(
                "line {line} changes `{}` in a loop that also uses `{}`: the phases cannot separate the two; split \
                 the function by hand",
                self.members[m].name, self.members[p].name
            );
        }
        match primary {
            Some(p) => format!(
                "line {line} changes `{}` in the same step that needs `{}`; split the function by hand",
                self.members[m].name, self.members[p].name
            ),
            None => format!(
                "line {line} uses `{}` together with an `.await` or a spawn; split the function by hand",
                self.members[m].name
            ),
        }
    }
}

/// What one statement of the state machine becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Needs another lock or awaits/spawns, and can move after the phase.
    Defer,
    /// Runs where it is (walked into if it holds steps that move).
    Keep,
    /// Uses no guard and does nothing observable: moves with the deferred steps around it.
    Neutral,
}

/// The `if`/`match`/block a statement is made of (`let x = match …;`, `if … { … }`).
fn compound_of(node: &SyntaxNode) -> Option<ast::Expr> {
    let expr = if let Some(stmt) = ast::LetStmt::cast(node.clone()) {
        if stmt.let_else().is_some() {
            return None;
        }
        stmt.initializer()?
    } else if let Some(stmt) = ast::ExprStmt::cast(node.clone()) {
        match stmt.expr()? {
            // `place = match … ;`
            ast::Expr::BinExpr(b)
                if matches!(b.op_kind(), Some(ast::BinaryOp::Assignment { op: None })) =>
            {
                b.rhs()?
            }
            e => e,
        }
    } else {
        ast::Expr::cast(node.clone())?
    };
    match &expr {
        ast::Expr::IfExpr(_) | ast::Expr::MatchExpr(_) => Some(expr),
        ast::Expr::BlockExpr(b) if is_plain_block(b) => Some(expr),
        _ => None,
    }
}

fn is_plain_block(block: &ast::BlockExpr) -> bool {
    block.async_token().is_none()
        && block.const_token().is_none()
        && block.label().is_none()
        && block.gen_token().is_none()
}

/// `return`, `?`, or a `break`/`continue` that leaves the statement: moving it would change what
/// runs after it.
fn exits_early(stmt: &SyntaxNode) -> bool {
    let body = syntax::enclosing_body(stmt);
    stmt.descendants().any(|n| {
        if syntax::enclosing_body(&n) != body {
            return false;
        }
        match n.kind() {
            SyntaxKind::RETURN_EXPR | SyntaxKind::TRY_EXPR | SyntaxKind::BECOME_EXPR => true,
            SyntaxKind::BREAK_EXPR | SyntaxKind::CONTINUE_EXPR => {
                !n.ancestors().take_while(|a| a != stmt).any(|a| {
                    matches!(
                        a.kind(),
                        SyntaxKind::LOOP_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::FOR_EXPR
                    )
                })
            }
            SyntaxKind::MACRO_CALL => ast::MacroCall::cast(n).is_some_and(|m| !is_quiet_macro(&m)),
            _ => false,
        }
    })
}

pub(super) fn is_quiet_macro(mac: &ast::MacroCall) -> bool {
    let path = mac
        .path()
        .map(|p| syntax::compact_text(p.syntax()))
        .unwrap_or_default();
    let last = path.rsplit("::").next().unwrap_or_default();
    QUIET_MACROS.contains(&last)
}

fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.len() > 60 {
        format!(
            "{}…",
            &line[..line.char_indices().nth(57).map_or(line.len(), |(i, _)| i)]
        )
    } else {
        line.to_string()
    }
}
