//! Emission deferral (seed 004's "emit events after the lock scope"): when the guard is still used
//! after an emission, so the lock cannot simply be released before it, the emitting statement
//! moves down to just after the guard's last use, where the guard is dropped. What the emission
//! reads from the guard is computed where the emission was, under the lock, into a `let`:
//!
//! ```text
//! let mut state = self.state.lock().await;        let mut state = self.state.lock().await;
//! state.failures += 1;                            state.failures += 1;
//! self.events.send(state.failures).await;   =>    let failures = state.failures;
//! state.last = Instant::now();                    state.last = Instant::now();
//!                                                 drop(state);
//!                                                 self.events.send(failures).await;
//! ```
//!
//! It works with one guard or several held together (the fallback of `double-lock` when the
//! phase split refuses): every guard is dropped after the last use of any of them, and the
//! emissions follow, in their order. A `drop` is the smallest rewrite with that effect, and the
//! one maintainers write (Fluvio #2490, godwoken): the guards are bindings of the same block, so
//! no scope has to be built around code that keeps using them.
//!
//! Refused, with the reason, when the move could change what runs: the emitting statement exits
//! early (`?`, `return`, `break`), binds a value the locked code uses, or is not a statement of
//! the guards' block; code between the emission and the new place can exit early (the event would
//! be lost on that path); a value the emission needs borrows from the guard and the syntax cannot
//! copy it; a blocking guard would still be held across an `.await` before the `drop` (its
//! future would not be `Send`).

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::clone_out::owned_copy;
use super::naming::suggest_name;
use super::ownership::{Ownership, ownership};
use super::release::node_at;
use crate::analysis::crate_index::CrateIndex;
use crate::analysis::{Guard, Holder, held, syntax};
use crate::model::TextEdit;

/// How a refusal that explains itself begins; the other errors only say that the shape is not
/// one for this rewrite.
pub const DEFERRAL_REFUSED: &str = "the events cannot be moved after the lock scope";

/// The rewrite, and what it moved (for the fix's title).
#[derive(Debug, Clone)]
pub struct Deferral {
    pub edits: Vec<TextEdit>,
    /// Emitting statements moved after the `drop`.
    pub moved: usize,
    /// Values copied out of the guard for the emissions (the type must be `Clone`).
    pub copies_data: bool,
}

