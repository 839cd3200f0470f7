//! Phase split (seed 004): a function that holds several guards together is rewritten so that
//! each lock is held in a scope of its own, one after the other, and events run after every lock
//! is released.
//!
//! ```text
//! let mut state = self.state.lock().await;     {
//! let mut metrics = self.metrics.lock().await;     let mut metrics = self.metrics.lock().await;
//! metrics.calls += 1;                              metrics.calls += 1;
//! let next = match &*state {                   }
//!     Closed { fails } if *fails >= 9 => {     let mut circuit_opened = false;
//!         metrics.trips += 1;             =>   {
//!         let trips = metrics.trips;               let mut state = self.state.lock().await;
//!         self.emit(trips).await;                  let next = match &*state {
//!         Open                                         Closed { fails } if *fails >= 9 => {
//!     }                                                    circuit_opened = true;
//!     other => other.clone(),                              Open
//! };                                                   }
//! *state = next;                                       other => other.clone(),
//!                                                  };
//!                                                  *state = next;
//!                                              }
//!                                              if circuit_opened {
//!                                                  let trips = {
//!                                                      let mut metrics = self.metrics.lock().await;
//!                                                      metrics.trips += 1;
//!                                                      metrics.trips
//!                                                  };
//!                                                  self.emit(trips).await;
//!                                              }
//! ```
//!
//! The statements after the guards are taken in order and grouped into phases: a run of
//! statements that use one guard becomes a scoped block that takes that lock and returns what
//! later phases need; statements that use no guard stay outside every lock. A statement that
//! reads a second guard gets the value read in the phase of that guard (a snapshot; a lock that
//! nothing has touched yet is read first). Inside a statement that needs one lock (the state
//! machine), the steps that need another lock or emit an event are deferred: they are replaced by
//! a flag (with the values they need), and run after the phase in a block of their own, which
//! takes the other lock again briefly (a re-lock phase) and emits with no lock held. A statement
//! may also move back into its lock's previous phase when it commutes with everything in between.
//! Nothing else is reordered, and the rewrite refuses (with the reason) when the order cannot be
//! kept for a caller that runs alone.
//!
//! The two updates are no longer atomic together: another task can see the metrics updated and
//! the state not yet. That is why the fix is always unsafe.

use std::collections::HashSet;

use ra_ap_syntax::{
    AstNode, AstToken, NodeOrToken, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasArgList, HasLoopBody},
};

use super::naming::suggest_name;
use super::ownership::{Ownership, ownership};
use crate::analysis::{Holder, LockScopes, syntax};
use crate::model::TextEdit;

/// The rewrite, and what it did (for the fix's title).
#[derive(Debug, Clone)]
pub struct PhaseSplit {
    pub edit: TextEdit,
    /// Scoped blocks that take a lock, re-locks included.
    pub phases: usize,
    /// Phases that take a lock a second (third…) time.
    pub relocks: usize,
    /// Deferred steps: flags set under one lock and acted on after it.
    pub deferred: usize,
}

/// Methods that read their receiver without changing it: a guard used only through them is read.
pub(crate) const READ_METHODS: &[&str] = &[
    "len",
    "is_empty",
    "get",
    "contains",
    "contains_key",
    "iter",
    "keys",
    "values",
    "first",
    "last",
    "clone",
    "cloned",
    "copied",
    "to_string",
    "to_owned",
    "to_vec",
    "as_str",
    "as_ref",
    "as_slice",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "elapsed",
    "as_millis",
    "as_micros",
    "as_secs",
    "as_secs_f64",
    "as_secs_f32",
    "count",
    "starts_with",
    "ends_with",
    "capacity",
];

/// Calls that spawn work which runs on its own: they are events, like awaits.
const SPAWNS: &[&str] = &["spawn", "spawn_blocking", "spawn_local"];

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

/// Whether `node` (in the same body as the guards) is a spawn: `tokio::spawn(..)`,
/// `rt.spawn(..)`, `thread::spawn(..)`, `set.spawn_blocking(..)`.
pub fn is_spawn(node: &SyntaxNode) -> bool {
    if let Some(call) = ast::CallExpr::cast(node.clone()) {
        let callee = call
            .expr()
            .map(|e| syntax::compact_text(e.syntax()))
            .unwrap_or_default();
        let last = callee.rsplit("::").next().unwrap_or_default();
        let last = last.split('<').next().unwrap_or_default();
        return SPAWNS.contains(&last);
    }
    if let Some(call) = ast::MethodCallExpr::cast(node.clone()) {
        return call
            .name_ref()
            .is_some_and(|n| SPAWNS.contains(&n.text().to_string().as_str()))
            && call.arg_list().is_some_and(|a| a.args().next().is_some());
    }
    false
}

/// Split the function around the guards `cluster` (indices into `scopes.guards`, bound by `let`s
/// of one block) into phases. `Err` says, in a sentence, why there is no rewrite.
pub fn phase_split(
    text: &str,
    file: &SyntaxNode,
    scopes: &LockScopes,
    cluster: &[usize],
) -> Result<PhaseSplit, String> {
    let splitter = Splitter::new(text, file, scopes, cluster)?;
    split(splitter)
}

