//! Step 3, phases: `split_sequence` groups statements of one block, in order, into chunks: a
//! phase for a run of statements under one lock, statements that run with no lock held, and,
//! around a phase whose statements defer steps, their flags (before it) and deferred blocks
//! (after it, split into phases again).
//!
//! Assumes: the pieces are whole statements of one block in source order (the block's tail, if
//! any, last), and `scope` covers them and whatever may see a value computed before them (for the
//! guards' block: through its end).
//! Guarantees: statements keep their order, except that a quiet statement that commutes with
//! everything since its lock's last phase moves back into that phase (no re-lock); statements
//! that use no guard and neither await nor spawn may join the phase after them; a snapshot is
//! read where it sees the value the statement would have read; an await, a spawn or barrier work
//! is inside a phase only when its statement needs that lock around it; another lock is never
//! taken in a statement that needs a member's lock; `drop(guard)` statements go away (each phase
//! ends its own lock); the block's value stays the last thing computed. Deferred steps nest at
//! most four deep.

use ra_ap_syntax::{
    AstNode, SyntaxNode, TextRange, TextSize,
    ast::{self, HasArgList},
};

use super::names::{candidate_names, declared_names};
use super::statement::is_quiet_macro;
use super::text::edited;
use super::{Access, Chunk, Cont, Edit, Phase, Piece, Pre, READ_METHODS, Splitter};
use crate::analysis::syntax;

/// A phase being filled.
struct Open {
    phase: Phase,
    conts: Vec<Cont>,
    slot_decls: Vec<String>,
}