/// Move the statements holding `events` (emissions under `guards`, all `let` bindings of one
/// block) to after the last use of the guards, and drop the guards there.
pub fn defer_emissions(
    text: &str,
    file: &SyntaxNode,
    guards: &[&Guard],
    events: &[SyntaxNode],
    crate_index: Option<&CrateIndex>,
) -> Result<Deferral, String> {
    let refuse = |why: &str| Err(format!("{DEFERRAL_REFUSED}: {why}"));
    let first = guards.first().ok_or("no guard")?;
    let Holder::Let { list, .. } = &first.holder else {
        return refuse("the guard is not a `let` binding");
    };
    let items = syntax::block_items(list);
    let mut names = Vec::new();
    // Bindings that may borrow from a guard: they keep the guard alive until their last use.
    let mut borrowing = Vec::new();
    let mut first_index = usize::MAX;
    let mut last_guard_index = 0;
    let mut existing_drop: Option<usize> = None;
    for guard in guards {
        let Holder::Let {
            list: own_list,
            index,
            ..
        } = &guard.holder
        else {
            return refuse("a guard is not a `let` binding");
        };
        if own_list != list {
            return refuse("the guards are bound in different blocks");
        }
        let name = guard.name().ok_or("a guard has no name")?;
        let uses = guard.uses(file);
        // One `drop(guard);` of the block itself (drop-at-last-use's fix) is where the events go.
        let own_drop = |d: &ast::ExprStmt| d.syntax().parent().as_ref() == Some(list.syntax());
        match guard.drops.as_slice() {
            [] => {}
            [d] if own_drop(d) && guards.len() == 1 => {
                existing_drop = syntax::item_containing(list, d.syntax());
            }
            _ => {
                return refuse(&format!("`{name}` is dropped in more than one place"));
            }
        }
        let uses: Vec<TextRange> = uses
            .into_iter()
            .filter(|u| {
                !guard
                    .drops
                    .iter()
                    .any(|d| d.syntax().text_range().contains_range(*u))
            })
            .collect();
        if uses.iter().any(|u| held::may_move_guard(file, *u))
            || syntax::binds_in(&guard.body, guard.live, &name)
        {
            return refuse(&format!(
                "`{name}` is dropped, moved or shadowed in its block"
            ));
        }
        first_index = first_index.min(*index);
        last_guard_index = last_guard_index.max(*index);
        for data in held::guard_data_names(file, guard, crate_index) {
            if data == name || !owned_binding(file, &items, &data, &borrowing, &name) {
                borrowing.push(data);
            }
        }
        names.push(name);
    }
    let mut deferred: Vec<usize> = Vec::new();
    for event in events {
        let item =
            syntax::item_containing(list, event).ok_or("an event is not in the guards' block")?;
        if item <= last_guard_index {
            return refuse("an event is emitted before every guard is taken");
        }
        if !deferred.contains(&item) {
            deferred.push(item);
        }
    }
    deferred.sort_unstable();
    let region_start = items[first_index].text_range().end();
    let region = TextRange::new(region_start, list.syntax().text_range().end());
    // The last item that uses a guard or a value borrowed from one, the deferred ones aside.
    let last = borrowing
        .iter()
        .flat_map(|n| syntax::mentions(file, region, n))
        .filter_map(|m| syntax::item_containing(list, &node_at(file, m)))
        .filter(|i| !deferred.contains(i) && Some(*i) != existing_drop)
        .max()
        .ok_or("the guard is not used after the events")?;
    if existing_drop.is_some_and(|d| d < last) {
        return refuse("the guard is dropped before its last use");
    }
    deferred.retain(|&i| i < last);
    if deferred.is_empty() {
        return Err("no event comes before the guard's last use".to_string());
    }
    if list.tail_expr().is_some() && last == items.len() - 1 {
        return refuse("the guard is used in the block's value");
    }
    let blocking = guards.iter().any(|g| !g.kind.is_async());
    let awaits_under_guard =
        (first_index + 1..=last).any(|i| !deferred.contains(&i) && awaits(&items[i]));
    if blocking && awaits_under_guard {
        return refuse("a blocking guard would stay held across an `.await` until the `drop`");
    }
    for (i, item) in items
        .iter()
        .enumerate()
        .take(last + 1)
        .skip(deferred[0] + 1)
    {
        if !deferred.contains(&i) && exits_early(item) {
            return refuse(
                "code between the event and the guard's last use can return early, which would skip the event",
            );
        }
    }

    let eol = syntax::eol(text);
    let mut taken = syntax::identifiers(&first.body);
    let mut edits = Vec::new();
    let mut moved_texts = Vec::new();
    let mut copies_data = false;
    for &index in &deferred {
        let item = &items[index];
        if exits_early(item) {
            return refuse("the emitting statement can return early");
        }
        if let Some(stmt) = ast::LetStmt::cast(item.clone()) {
            let later = TextRange::new(item.text_range().end(), items[last].text_range().end());
            let used_under_lock = stmt.pat().is_some_and(|pat| {
                syntax::pattern_bindings(&pat)
                    .iter()
                    .any(|b| !syntax::mentions(file, later, &syntax::ident_name(b)).is_empty())
            });
            if used_under_lock {
                return refuse("the emitting statement binds a value the locked code uses");
            }
        } else if !ast::ExprStmt::can_cast(item.kind()) {
            return refuse("the emission is not a statement of its own");
        }
        let indent = syntax::line_indent(text, usize::from(item.text_range().start())).to_string();
        // What the statement reads from the guards is computed where it stood.
        let mut arguments: Vec<ast::Expr> = Vec::new();
        for name in &borrowing {
            for mention in syntax::mentions(file, item.text_range(), name) {
                let argument = argument_of(file, mention, item)
                    .ok_or("the emission reads the guarded data outside its arguments")?;
                if !arguments.iter().any(|a| a.syntax() == argument.syntax()) {
                    arguments.push(argument);
                }
            }
        }
        // Outer arguments first; one nested in another is covered by it.
        arguments.sort_by_key(|a| a.syntax().text_range().start());
        let mut kept: Vec<ast::Expr> = Vec::new();
        for argument in arguments {
            if !kept.iter().any(|k| {
                k.syntax()
                    .text_range()
                    .contains_range(argument.syntax().text_range())
            }) {
                kept.push(argument);
            }
        }
        let mut lets = String::new();
        let item_start = usize::from(item.text_range().start());
        let item_end = syntax::end_with_trailing_comment(item);
        let mut statement = text[item_start..item_end].to_string();
        for argument in kept.iter().rev() {
            let (value, by_ref) = if ownership(argument, &borrowing, file) == Ownership::Owned {
                (argument.syntax().text().to_string(), false)
            } else {
                copies_data = true;
                guard_copy(file, argument, &borrowing)?
            };
            let value_name = syntax::fresh_name(&value_name(argument), &taken);
            taken.insert(value_name.clone());
            let range = argument.syntax().text_range();
            let from = usize::from(range.start()) - item_start;
            let to = usize::from(range.end()) - item_start;
            statement.replace_range(
                from..to,
                &if by_ref {
                    format!("&{value_name}")
                } else {
                    value_name.clone()
                },
            );
            // The value leaves a deeper line (an argument of a chained call): its continuation
            // lines come back to the statement's indentation, as rustfmt would put them.
            let arg_indent = syntax::line_indent(text, usize::from(range.start())).len();
            let value = dedent(&value, arg_indent.saturating_sub(indent.len()));
            lets.insert_str(0, &format!("{eol}{indent}let {value_name} = {value};"));
        }
        if !kept.is_empty() {
            statement = join_short_chain(&statement, indent.len());
        }
        // The statement leaves with the comments and blank lines above it.
        let previous_end = syntax::end_with_trailing_comment(&items[index - 1]);
        let leading = &text[previous_end..item_start];
        edits.push(TextEdit {
            range: previous_end..item_end,
            replacement: lets,
        });
        moved_texts.push(format!("{leading}{statement}"));
    }
    // After the guard's own `drop` when it has one; else after its last use, with the drops.
    let anchor = existing_drop.unwrap_or(last);
    let after_last = syntax::end_with_trailing_comment(&items[anchor]);
    let indent = syntax::line_indent(text, usize::from(items[anchor].text_range().start()));
    let mut insertion = String::new();
    // Guards drop in the reverse of the order they were taken, as at the end of their scope.
    for name in names.iter().rev().filter(|_| existing_drop.is_none()) {
        insertion.push_str(&format!("{eol}{indent}drop({name});"));
    }
    for moved in &moved_texts {
        insertion.push_str(moved);
    }
    edits.push(TextEdit {
        range: after_last..after_last,
        replacement: insertion,
    });
    // The fix spans the guards' region from the first `let` on, like every other fix of a guard,
    // so that two rewrites of one guard never land in one pass.
    let start = usize::from(items[first_index].text_range().start());
    if edits.iter().all(|e| e.range.start > start) {
        edits.insert(
            0,
            TextEdit {
                range: start..start + 1,
                replacement: text.get(start..start + 1).unwrap_or_default().to_string(),
            },
        );
    }
    Ok(Deferral {
        edits,
        moved: moved_texts.len(),
        copies_data,
    })
}