/// Split around one guard, closing its phase at each of the `work` ranges (blocking calls that
/// must run unlocked): the statements holding them run with no lock held, and the guard's uses
/// after them take the lock again (relock split). The statements holding `work` must not use the
/// guard; the caller checks that.
pub(crate) fn phase_split_around(
    text: &str,
    file: &SyntaxNode,
    scopes: &LockScopes,
    guard: usize,
    work: &[TextRange],
) -> Result<PhaseSplit, String> {
    let mut splitter = Splitter::new(text, file, scopes, &[guard])?;
    splitter.barriers = work.to_vec();
    split(splitter)
}

fn split(mut splitter: Splitter<'_>) -> Result<PhaseSplit, String> {
    let text = splitter.text;
    let list = splitter.list.clone();
    let items = syntax::block_items(&list);
    let first = splitter.members.iter().map(|m| m.index).min().unwrap_or(0);
    let mut pieces = Vec::new();
    for (i, item) in items.iter().enumerate().skip(first) {
        if splitter.members.iter().any(|m| m.index == i) {
            continue;
        }
        if ast::Item::can_cast(item.kind()) {
            // An item is visible in its whole block: inside a phase it would be hidden from the rest.
            return Err(
                "an item (`fn`, `use`, `struct`…) is declared among the statements; split the function by hand"
                    .to_string(),
            );
        }
        let mut piece = splitter.piece(item);
        piece.is_tail = list.tail_expr().is_some_and(|t| t.syntax() == item);
        pieces.push(piece);
    }
    if pieces.is_empty() {
        return Err("nothing follows the guards".to_string());
    }
    let scope = TextRange::new(pieces[0].range.start(), list.syntax().text_range().end());
    let mut chunks = splitter.split_sequence(pieces, 0, scope)?;
    if !chunks.iter().any(|c| matches!(c, Chunk::Phase(_))) {
        return Err("no statement after the guards uses them".to_string());
    }
    mark_first_phases(&mut chunks, &mut Vec::new());
    let first_stmt = splitter.members[0].stmt.syntax().clone();
    let start = first_stmt.text_range().start();
    let indent = syntax::line_indent(text, usize::from(start)).to_string();
    let replacement = splitter.render_chunks(&chunks, &indent, false)?;
    let last = items.last().cloned().unwrap_or(first_stmt);
    let end = comment_end(text, &last);
    let phases = count_phases(&chunks);
    Ok(PhaseSplit {
        edit: TextEdit {
            range: usize::from(start)..end,
            replacement,
        },
        phases,
        relocks: splitter.relocks(&chunks),
        deferred: splitter.deferred,
    })
}

fn mark_first_phases(chunks: &mut [Chunk], seen: &mut Vec<usize>) {
    for chunk in chunks {
        match chunk {
            Chunk::Phase(p) if !seen.contains(&p.member) => {
                p.first = true;
                seen.push(p.member);
            }
            Chunk::Cont(cont) => mark_first_phases(&mut cont.chunks, seen),
            _ => {}
        }
    }
}

fn count_phases(chunks: &[Chunk]) -> usize {
    chunks
        .iter()
        .map(|c| match c {
            Chunk::Phase(_) => 1,
            Chunk::Cont(cont) => count_phases(&cont.chunks),
            _ => 0,
        })
        .sum()
}

/// A replacement inside a piece.
#[derive(Debug, Clone)]
struct Edit {
    range: TextRange,
    text: String,
}

/// A statement (or the block's tail) as it will be written: its text with edits.
#[derive(Debug, Clone)]
struct Piece {
    node: SyntaxNode,
    /// The node with the comment lines directly above it and a comment after it on its line.
    range: TextRange,
    /// A blank line separated it from what came before.
    blank_before: bool,
    edits: Vec<Edit>,
    /// The block's tail expression: its value is the block's value.
    is_tail: bool,
}

/// One guard of the split.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    stmt: ast::LetStmt,
    pat: ast::IdentPat,
    index: usize,
    uses: Vec<TextRange>,
}

#[derive(Debug, Clone)]
enum Chunk {
    /// A statement that runs with no lock held.
    Plain(Piece),
    Phase(Phase),
    /// `let mut flag = false;` / `let mut flag = None;` for the deferred steps of the next phase.
    Slots(Vec<String>),
    /// `if flag { … }`: deferred steps, split into phases again.
    Cont(Cont),
}