impl Splitter<'_> {
    /// Group `pieces` (in order) into phases.
    pub(super) fn split_sequence(
        &mut self,
        pieces: Vec<Piece>,
        depth: usize,
        scope: TextRange,
    ) -> Result<Vec<Chunk>, String> {
        if depth > 4 {
            return Err("the deferred steps nest too deeply; split the function by hand".into());
        }
        let mut out: Vec<Chunk> = Vec::new();
        let mut open: Option<Open> = None;
        let mut neutral: Vec<Piece> = Vec::new();
        for piece in pieces {
            if self.drops_member(&piece) {
                continue;
            }
            let touched = self.touched(piece.range, &piece.edits);
            let effect = self.effect_in(piece.range, &piece.edits).is_some();
            if touched.is_empty() {
                if effect {
                    close(&mut out, &mut open, &mut neutral);
                    out.push(Chunk::Plain(piece));
                } else {
                    neutral.push(piece);
                }
                continue;
            }
            let open_member = open.as_ref().map(|o| o.phase.member);
            let primary = self.primary(&piece, &touched, effect, open_member);
            let rest = TextRange::new(piece.range.start(), scope.end().max(piece.range.start()));
            let plan = self.split_item(piece, primary, depth, rest)?;
            for pre in plan.pre.clone() {
                self.place(pre, &mut out, &mut open, &mut neutral);
            }
            match primary {
                None => {
                    if plan.kept_effect {
                        close(&mut out, &mut open, &mut neutral);
                        out.push(Chunk::Plain(plan.piece));
                    } else {
                        neutral.push(plan.piece);
                    }
                }
                Some(m) => {
                    if let Some(lock) = self.other_lock_in(plan.piece.range, &plan.piece.edits) {
                        return Err(format!(
                            "`{lock}` is locked in a statement that needs `{}`; split the function by hand",
                            self.members[m].name
                        ));
                    }
                    let joins = open.as_ref().is_some_and(|o| {
                        o.phase.member == m
                            && (o.conts.is_empty()
                                || (!plan.kept_effect
                                    && neutral.iter().all(|p| self.is_quiet(p.range, &p.edits))))
                    });
                    if !joins
                        && plan.pre.is_empty()
                        && plan.conts.is_empty()
                        && !plan.kept_effect
                        && let Some(target) =
                            self.can_move_back(&plan.piece, m, &out, &open, &neutral)
                    {
                        // It commutes with everything since that lock's last phase: no re-lock.
                        if let Chunk::Phase(phase) = &mut out[target] {
                            phase.items.push(plan.piece);
                        }
                        continue;
                    }
                    if !joins {
                        close(&mut out, &mut open, &mut neutral);
                        open = Some(Open {
                            phase: Phase {
                                member: m,
                                first: false,
                                items: Vec::new(),
                                snapshots: Vec::new(),
                            },
                            conts: Vec::new(),
                            slot_decls: Vec::new(),
                        });
                    }
                    let o = open.as_mut().expect("a phase is open");
                    o.phase.items.append(&mut neutral);
                    o.phase.items.push(plan.piece);
                    o.conts.extend(plan.conts);
                    o.slot_decls.extend(plan.slot_decls);
                }
            }
        }
        close(&mut out, &mut open, &mut neutral);
        // The block's value must be the last thing computed.
        let tail_then_more = out.iter().enumerate().any(|(i, c)| {
            i + 1 < out.len() && matches!(c, Chunk::Phase(p) if p.items.iter().any(|x| x.is_tail))
        });
        if tail_then_more {
            return Err(
                "the block's value is computed under a lock and deferred steps follow it; split the \
                 function by hand"
                    .to_string(),
            );
        }
        Ok(out)
    }

    fn drops_member(&self, piece: &Piece) -> bool {
        let Some(stmt) = ast::ExprStmt::cast(piece.node.clone()) else {
            return false;
        };
        let Some(ast::Expr::CallExpr(call)) = stmt.expr() else {
            return false;
        };
        let callee = call
            .expr()
            .map(|e| syntax::compact_text(e.syntax()))
            .unwrap_or_default();
        let args: Vec<String> = call
            .arg_list()
            .map(|a| a.args().map(|x| syntax::compact_text(x.syntax())).collect())
            .unwrap_or_default();
        matches!(callee.as_str(), "drop" | "mem::drop" | "std::mem::drop")
            && args.len() == 1
            && self.members.iter().any(|m| m.name == args[0])
    }

    /// The lock a statement runs under: `None` when it only reads guards (the values are
    /// computed in their phases) and awaits or spawns; otherwise the guard it uses in a way that
    /// cannot move (the first such, in source order), or the phase already open.
    fn primary(
        &self,
        piece: &Piece,
        touched: &[usize],
        effect: bool,
        open: Option<usize>,
    ) -> Option<usize> {
        let mut first_write: Option<(TextSize, usize)> = None;
        for &m in touched {
            for u in self.mentions(m, piece.range, &piece.edits) {
                if !matches!(self.access(m, u), Access::Read { owned: true, .. })
                    && first_write.is_none_or(|(at, _)| u.start() < at)
                {
                    first_write = Some((u.start(), m));
                }
            }
        }
        match first_write {
            Some((_, m)) => Some(m),
            None if effect => None,
            None => open.filter(|o| touched.contains(o)).or(Some(touched[0])),
        }
    }

    /// Put a snapshot of another guard where it reads the same value the statement would have
    /// read: at the end of that guard's last phase when nothing touched the guard since, else in a
    /// new, short phase just before the statement.
    fn place(
        &mut self,
        pre: Pre,
        out: &mut Vec<Chunk>,
        open: &mut Option<Open>,
        neutral: &mut Vec<Piece>,
    ) {
        let entry = (pre.name.clone(), pre.expr.clone());
        let movable = pre.names.is_empty();
        if let Some(o) = open.as_mut() {
            // The open phase of that guard ends right before the statement (only statements that
            // use no guard sit in between): its end sees the value the statement would see.
            let declared_between = neutral
                .iter()
                .flat_map(|p| declared_names(&p.node))
                .any(|n| pre.names.contains(&n));
            if o.phase.member == pre.member && !declared_between {
                o.phase.snapshots.push(entry);
                return;
            }
            let conts_touch = o.conts.iter().any(|c| touches(&c.chunks, pre.member));
            if !conts_touch
                && movable
                && let Some(Chunk::Phase(p)) = last_touching(out, pre.member)
            {
                p.snapshots.push(entry);
                return;
            }
        } else if movable && let Some(Chunk::Phase(p)) = last_touching(out, pre.member) {
            p.snapshots.push(entry);
            return;
        }
        let untouched = !touches(out, pre.member)
            && open.as_ref().is_none_or(|o| {
                o.phase.member != pre.member
                    && !o.conts.iter().any(|c| touches(&c.chunks, pre.member))
            });
        let phase = Chunk::Phase(Phase {
            member: pre.member,
            first: false,
            items: Vec::new(),
            snapshots: vec![entry],
        });
        if movable && untouched {
            // Nothing in this sequence touched that lock yet: its value at the start is the value
            // the statement reads, and reading it first keeps the other phases together.
            out.insert(0, phase);
            return;
        }
        close(out, open, neutral);
        out.push(phase);
    }

    /// Whether `piece` (a statement under `member`'s lock that reads no other guard, defers
    /// nothing and awaits nothing) can move back into that lock's last phase, ahead of everything
    /// that came after it: each of those must commute with it.
    fn can_move_back(
        &self,
        piece: &Piece,
        member: usize,
        out: &[Chunk],
        open: &Option<Open>,
        neutral: &[Piece],
    ) -> Option<usize> {
        if piece.is_tail || !self.quiet_except(piece, Some(member)) {
            return None;
        }
        let target = out
            .iter()
            .rposition(|c| matches!(c, Chunk::Phase(p) if p.member == member))?;
        let Chunk::Phase(phase) = &out[target] else {
            return None;
        };
        // Snapshots are read at the end of the phase: a statement appended after them would change
        // what they read.
        if !phase.snapshots.is_empty() {
            return None;
        }
        let mut between: Vec<(&Piece, Option<usize>)> = Vec::new();
        for chunk in &out[target + 1..] {
            match chunk {
                Chunk::Phase(p) => between.extend(p.items.iter().map(|i| (i, Some(p.member)))),
                Chunk::Plain(p) => between.push((p, None)),
                Chunk::Slots(_) | Chunk::Cont(_) => return None,
            }
        }
        if let Some(o) = open {
            if !o.conts.is_empty() {
                return None;
            }
            between.extend(o.phase.items.iter().map(|i| (i, Some(o.phase.member))));
        }
        between.extend(neutral.iter().map(|p| (p, None)));
        between
            .iter()
            .all(|(other, other_member)| {
                self.quiet_except(other, *other_member) && self.independent(piece, other)
            })
            .then_some(target)
    }

    /// No await or spawn, and no call other than known reads and calls on `member`'s guard.
    fn quiet_except(&self, piece: &Piece, member: Option<usize>) -> bool {
        if self.effect_in(piece.range, &piece.edits).is_some() {
            return false;
        }
        let guard_uses: &[TextRange] = member.map_or(&[], |m| &self.members[m].uses);
        piece
            .node
            .descendants()
            .filter(|n| !edited(&piece.edits, n.text_range()))
            .all(|n| {
                if let Some(call) = ast::MethodCallExpr::cast(n.clone()) {
                    let reads = call.name_ref().is_some_and(|name| {
                        READ_METHODS.contains(&name.text().to_string().as_str())
                    });
                    return reads || call.receiver().is_some_and(|r| rooted_in(&r, guard_uses));
                }
                quiet_call_or_other(&n)
            })
    }

    /// `a` can run before `b` (which came first) without either seeing a different value: `b`
    /// mentions nothing `a` declares, and the locals both mention are immutable bindings declared
    /// outside both.
    fn independent(&self, a: &Piece, b: &Piece) -> bool {
        let names_a = candidate_names(&a.node);
        let names_b = candidate_names(&b.node);
        if declared_names(&a.node).iter().any(|n| names_b.contains(n)) {
            return false;
        }
        names_a.iter().filter(|n| names_b.contains(n)).all(|name| {
            if self.members.iter().any(|m| &m.name == name) {
                return true;
            }
            match self.declaration(name, &a.node) {
                // A function, a type, a constant: nothing either statement can change.
                None => !self.is_local(name),
                Some(decl) => {
                    let range = decl.text_range();
                    let immutable = ast::IdentPat::cast(decl.clone())
                        .is_some_and(|p| p.mut_token().is_none() && p.ref_token().is_none());
                    immutable && !a.range.contains_range(range) && !b.range.contains_range(range)
                }
            }
        })
    }

    fn is_local(&self, name: &str) -> bool {
        self.list
            .syntax()
            .ancestors()
            .find(syntax::is_body)
            .is_some_and(|body| {
                body.descendants()
                    .filter_map(ast::IdentPat::cast)
                    .any(|p| syntax::ident_name(&p) == name)
            })
    }

    /// A statement with no await, spawn or call beyond a short list of reads: it can run before or
    /// after deferred steps without anyone noticing.
    fn is_quiet(&self, range: TextRange, edits: &[Edit]) -> bool {
        if self.effect_in(range, edits).is_some() {
            return false;
        }
        let node = super::release::node_at(self.file, range);
        node.descendants()
            .filter(|n| range.contains_range(n.text_range()) && !edited(edits, n.text_range()))
            .all(|n| {
                if let Some(call) = ast::MethodCallExpr::cast(n.clone()) {
                    return call.name_ref().is_some_and(|name| {
                        READ_METHODS.contains(&name.text().to_string().as_str())
                    });
                }
                quiet_call_or_other(&n)
            })
    }
}