/// The name of a value built for an emission: `Tripped { .. }` is a `tripped`.
fn value_name(argument: &ast::Expr) -> String {
    if let ast::Expr::RecordExpr(record) = argument
        && let Some(segment) = record.path().and_then(|p| p.segment())
        && let Some(name) = segment.name_ref()
    {
        let mut snake = String::new();
        for (i, c) in name.text().chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.extend(c.to_lowercase());
        }
        if !snake.is_empty() {
            return snake;
        }
    }
    suggest_name(argument)
}

/// A method chain spread over lines only because an argument was long (`tx\n.send(Event {\n..})`)
/// goes back on one line once the argument is a name, as rustfmt puts a chain that fits its
/// `chain_width` (60) and the line width (100).
fn join_short_chain(statement: &str, indent: usize) -> String {
    let mut lines = statement.lines();
    let mut joined = lines.next().unwrap_or_default().trim_end().to_string();
    for line in lines {
        let line = line.trim();
        if !line.starts_with('.') && !line.starts_with('?') {
            return statement.to_string();
        }
        joined.push_str(line);
    }
    let chain = joined.trim_end_matches(';');
    if chain.len() <= 60 && indent + joined.len() <= 100 {
        joined
    } else {
        statement.to_string()
    }
}

/// `text` with up to `by` leading spaces taken off every line but the first.
fn dedent(text: &str, by: usize) -> String {
    let mut lines = text.split('\n');
    let mut out = lines.next().unwrap_or_default().to_string();
    for line in lines {
        let spaces = line.len() - line.trim_start_matches(' ').len();
        out.push('\n');
        out.push_str(&line[spaces.min(by)..]);
    }
    out
}