#[derive(Debug, Clone)]
struct Phase {
    member: usize,
    /// The first phase of this lock: the guard's `let` keeps its trailing comment here.
    first: bool,
    items: Vec<Piece>,
    /// Values read under this lock for later phases: `(name, expression)`.
    snapshots: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct Cont {
    flag: String,
    /// `(pattern, value)`: what the deferred steps need from the moment they were deferred.
    captures: Vec<(String, String)>,
    chunks: Vec<Chunk>,
}

/// A value of another guard that a statement reads, computed in that guard's phase.
#[derive(Debug, Clone)]
struct Pre {
    member: usize,
    name: String,
    expr: String,
    /// Locals the expression mentions besides the guard: with none, it can be computed in any
    /// earlier phase of that lock.
    names: Vec<String>,
}

/// A statement after the split of its inside, with what must run before and after it.
#[derive(Debug)]
struct ItemPlan {
    piece: Piece,
    pre: Vec<Pre>,
    conts: Vec<Cont>,
    slot_decls: Vec<String>,
    /// The statement still awaits or spawns where it stands.
    kept_effect: bool,
}

/// A phase being filled.
struct Open {
    phase: Phase,
    conts: Vec<Cont>,
    slot_decls: Vec<String>,
}

/// How a guard is used at one mention.
#[derive(Debug, Clone)]
enum Access {
    /// A read; `owned` when the value read can leave the lock scope (a copy, a length, a clone).
    Read { expr: ast::Expr, owned: bool },
    /// A write, a call that may write, or a use the syntax cannot tell.
    Write,
}

struct Splitter<'a> {
    text: &'a str,
    file: &'a SyntaxNode,
    list: ast::StmtList,
    members: Vec<Member>,
    /// Acquisitions of other locks: none may happen inside a phase.
    other_locks: Vec<(TextRange, String)>,
    awaits: Vec<TextRange>,
    spawns: Vec<TextRange>,
    /// Work that must run with no lock held (a relock split's blocking calls): like an await or a
    /// spawn, it ends the phase open before it and nothing moves back across it.
    barriers: Vec<TextRange>,
    taken: HashSet<String>,
    unit: String,
    eol: &'static str,
    strings: Vec<TextRange>,
    deferred: usize,
}

impl<'a> Splitter<'a> {
    fn new(
        text: &'a str,
        file: &'a SyntaxNode,
        scopes: &LockScopes,
        cluster: &[usize],
    ) -> Result<Self, String> {
        let mut members = Vec::new();
        let mut list: Option<ast::StmtList> = None;
        for &g in cluster {
            let guard = &scopes.guards[g];
            let name = guard.name().unwrap_or_default();
            let Holder::Let {
                stmt,
                pat,
                list: guard_list,
                index,
            } = &guard.holder
            else {
                return Err(format!(
                    "`{}` is not bound by a `let` of its own; split the function by hand",
                    guard.lock_path
                ));
            };
            if stmt.let_else().is_some() || !matches!(stmt.pat(), Some(ast::Pat::IdentPat(_))) {
                return Err(format!(
                    "`{name}` is bound by a pattern with an `else` branch; split the function by hand"
                ));
            }
            match &list {
                Some(l) if l.syntax() != guard_list.syntax() => {
                    return Err(
                        "the guards are taken in different blocks; split the function by hand"
                            .to_string(),
                    );
                }
                _ => list = Some(guard_list.clone()),
            }
            let direct_drops = guard
                .drops
                .iter()
                .all(|d| d.syntax().parent().as_ref() == Some(guard_list.syntax()));
            if !direct_drops {
                return Err(format!(
                    "`{name}` is dropped inside a nested block; split the function by hand"
                ));
            }
            members.push(Member {
                name,
                stmt: stmt.clone(),
                pat: pat.clone(),
                index: *index,
                uses: guard.uses(file),
            });
        }
        members.sort_by_key(|m| m.index);
        let list = list.ok_or_else(|| "no guards".to_string())?;
        let items = syntax::block_items(&list);
        let first_index = members.first().map_or(0, |m| m.index);
        for m in &members {
            // Each phase takes the lock again with the same `let`: what it names must exist
            // before the first guard.
            let init = m.stmt.initializer().map(|i| i.syntax().clone());
            let names = init.as_ref().map(syntax::identifiers).unwrap_or_default();
            let declared_since: Vec<String> = items[first_index..m.index]
                .iter()
                .flat_map(declared_names)
                .collect();
            if let Some(other) = members.iter().find(|o| names.contains(&o.name)) {
                return Err(format!(
                    "`{}` is taken through `{}`; split the function by hand",
                    m.name, other.name
                ));
            }
            if let Some(name) = names.iter().find(|n| declared_since.contains(n)) {
                return Err(format!(
                    "`{}` is taken with `{name}`, computed while the first lock is held; split the function by hand",
                    m.name
                ));
            }
            // A guard handed over whole (`notify(guard)`, `Condvar::wait(guard)`) is released by
            // the callee, on its own terms.
            let handed = m.uses.iter().any(|u| {
                let node = super::release::node_at(file, *u);
                let path = node.ancestors().find(|a| a.kind() == SyntaxKind::PATH_EXPR);
                let argument = path
                    .as_ref()
                    .and_then(|p| p.parent())
                    .is_some_and(|p| p.kind() == SyntaxKind::ARG_LIST);
                let call = path
                    .as_ref()
                    .and_then(|p| p.parent())
                    .and_then(|p| p.parent())
                    .and_then(ast::CallExpr::cast);
                let is_top_drop = call.as_ref().is_some_and(|c| {
                    c.syntax()
                        .parent()
                        .and_then(ast::ExprStmt::cast)
                        .is_some_and(|s| s.syntax().parent().as_ref() == Some(list.syntax()))
                        && c.expr().is_some_and(|e| {
                            matches!(
                                syntax::compact_text(e.syntax()).as_str(),
                                "drop" | "mem::drop" | "std::mem::drop"
                            )
                        })
                });
                argument && !is_top_drop
            });
            if handed {
                return Err(format!(
                    "`{}` itself is handed to a function, which decides when it is released; split the function by hand",
                    m.name
                ));
            }
        }
        let names: HashSet<&str> = members.iter().map(|m| m.name.as_str()).collect();
        if names.len() != members.len() {
            return Err("two guards share a name; split the function by hand".to_string());
        }
        let body = syntax::enclosing_body(list.syntax()).ok_or_else(|| "no body".to_string())?;
        let member_calls: Vec<TextRange> = cluster
            .iter()
            .map(|&g| scopes.guards[g].call.syntax().text_range())
            .collect();
        let other_locks = scopes
            .guards
            .iter()
            .filter(|g| !member_calls.contains(&g.call.syntax().text_range()))
            .map(|g| (g.call.syntax().text_range(), g.lock_path.clone()))
            .collect();
        let member_awaits: Vec<TextRange> = members
            .iter()
            .filter_map(|m| m.stmt.initializer())
            .map(|i| i.syntax().text_range())
            .collect();
        let awaits = body
            .descendants()
            .filter(|n| n.kind() == SyntaxKind::AWAIT_EXPR)
            .filter(|n| syntax::enclosing_body(n).as_ref() == Some(&body))
            .map(|n| n.text_range())
            .filter(|r| !member_awaits.iter().any(|m| m.contains_range(*r)))
            .collect();
        let spawns = body
            .descendants()
            .filter(|n| syntax::enclosing_body(n).as_ref() == Some(&body) && is_spawn(n))
            .map(|n| n.text_range())
            .collect();
        let unit = syntax::indent_unit(text, &list);
        Ok(Splitter {
            text,
            file,
            list: list.clone(),
            members,
            other_locks,
            awaits,
            spawns,
            barriers: Vec::new(),
            // Names of this function only: a field or another function's local may be reused.
            taken: syntax::identifiers(&body),
            unit,
            eol: syntax::eol(text),
            strings: syntax::multiline_string_ranges(file),
            deferred: 0,
        })
    }

