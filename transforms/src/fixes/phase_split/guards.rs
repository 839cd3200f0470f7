//! Step 1, the guards: `Splitter::new` reads the guards of the cluster and the function around
//! them.
//!
//! Assumes: `cluster` indexes `scopes.guards`, found in `file`, parsed from `text`.
//! Guarantees, on `Ok`: every member is bound by a `let` of its own with an identifier pattern
//! and no `else`, all in one block, sorted by position, with distinct names; no member is taken
//! through another member or through a local declared after the first guard (so each phase can
//! take its lock again with the same `let`); no member is dropped in a nested block or handed
//! whole to a function. The awaits (the members' own excepted), spawns and other locks'
//! acquisitions of the body are collected, and `taken` holds every name of the body. On `Err`, a
//! sentence says why the function must be split by hand.

use std::collections::HashSet;

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::names::declared_names;
use super::{Member, Splitter, is_spawn};
use crate::analysis::{Holder, LockScopes, syntax};

impl<'a> Splitter<'a> {
    pub(super) fn new(
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
        // Another lock's temporary guard dies in its statement, which the split keeps under the
        // same member guard it ran under: the nesting is the original's (hickory-dns reads
        // `cx.transport_state().await` in the condition that checks `connections`). A bound one
        // could leave its phase and be held when a member is locked again: a new lock order.
        let other_locks = scopes
            .guards
            .iter()
            .filter(|g| !member_calls.contains(&g.call.syntax().text_range()))
            .filter(|g| !(matches!(g.holder, Holder::Temporary) && dies_in_its_statement(g)))
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
}

/// Whether a temporary guard is released by the end of the statement it is taken in (not kept
/// alive by a `let` that borrows from it).
fn dies_in_its_statement(guard: &crate::analysis::Guard) -> bool {
    guard
        .call
        .syntax()
        .ancestors()
        .find(|a| {
            a.parent()
                .is_some_and(|p| p.kind() == SyntaxKind::STMT_LIST)
        })
        .is_some_and(|stmt| stmt.text_range().contains_range(guard.live))
}
