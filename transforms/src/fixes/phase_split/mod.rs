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
//!
//! # Steps
//!
//! The rewrite runs in steps, a child module each, all of them methods of one `Splitter` (the
//! guards, the function's text and the names already taken) over the data types defined here
//! (`Open` and `Class`, private to their step, live with it):
//!
//! 1. `guards`: `Splitter::new` checks that the guards can be split (plain `let`s of one block,
//!    not taken through each other, not handed over whole) and collects what the body holds:
//!    awaits, spawns, other locks.
//! 2. `pieces`: the statements after the guards become `Piece`s (a statement with its comments
//!    and the edits made inside it); a piece says which guards it mentions and how (`Access`),
//!    and whether it awaits, spawns or takes another lock.
//! 3. `phases`: `split_sequence` groups the pieces of a block, in order, into `Chunk`s: phases
//!    (one lock each), statements outside every lock, and the flags and deferred blocks of the
//!    statements that defer steps.
//! 4. `statement`: inside a statement that needs one lock, `split_item` walks its `if`s,
//!    `match`es and blocks, and classifies each step: kept under the lock, or deferred.
//! 5. `defer`: a run of deferred steps becomes a flag (with the values it needs) and a `Cont`,
//!    whose steps go back to step 3 (and may take a lock again: a re-lock phase).
//! 6. `names`: fresh names, snapshots (a read of another guard computed in that guard's phase),
//!    flag names, and the declaration a name refers to.
//! 7. `render`: the chunks become code (`render_chunks`).
//! 8. `text`: below all of them, the text edits: applying `Edit`s, re-indentation, a
//!    statement's comments and whole lines.
//!
//! `split` (below) drives them: `Splitter::new`, a piece per statement after the guards,
//! `split_sequence` (which walks each statement and defers its steps), then `render_chunks`.

mod defer;
mod guards;
mod names;
mod phases;
mod pieces;
mod render;
mod statement;
mod text;

use std::collections::HashSet;

use ra_ap_syntax::{
    AstNode, SyntaxNode, TextRange,
    ast::{self, HasArgList},
};

// The steps reach these siblings of this module as `super::release` and `super::naming`.
use super::{naming, release};
use crate::analysis::{LockScopes, syntax};
use crate::model::TextEdit;
use text::comment_end;

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
