//! Drop and lock again: a guard used before and after an `.await` (or blocking work) nested
//! inside a statement that also uses it is released before the work and taken again, with the
//! same expression, just before its next use.
//!
//! ```text
//! let mut data = data::get();                         let mut data = data::get();
//! if let Some(p) = data.previews().get(url) {         if let Some(p) = data.previews().get(url) {
//!     Some(p.clone())                                     Some(p.clone())
//! } else {                                    =>      } else {
//!     let page = fetch(url).await?;                       drop(data);
//!     data.insert(url, page.meta());                      let page = fetch(url).await?;
//!     Some(page.meta())                                   let mut data = data::get();
//! }                                                       data.insert(url, page.meta());
//!                                                         Some(page.meta())
//!                                                     }
//! ```
//!
//! This is what zine's maintainers wrote (PR #68: a scoped read, the fetch unlocked, a write to
//! store): the split of [`super::relock_split`] at the level of the guard's block is impossible
//! there, because the work sits in a branch of the statement that checks through the guard.
//!
//! Always unsafe, for the same reason as the relock split: the check and the store are no longer
//! atomic. Invariants, each a reason for no fix rather than a wrong one:
//! - the lock expression can be evaluated again to the same lock
//!   ([`super::relock_split::re_evaluable`]), and no name it reads changes before the relock;
//! - the `drop` compiles where the release at the last use would ([`super::drop_at_last_use`]),
//!   looking only at what comes before the work;
//! - the relock runs only after the `drop`: it sits in the `drop`'s block (or one inside it), and
//!   every later use of the guard follows it in its block, so all of them see the new guard;
//! - no value borrowed from the first guard is used after the `drop` (it would outlive it);
//! - a dropped blocking guard still makes the future not `Send`, but so did the guard held
//!   across the `.await` before the fix: the function compiled without `Send`.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize, ast};

use super::drop_at_last_use::{AfterEvent, insertion};
use super::release::node_at;
use super::relock_split::{NOT_ATOMIC, changes_names_read_by, relockable_let};
use crate::analysis::{Guard, held, syntax};
use crate::model::{Applicability, Fix, TextEdit};

/// The fix for `guard` held across `event` (an `.await` or a blocking call) and used again after
/// it, with a title naming the work (`the `.await``). `Err` says why there is none.
pub fn drop_and_relock_fix(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    data: &[String],
    event: &SyntaxNode,
    work_phrase: &str,
) -> Result<Fix, String> {
    let (name, edits) = drop_and_relock(text, file, guard, data, event)?;
    Ok(Fix {
        title: format!(
            "Release `{name}` before {work_phrase} and lock again where it is next used ({NOT_ATOMIC}: \
             another task can change the data while {work_phrase} runs)"
        ),
        applicability: Applicability::Unsafe,
        edits,
    })
}

fn drop_and_relock(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    data: &[String],
    event: &SyntaxNode,
) -> Result<(String, Vec<TextEdit>), String> {
    let no_fix = || "no place to release the guard and lock it again".to_string();
    let (stmt, init) = relockable_let(guard)?;
    let Some(ast::Pat::IdentPat(pat)) = stmt.pat() else {
        return Err("the guard's `let` binds a pattern".to_string());
    };
    let name = guard.name().ok_or_else(no_fix)?;
    let event_range = event.text_range();
    let uses = guard.uses(file);
    let later: Vec<TextRange> = uses
        .iter()
        .copied()
        .filter(|u| u.start() >= event_range.end())
        .filter(|u| !syntax::in_other_branch(event, &node_at(file, *u)))
        .collect();
    if uses.iter().any(|u| event_range.contains_range(*u)) {
        return Err("the work itself uses the guard".to_string());
    }
    let first_later = *later.first().ok_or_else(no_fix)?;
    // Values borrowed from the first guard would outlive it.
    let borrowed: Vec<String> = data.iter().filter(|d| **d != name).cloned().collect();
    let after = TextRange::new(event_range.end(), guard.live.end().max(event_range.end()));
    let borrowed_later = borrowed.iter().any(|name| {
        held::data_mentions(file, guard, std::slice::from_ref(name), &[])
            .into_iter()
            .filter(|m| after.contains_range(*m))
            .filter(|m| !syntax::in_other_branch(event, &node_at(file, *m)))
            .any(|m| !let_rebinds_before(file, name, event_range.end(), m))
    });
    if borrowed_later {
        return Err(
            "a value borrowed from the guard is used after the work, so the guard cannot be released for it"
                .to_string(),
        );
    }
    let drop =
        insertion(text, file, guard, data, event, AfterEvent::Relocked).ok_or_else(no_fix)?;
    let drop_at = TextSize::try_from(drop.range.start).map_err(|_| no_fix())?;
    if uses
        .iter()
        .any(|u| u.end() <= drop_at && borrowed_through_the_branch(file, *u, drop_at))
    {
        return Err(
            "the condition around the work borrows the guard through a temporary that lives until \
             the end of the branch"
                .to_string(),
        );
    }
    let drop_block = node_at(file, TextRange::empty(drop_at))
        .ancestors()
        .find_map(ast::StmtList::cast)
        .ok_or_else(no_fix)?;
    let (relock_list, relock_item) = relock_place(file, first_later, event_range.end())?;
    let relock_range = relock_list.syntax().text_range();
    let relock_at = relock_item.text_range().start();
    // Reached only through the `drop`, and every later use reached only through the relock.
    if !drop_block
        .syntax()
        .text_range()
        .contains_range(relock_range)
        || syntax::enclosing_body(relock_list.syntax()).as_ref() != Some(&guard.body)
    {
        return Err(no_fix());
    }
    if later
        .iter()
        .any(|u| u.start() < relock_at || !relock_range.contains_range(*u))
    {
        return Err("the guard is used again in more than one place after the work".to_string());
    }
    let passed = TextRange::new(stmt.syntax().text_range().end(), relock_at);
    if changes_names_read_by(file, &init, passed)
        || syntax::binds_in(&guard.body, TextRange::new(drop_at, relock_at), &name)
    {
        return Err(
            "the lock expression may mean another lock where it would be taken again".to_string(),
        );
    }
    let init_text = init.syntax().text().to_string();
    let relock_offset = usize::from(relock_at);
    let line = syntax::line_start(text, relock_offset);
    if init_text.contains('\n') || !text[line..relock_offset].trim().is_empty() {
        return Err(no_fix());
    }
    let ty = stmt
        .ty()
        .map(|ty| format!(": {}", ty.syntax().text()))
        .unwrap_or_default();
    let indent = syntax::line_indent(text, relock_offset);
    let relock = TextEdit {
        range: relock_offset..relock_offset,
        replacement: format!(
            "let {}{ty} = {init_text};{}{indent}",
            pat.syntax().text(),
            syntax::eol(text)
        ),
    };
    // The first edit covers the guard's `let`, as every fix of a guard does, so that two fixes
    // of one guard never land in the same pass.
    let start = usize::from(guard.primary_range().start());
    let anchor = TextEdit {
        range: start..start + 1,
        replacement: text.get(start..start + 1).ok_or_else(no_fix)?.to_string(),
    };
    Ok((name, vec![anchor, drop, relock]))
}