/// `data` is bound by a `let` among `items` whose value is owned (a count, a clone), so using it
/// after the guards are dropped is fine.
fn owned_binding(
    file: &SyntaxNode,
    items: &[SyntaxNode],
    data: &str,
    borrowing: &[String],
    guard: &str,
) -> bool {
    let mut tainted: Vec<String> = borrowing.to_vec();
    tainted.push(guard.to_string());
    items
        .iter()
        .filter_map(|i| ast::LetStmt::cast(i.clone()))
        .filter(|s| {
            matches!(s.pat(), Some(ast::Pat::IdentPat(p)) if syntax::ident_name(&p) == data && p.ref_token().is_none())
        })
        .all(|s| {
            s.initializer()
                .is_some_and(|init| ownership(&init, &tainted, file) == Ownership::Owned)
        })
        && items
            .iter()
            .filter_map(|i| ast::LetStmt::cast(i.clone()))
            .any(|s| matches!(s.pat(), Some(ast::Pat::IdentPat(p)) if syntax::ident_name(&p) == data))
}

/// An owned copy of an argument that reads through a guard or a binding borrowed from one.
fn guard_copy(
    file: &SyntaxNode,
    argument: &ast::Expr,
    borrowing: &[String],
) -> Result<(String, bool), String> {
    let mut last_error = String::new();
    for name in borrowing {
        match owned_copy(file, argument, name) {
            Ok(copy) => return Ok(copy),
            Err(error) => last_error = error,
        }
    }
    Err(format!("{DEFERRAL_REFUSED}: {last_error}"))
}

/// The outermost call argument within `item` that contains the mention at `range`.
fn argument_of(file: &SyntaxNode, range: TextRange, item: &SyntaxNode) -> Option<ast::Expr> {
    node_at(file, range)
        .ancestors()
        .take_while(|n| n != item)
        .filter(|n| n.parent().is_some_and(|p| p.kind() == SyntaxKind::ARG_LIST))
        .last()
        .and_then(ast::Expr::cast)
}

/// `?`, `return`, `break` or `continue` that leaves the statement (not inside a closure or an
/// async block, which return from themselves).
fn exits_early(item: &SyntaxNode) -> bool {
    item.descendants().any(|n| {
        let exits = matches!(
            n.kind(),
            SyntaxKind::TRY_EXPR
                | SyntaxKind::RETURN_EXPR
                | SyntaxKind::BREAK_EXPR
                | SyntaxKind::CONTINUE_EXPR
        );
        exits && !inside_other_body(&n, item)
    })
}

fn awaits(item: &SyntaxNode) -> bool {
    item.descendants()
        .any(|n| n.kind() == SyntaxKind::AWAIT_EXPR && !inside_other_body(&n, item))
}

/// Inside a closure or async block of the statement (their `?` and `return` leave only them), or
/// a `break`/`continue` of a loop inside the statement.
fn inside_other_body(node: &SyntaxNode, item: &SyntaxNode) -> bool {
    node.ancestors().take_while(|a| a != item).any(|a| {
        a.kind() == SyntaxKind::CLOSURE_EXPR
            || ast::BlockExpr::cast(a).is_some_and(|b| b.async_token().is_some())
    }) || loop_inside(node, item)
}

/// A `break`/`continue` whose loop is inside the statement.
fn loop_inside(node: &SyntaxNode, item: &SyntaxNode) -> bool {
    matches!(
        node.kind(),
        SyntaxKind::BREAK_EXPR | SyntaxKind::CONTINUE_EXPR
    ) && node.ancestors().take_while(|a| a != item).any(|a| {
        matches!(
            a.kind(),
            SyntaxKind::LOOP_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::FOR_EXPR
        )
    })
}