    fn fresh(&mut self, base: &str) -> String {
        let name = syntax::fresh_name(base, &self.taken);
        self.taken.insert(name.clone());
        name
    }

    // ---------------------------------------------------------------------------------------
    // Pieces and what they touch

    fn piece(&self, node: &SyntaxNode) -> Piece {
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
    fn sub_piece(&self, node: &SyntaxNode, edits: &[Edit]) -> Piece {
        let mut piece = self.piece(node);
        piece.edits = edits
            .iter()
            .filter(|e| piece.range.contains_range(e.range))
            .cloned()
            .collect();
        piece
    }

    /// Mentions of member `m` inside `range`, not inside text already replaced.
    fn mentions(&self, m: usize, range: TextRange, edits: &[Edit]) -> Vec<TextRange> {
        self.members[m]
            .uses
            .iter()
            .copied()
            .filter(|u| range.contains_range(*u) && !edited(edits, *u))
            .collect()
    }

    fn touched(&self, range: TextRange, edits: &[Edit]) -> Vec<usize> {
        (0..self.members.len())
            .filter(|&m| !self.mentions(m, range, edits).is_empty())
            .collect()
    }

    /// An await or a spawn inside `range`, outside replaced text.
    fn effect_in(&self, range: TextRange, edits: &[Edit]) -> Option<TextRange> {
        self.awaits
            .iter()
            .chain(self.spawns.iter())
            .chain(self.barriers.iter())
            .copied()
            .filter(|r| range.contains_range(*r) && !edited(edits, *r))
            .min_by_key(|r| r.start())
    }

    fn other_lock_in(&self, range: TextRange, edits: &[Edit]) -> Option<&str> {
        self.other_locks
            .iter()
            .find(|(r, _)| range.contains_range(*r) && !edited(edits, *r))
            .map(|(_, path)| path.as_str())
    }

    /// How member `m` is used at `mention`.
    fn access(&self, m: usize, mention: TextRange) -> Access {
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
    fn all_owned_reads(&self, m: usize, range: TextRange, edits: &[Edit]) -> bool {
        self.mentions(m, range, edits)
            .into_iter()
            .all(|u| matches!(self.access(m, u), Access::Read { owned: true, .. }))
    }

    fn writes(&self, m: usize, range: TextRange, edits: &[Edit]) -> bool {
        self.mentions(m, range, edits)
            .into_iter()
            .any(|u| matches!(self.access(m, u), Access::Write))
    }

    // ---------------------------------------------------------------------------------------
    // The sequence of statements

    /// Group `pieces` (in order) into phases.
    fn split_sequence(
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

    // ---------------------------------------------------------------------------------------
    // Inside one statement

    fn split_item(
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

    fn cannot_move(&self, m: usize, mention: TextRange, primary: Option<usize>) -> String {
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

    /// Replace the read `expr` of member `m` by a snapshot taken in `m`'s phase before the
    /// statement. `let name = <read>;` gives its name to the snapshot and goes away.
    fn snapshot(&mut self, walk: &mut Walk, m: usize, expr: &ast::Expr) -> Result<(), String> {
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

    /// Close a run of deferred statements: they move into a continuation that runs after the
    /// phase, and a flag set here (with the values they need) says whether to run it.
    fn close_run(
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
        let flag = self.flag_name(&stmts);
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
    fn check_deferred_bindings(&self, walk: &Walk, piece: &Piece) -> Result<(), String> {
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

    /// The declaration (`IdentPat` or parameter) that `name` refers to at `at`.
    fn declaration(&self, name: &str, at: &SyntaxNode) -> Option<SyntaxNode> {
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
    /// passes (`"circuit_breaker_opened"`), else `deferred`.
    fn flag_name(&mut self, stmts: &[SyntaxNode]) -> String {
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
        let base = base.unwrap_or_else(|| "deferred".to_string());
        self.fresh(&base)
    }

    // ---------------------------------------------------------------------------------------
    // Writing it out

    fn relocks(&self, chunks: &[Chunk]) -> usize {
        fn walk(chunks: &[Chunk], seen: &mut Vec<usize>, count: &mut usize) {
            for c in chunks {
                match c {
                    Chunk::Phase(p) => {
                        if seen.contains(&p.member) {
                            *count += 1;
                        } else {
                            seen.push(p.member);
                        }
                    }
                    Chunk::Cont(cont) => walk(&cont.chunks, seen, count),
                    _ => {}
                }
            }
        }
        let mut seen = Vec::new();
        let mut count = 0;
        walk(chunks, &mut seen, &mut count);
        count
    }

    /// The chunks as code at `indent` (the first line without it). Each phase returns the
    /// values declared in it that the code after it (in this block) uses.
    /// `inline_last`: the chunks end a block of their own (a deferred block), so a last phase
    /// that returns nothing needs no braces of its own.
    fn render_chunks(
        &mut self,
        chunks: &[Chunk],
        indent: &str,
        inline_last: bool,
    ) -> Result<String, String> {
        let mut rendered: Vec<String> = vec![String::new(); chunks.len()];
        for i in (0..chunks.len()).rev() {
            let after = rendered[i + 1..].join(self.eol);
            rendered[i] = match &chunks[i] {
                Chunk::Plain(piece) => self.render_piece(piece, indent),
                Chunk::Slots(decls) => decls.join(&format!("{}{indent}", self.eol)),
                Chunk::Phase(phase) => {
                    let inline = inline_last && i + 1 == chunks.len();
                    self.render_phase(phase, indent, &after, inline)?
                }
                Chunk::Cont(cont) => {
                    let inner = format!("{indent}{}", self.unit);
                    let body = self.render_chunks(&cont.chunks, &inner, true)?;
                    let head = match cont.captures.len() {
                        0 => format!("if {} {{", cont.flag),
                        1 => format!("if let Some({}) = {} {{", cont.captures[0].0, cont.flag),
                        _ => format!(
                            "if let Some(({})) = {} {{",
                            cont.captures
                                .iter()
                                .map(|c| c.0.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            cont.flag
                        ),
                    };
                    format!("{head}{eol}{inner}{body}{eol}{indent}}}", eol = self.eol)
                }
            };
        }
        let mut out = String::new();
        for (i, chunk) in chunks.iter().enumerate() {
            if i > 0 {
                let previous = &chunks[i - 1];
                // Lock scopes and deferred blocks stand apart; statements keep their spacing.
                let blank = match (previous, chunk) {
                    (Chunk::Slots(_), _) => false,
                    (_, Chunk::Plain(p)) => p.blank_before,
                    _ => true,
                };
                out.push_str(self.eol);
                if blank {
                    out.push_str(self.eol);
                }
                out.push_str(indent);
            }
            out.push_str(&rendered[i]);
        }
        Ok(out)
    }

    fn render_piece(&self, piece: &Piece, indent: &str) -> String {
        self.render(piece.range, &piece.edits, indent)
    }

    /// `range` with `edits`, its lines after the first moved from the indentation of its first
    /// line to `to`; lines inside multi-line string literals are left as they are.
    fn render(&self, range: TextRange, edits: &[Edit], to: &str) -> String {
        let from = syntax::line_indent(self.text, usize::from(range.start()));
        let (raw, protected) = apply_lines(self.text, range, edits, &self.strings);
        reindent(&raw, &protected, from, to)
    }

    fn render_phase(
        &mut self,
        phase: &Phase,
        indent: &str,
        after: &str,
        inline: bool,
    ) -> Result<String, String> {
        let member = &self.members[phase.member];
        let eol = self.eol;
        // Exports: bindings of the phase's statements that the code after it mentions.
        let mut tainted = vec![member.name.clone()];
        let mut exports: Vec<(String, String)> = Vec::new();
        let mut last_let: Option<(String, String)> = None;
        for (k, piece) in phase.items.iter().enumerate() {
            last_let = None;
            let Some(stmt) = ast::LetStmt::cast(piece.node.clone()) else {
                continue;
            };
            let Some(pat) = stmt.pat() else { continue };
            let init = stmt.initializer();
            let init_tainted = init.as_ref().is_some_and(|e| {
                tainted.iter().any(|t| {
                    syntax::mentions(self.file, e.syntax().text_range(), t)
                        .into_iter()
                        .any(|r| !edited(&piece.edits, r))
                })
            });
            for binding in syntax::pattern_bindings(&pat) {
                let name = syntax::ident_name(&binding);
                if init_tainted {
                    tainted.push(name.clone());
                }
                if !mentioned_in(after, &name) {
                    continue;
                }
                if binding.ref_token().is_some() {
                    return Err(format!(
                        "`{name}` is bound by reference; split the function by hand"
                    ));
                }
                let owned = !init_tainted
                    || matches!(pat, ast::Pat::IdentPat(_))
                        && init
                            .as_ref()
                            .is_some_and(|i| ownership(i, &tainted, self.file) == Ownership::Owned);
                if !owned {
                    return Err(format!(
                        "`{name}` may borrow from `{}` and is needed after its phase; split the function by hand",
                        member.name
                    ));
                }
                let pattern = if binding.mut_token().is_some() {
                    format!("mut {name}")
                } else {
                    name.clone()
                };
                exports.retain(|e| e.1 != name);
                exports.push((pattern, name.clone()));
                let simple = k + 1 == phase.items.len()
                    && stmt.let_else().is_none()
                    && matches!(&pat, ast::Pat::IdentPat(p) if p.syntax() == binding.syntax());
                if simple {
                    last_let = init.as_ref().map(|i| {
                        (
                            name.clone(),
                            apply(self.text, i.syntax().text_range(), &piece.edits),
                        )
                    });
                }
            }
        }
        for (name, expr) in &phase.snapshots {
            exports.push((name.clone(), expr.clone()));
        }
        let has_tail = phase.items.last().is_some_and(|p| p.is_tail);
        let inline = inline && exports.is_empty() && !has_tail;
        let inner = if inline {
            indent.to_string()
        } else {
            format!("{indent}{}", self.unit)
        };
        // The guard, `mut` only when something in the phase writes through it.
        let writes = phase
            .items
            .iter()
            .any(|p| self.writes(phase.member, p.range, &p.edits));
        let mut guard_edits = Vec::new();
        if !writes && let Some(mut_token) = member.pat.mut_token() {
            let start = mut_token.text_range().start();
            let mut end = mut_token.text_range().end();
            while self.text[usize::from(end)..].starts_with([' ', '\t']) {
                end += TextSize::from(1);
            }
            guard_edits.push(Edit {
                range: TextRange::new(start, end),
                text: String::new(),
            });
        }
        let mut guard_range = member.stmt.syntax().text_range();
        if phase.first {
            // The guard's comments go with its first phase (the first guard's comments above it
            // stay where they are, outside the rewritten code).
            let end = comment_end(self.text, member.stmt.syntax());
            let start = if phase.member == 0 {
                guard_range.start()
            } else {
                leading_comments(member.stmt.syntax()).0
            };
            guard_range = TextRange::new(start, TextSize::from(end as u32));
        }
        let guard_line = self.render(guard_range, &guard_edits, &inner);
        let mut lines = vec![format!("{inner}{guard_line}")];
        let single_tail_let =
            exports.len() == 1 && phase.snapshots.is_empty() && last_let.is_some();
        let has_tail = phase.items.last().is_some_and(|p| p.is_tail);
        for (k, piece) in phase.items.iter().enumerate() {
            let is_last = k + 1 == phase.items.len();
            if is_last
                && single_tail_let
                && let Some(stmt) = ast::LetStmt::cast(piece.node.clone())
            {
                // `let x = { …; value };`: the last `let` becomes the block's value.
                let init = stmt.initializer().expect("checked above");
                let head = TextRange::new(piece.range.start(), stmt.syntax().text_range().start());
                if piece.blank_before {
                    lines.push(String::new());
                }
                let leading = self.render(head, &piece.edits, &inner);
                if !leading.trim().is_empty() {
                    lines.push(format!("{inner}{}", leading.trim_end()));
                }
                let mut value = self.render(init.syntax().text_range(), &piece.edits, &inner);
                // A comment after the `let` stays on its line.
                let trailing = TextRange::new(stmt.syntax().text_range().end(), piece.range.end());
                value.push_str(self.text[syntax::to_range(trailing)].trim_end());
                lines.push(format!("{inner}{value}"));
                continue;
            }
            if piece.blank_before {
                lines.push(String::new());
            }
            lines.push(format!("{inner}{}", self.render_piece(piece, &inner)));
        }
        let block_body = lines.join(eol);
        if inline {
            return Ok(block_body[inner.len()..].to_string());
        }
        if has_tail {
            if !exports.is_empty() {
                return Err(
                    "the block's value is computed under a lock that other code needs; split the function by hand"
                        .to_string(),
                );
            }
            return Ok(format!("{{{eol}{block_body}{eol}{indent}}}"));
        }
        Ok(match exports.len() {
            0 => format!("{{{eol}{block_body}{eol}{indent}}}"),
            1 if single_tail_let => {
                let ty = phase
                    .items
                    .last()
                    .and_then(|p| ast::LetStmt::cast(p.node.clone()))
                    .and_then(|s| s.ty())
                    .map(|t| format!(": {}", t.syntax().text()))
                    .unwrap_or_default();
                format!(
                    "let {}{ty} = {{{eol}{block_body}{eol}{indent}}};",
                    exports[0].0
                )
            }
            1 => format!(
                "let {} = {{{eol}{block_body}{eol}{inner}{}{eol}{indent}}};",
                exports[0].0, exports[0].1
            ),
            _ => format!(
                "let ({}) = {{{eol}{block_body}{eol}{inner}({}){eol}{indent}}};",
                exports
                    .iter()
                    .map(|e| e.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                exports
                    .iter()
                    .map(|e| e.1.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
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

/// State of the walk through one statement.
struct Walk {
    primary: Option<usize>,
    edits: Vec<Edit>,
    pre: Vec<Pre>,
    slots: Vec<Slot>,
    /// Guards used by deferred steps so far: a later read of them cannot be snapshotted earlier.
    deferred_members: HashSet<usize>,
    deferred_ranges: Vec<TextRange>,
    kept_effect: bool,
    piece_range: TextRange,
    /// The statement itself (without its comments).
    node_range: TextRange,
    /// Where a value computed before the statement would be visible: the rest of its block.
    scope: TextRange,
}

struct Slot {
    flag: String,
    captures: Vec<(String, String)>,
    pieces: Vec<Piece>,
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

fn edited(edits: &[Edit], range: TextRange) -> bool {
    edits
        .iter()
        .any(|e| e.range.contains_range(range) && !e.range.is_empty())
}

/// Add an edit, absorbing the edits it covers; an edit that cuts one in half is a bug.
fn replace(edits: &mut Vec<Edit>, range: TextRange, text: String) -> Result<(), String> {
    if edits.iter().any(|e| {
        e.range.intersect(range).is_some_and(|i| !i.is_empty())
            && !range.contains_range(e.range)
            && !e.range.contains_range(range)
    }) {
        return Err("overlapping rewrites; split the function by hand".to_string());
    }
    edits.retain(|e| !range.contains_range(e.range));
    edits.push(Edit { range, text });
    edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    Ok(())
}

/// The text of `range` with `edits` applied.
fn apply(text: &str, range: TextRange, edits: &[Edit]) -> String {
    let mut out = String::new();
    let mut at = range.start();
    let mut sorted: Vec<&Edit> = edits
        .iter()
        .filter(|e| range.contains_range(e.range))
        .collect();
    sorted.sort_by_key(|e| (e.range.start(), e.range.end()));
    for edit in sorted {
        if edit.range.start() < at {
            continue;
        }
        out.push_str(&text[syntax::to_range(TextRange::new(at, edit.range.start()))]);
        out.push_str(&edit.text);
        at = edit.range.end();
    }
    out.push_str(&text[syntax::to_range(TextRange::new(at, range.end()))]);
    out
}

/// [`apply`], and for each line after the first whether it begins inside one of the multi-line
/// string literals `strings` (by its offset in the original text).
fn apply_lines(
    text: &str,
    range: TextRange,
    edits: &[Edit],
    strings: &[TextRange],
) -> (String, Vec<bool>) {
    let mut out = String::new();
    let mut protected = Vec::new();
    let original = |out: &mut String, protected: &mut Vec<bool>, from: TextSize, to: TextSize| {
        let slice = &text[syntax::to_range(TextRange::new(from, to))];
        for (i, c) in slice.char_indices() {
            out.push(c);
            if c == '\n' {
                let next = from + TextSize::from((i + 1) as u32);
                protected.push(strings.iter().any(|r| r.start() < next && next < r.end()));
            }
        }
    };
    let mut at = range.start();
    let mut sorted: Vec<&Edit> = edits
        .iter()
        .filter(|e| range.contains_range(e.range))
        .collect();
    sorted.sort_by_key(|e| (e.range.start(), e.range.end()));
    for edit in sorted {
        if edit.range.start() < at {
            continue;
        }
        original(&mut out, &mut protected, at, edit.range.start());
        out.push_str(&edit.text);
        protected.extend(edit.text.matches('\n').map(|_| false));
        at = edit.range.end();
    }
    original(&mut out, &mut protected, at, range.end());
    (out, protected)
}

/// Lines of `text` after the first: their indentation `from` becomes `to`; a line indented less
/// gets `to` in front of its content; blank lines stay empty. `protected[i]` keeps line `i + 1`
/// exactly as it is (it is inside a string literal).
fn reindent(text: &str, protected: &[bool], from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i == 0 {
            out.push_str(line);
            continue;
        }
        out.push('\n');
        let content = line.trim_start_matches([' ', '\t']);
        if protected.get(i - 1).copied().unwrap_or(false) {
            out.push_str(line);
        } else if content.is_empty() || content == "\r" {
            out.push_str(content);
        } else if let Some(rest) = line.strip_prefix(from) {
            out.push_str(to);
            out.push_str(rest);
        } else {
            out.push_str(to);
            out.push_str(content);
        }
    }
    out
}

/// [`syntax::end_with_trailing_comment`] without the `\r` a line comment ends with in a CRLF
/// file: the line break is written separately.
fn comment_end(text: &str, node: &SyntaxNode) -> usize {
    let end = syntax::end_with_trailing_comment(node);
    if text[..end].ends_with('\r') {
        end - 1
    } else {
        end
    }
}

/// From the first comment line directly above `node` (the comments that belong to it), and
/// whether a blank line precedes them.
fn leading_comments(node: &SyntaxNode) -> (TextSize, bool) {
    let mut start = node.text_range().start();
    let mut blank = false;
    let mut element = node.prev_sibling_or_token();
    while let Some(current) = element {
        match &current {
            NodeOrToken::Token(t) if t.kind() == SyntaxKind::WHITESPACE => {
                let newlines = t.text().matches('\n').count();
                if newlines >= 2 {
                    blank = true;
                    break;
                }
                if newlines == 0
                    && t.prev_sibling_or_token()
                        .is_some_and(|p| p.kind() != SyntaxKind::COMMENT)
                {
                    break;
                }
            }
            NodeOrToken::Token(t) if t.kind() == SyntaxKind::COMMENT => {
                // A comment on the same line as the previous statement belongs to that one.
                let same_line_as_previous = t.prev_sibling_or_token().is_some_and(|p| {
                    p.kind() == SyntaxKind::WHITESPACE
                        && !p.as_token().is_some_and(|w| w.text().contains('\n'))
                        && p.prev_sibling_or_token()
                            .is_some_and(|pp| pp.kind() != SyntaxKind::L_CURLY)
                });
                if same_line_as_previous {
                    break;
                }
                start = t.text_range().start();
            }
            _ => break,
        }
        element = current.prev_sibling_or_token();
    }
    (start, blank)
}

/// Whole lines covering `range` (from the start of its first line through the line break after
/// it), when nothing else shares those lines; else `range` itself.
fn line_range(text: &str, range: TextRange) -> TextRange {
    let start = usize::from(range.start());
    let end = usize::from(range.end());
    let line_start = syntax::line_start(text, start);
    let before_is_blank = text[line_start..start].trim().is_empty();
    let rest = &text[end..];
    let line_end = rest.find('\n').map(|i| end + i + 1).unwrap_or(text.len());
    let after_is_blank = text[end..line_end].trim().is_empty();
    if before_is_blank && after_is_blank {
        TextRange::new(
            TextSize::from(line_start as u32),
            TextSize::from(line_end as u32),
        )
    } else {
        range
    }
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

fn is_quiet_macro(mac: &ast::MacroCall) -> bool {
    let path = mac
        .path()
        .map(|p| syntax::compact_text(p.syntax()))
        .unwrap_or_default();
    let last = path.rsplit("::").next().unwrap_or_default();
    QUIET_MACROS.contains(&last)
}

/// Names a `let` statement binds.
fn declared_names(stmt: &SyntaxNode) -> Vec<String> {
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
fn candidate_names(stmt: &SyntaxNode) -> Vec<String> {
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

fn snapshot_name(expr: &ast::Expr) -> String {
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

/// Whether `name` is used as a local in the code `text`.
fn mentioned_in(text: &str, name: &str) -> bool {
    if !text.contains(name) {
        return false;
    }
    let wrapped = format!("fn __lockfix() {{\n{text}\n}}\n");
    let parse = ra_ap_syntax::SourceFile::parse(&wrapped, ra_ap_syntax::Edition::CURRENT);
    let root = parse.tree();
    !syntax::mentions(root.syntax(), root.syntax().text_range(), name).is_empty()
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