/// The statement before which the lock is taken again: the outermost statement around the first
/// later use that starts after the work (before a loop that uses the guard, not in it), with the
/// block it belongs to.
fn relock_place(
    file: &SyntaxNode,
    first_later: TextRange,
    work_end: TextSize,
) -> Result<(ast::StmtList, SyntaxNode), String> {
    let node = node_at(file, first_later);
    let mut place = None;
    for list in node.ancestors().filter_map(ast::StmtList::cast) {
        let Some(index) = syntax::item_containing(&list, &node) else {
            continue;
        };
        let item = syntax::block_items(&list).swap_remove(index);
        if item.text_range().start() < work_end {
            break;
        }
        place = Some((list, item));
    }
    place.ok_or_else(|| "the guard is used again in the statement that does the work".to_string())
}

/// Whether the guard's mention `mention` sits in the condition of an `if`, `while` or `match`
/// whose branch holds `drop_at`, inside a call chain that makes a temporary guard of its own
/// (`g.cell.borrow().get(k)`): before edition 2024 the condition's temporaries live until the end
/// of the whole `if let`, so the guard is still borrowed at the `drop` (E0505).
fn borrowed_through_the_branch(file: &SyntaxNode, mention: TextRange, drop_at: TextSize) -> bool {
    let node = node_at(file, mention);
    let in_condition = node.ancestors().any(|a| {
        let condition = if let Some(e) = ast::IfExpr::cast(a.clone()) {
            e.condition().map(|c| c.syntax().text_range())
        } else if let Some(e) = ast::WhileExpr::cast(a.clone()) {
            e.condition().map(|c| c.syntax().text_range())
        } else {
            ast::MatchExpr::cast(a.clone()).and_then(|m| m.expr().map(|e| e.syntax().text_range()))
        };
        condition.is_some_and(|c| c.contains_range(mention)) && a.text_range().contains(drop_at)
    });
    in_condition
        && node
            .ancestors()
            .take_while(|a| !matches!(a.kind(), SyntaxKind::STMT_LIST | SyntaxKind::LET_EXPR))
            .filter_map(ast::MethodCallExpr::cast)
            .filter_map(|call| call.name_ref())
            .any(|name| makes_a_temporary_guard(name.text()))
}

/// A method whose result is itself a guard with a destructor (a lock's guard, a `RefCell`
/// borrow): as a temporary in a condition it keeps its receiver borrowed.
fn makes_a_temporary_guard(method: &str) -> bool {
    crate::analysis::lock_method_mode(method).is_some() || matches!(method, "borrow" | "borrow_mut")
}

/// Whether a `let` after `from`, in a block around `mention`, binds `name` again before it: the
/// mention is then of the new value (`let title = page.0.clone();`), not of one borrowed from
/// the guard.
fn let_rebinds_before(file: &SyntaxNode, name: &str, from: TextSize, mention: TextRange) -> bool {
    let node = node_at(file, mention);
    node.ancestors()
        .filter_map(ast::StmtList::cast)
        .take_while(|list| list.syntax().text_range().end() > from)
        .any(|list| {
            syntax::block_items(&list)
                .into_iter()
                .filter(|item| {
                    item.text_range().start() >= from && item.text_range().end() <= mention.start()
                })
                .filter_map(ast::LetStmt::cast)
                .filter_map(|stmt| stmt.pat())
                .any(|pat| {
                    syntax::pattern_bindings(&pat)
                        .iter()
                        .any(|binding| syntax::ident_name(binding) == name)
                })
        })
}