fn close(out: &mut Vec<Chunk>, open: &mut Option<Open>, neutral: &mut Vec<Piece>) {
    if let Some(o) = open.take() {
        if !o.slot_decls.is_empty() {
            out.push(Chunk::Slots(o.slot_decls));
        }
        out.push(Chunk::Phase(o.phase));
        out.extend(o.conts.into_iter().map(Chunk::Cont));
    }
    out.extend(neutral.drain(..).map(Chunk::Plain));
}

/// Whether `expr` is a place or call chain built on one of the guard mentions `uses`
/// (`g.log.push(..)` is rooted in `g`).
fn rooted_in(expr: &ast::Expr, uses: &[TextRange]) -> bool {
    let mut current = expr.clone();
    loop {
        current = match &current {
            ast::Expr::MethodCallExpr(m) => match m.receiver() {
                Some(r) => r,
                None => return false,
            },
            ast::Expr::FieldExpr(f) => match f.expr() {
                Some(e) => e,
                None => return false,
            },
            ast::Expr::IndexExpr(i) => match i.base() {
                Some(e) => e,
                None => return false,
            },
            ast::Expr::ParenExpr(p) => match p.expr() {
                Some(e) => e,
                None => return false,
            },
            ast::Expr::PrefixExpr(p) => match p.expr() {
                Some(e) => e,
                None => return false,
            },
            ast::Expr::PathExpr(p) => return uses.contains(&p.syntax().text_range()),
            _ => return false,
        }
    }
}

/// The last chunk that takes member `m`'s lock, if no chunk after it does.
fn last_touching(out: &mut [Chunk], m: usize) -> Option<&mut Chunk> {
    let position = out.iter().rposition(|c| match c {
        Chunk::Phase(p) => p.member == m,
        Chunk::Cont(cont) => touches(&cont.chunks, m),
        _ => false,
    })?;
    match &out[position] {
        Chunk::Phase(_) => Some(&mut out[position]),
        _ => None,
    }
}

fn touches(chunks: &[Chunk], m: usize) -> bool {
    chunks.iter().any(|c| match c {
        Chunk::Phase(p) => p.member == m,
        Chunk::Cont(cont) => touches(&cont.chunks, m),
        _ => false,
    })
}

/// For a node that is not a method call: a path call only to a constructor or clock read, a macro
/// only if it is quiet, anything else (not a call) is quiet.
fn quiet_call_or_other(n: &SyntaxNode) -> bool {
    if let Some(call) = ast::CallExpr::cast(n.clone()) {
        let callee = call
            .expr()
            .map(|e| syntax::compact_text(e.syntax()))
            .unwrap_or_default();
        return matches!(
            callee.as_str(),
            "Some" | "Ok" | "Err" | "Instant::now" | "String::from" | "Box::new"
        ) || callee.starts_with("Duration::from_");
    }
    if let Some(mac) = ast::MacroCall::cast(n.clone()) {
        return is_quiet_macro(&mac);
    }
    true
}
