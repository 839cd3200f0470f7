//! `lock-order-inversion`: two code paths take the same two locks in opposite orders.

use ra_ap_syntax::{
    AstNode, SyntaxNode, TextRange,
    ast::{self, HasName},
};

use super::Context;
use crate::analysis::events::happens_at;
use crate::analysis::{AccessMode, CallKind, Guard, syntax};
use crate::fixes::reorder_acquisitions::swap_acquisitions;
use crate::model::{Finding, Fix, Label, RuleDoc, RuleId, Severity};

pub const DOC: RuleDoc = RuleDoc {
    id: RuleId::LockOrderInversion,
    summary: "Two code paths take the same two locks in opposite orders",
    explanation: r#"## What it does
Reports a lock taken while another is held (`a` then `b`) when another place in the same file takes
the same two locks the other way round (`b` then `a`). Both places are reported, each pointing to
the other. A lock counts as "the same" when it is:

- the same field of `self` in methods of the same type (`self.accounts` in two methods of `impl
  Bank`), also when the second lock is taken by a method of that type called while the first is
  held (`self.audit()` which locks `self.journal`);
- the same `static`;
- the same field of a parameter of the same type in two functions (`state.users` with
  `state: &AppState`, `State<Arc<AppState>>`…);
- the same local lock within one function (two tasks spawned from it).

Not reported: `try_lock` as the second acquisition (it cannot wait), and two places that both hold
a third lock in common while they do it (the third lock serialises them). When all four
acquisitions are read locks, the finding is a warning: readers only wait for each other when a
writer queues up on both locks in between (tokio's `RwLock` is fair and queues readers behind a
waiting writer; `std`'s depends on the platform).

Reported as an error; as a warning when the locks are matched through a parameter's type, or when
all four acquisitions are read locks (see below).

## Why is this bad?
Task 1 holds `a` and waits for `b`; task 2 holds `b` and waits for `a`. Neither ever continues: a
deadlock, with no panic and no error, that only happens when the two paths run at the same time —
rare in tests, certain under load.

## Example
```rust
impl Bank {
    fn deposit(&self, id: u32, amount: u64) {
        let mut accounts = self.accounts.lock().unwrap();
        let mut journal = self.journal.lock().unwrap();
        *accounts.entry(id).or_default() += amount;
        journal.push(format!("deposit {id} {amount}"));
    }

    fn audit(&self) -> u64 {
        let journal = self.journal.lock().unwrap();
        let accounts = self.accounts.lock().unwrap();
        journal.len() as u64 + accounts.values().sum::<u64>()
    }
}
```

## Use instead
```rust
impl Bank {
    fn deposit(&self, id: u32, amount: u64) {
        let mut journal = self.journal.lock().unwrap();
        let mut accounts = self.accounts.lock().unwrap();
        *accounts.entry(id).or_default() += amount;
        journal.push(format!("deposit {id} {amount}"));
    }

    fn audit(&self) -> u64 {
        let journal = self.journal.lock().unwrap();
        let accounts = self.accounts.lock().unwrap();
        journal.len() as u64 + accounts.values().sum::<u64>()
    }
}
```

## Fix safety
Where a place takes the two locks with two `let` statements one after the other, the fix swaps
the two statements, so that it takes the locks in the order of the other places. Nothing runs
between the two acquisitions, so only the lock the thread waits for first changes. The order more
places use is kept (on a tie, the place written first in the file is rewritten, as in the example
above), and only when every place of the other order can be swapped: swapping both sides would
only invert the inversion. The fix is unsafe: only this file's places are counted, and code in
another file that takes the two locks in the old order would now be inverted against this place.
For `std`'s locks, a panic on the first `lock().unwrap()` also now drops the other guard while
panicking, which poisons that lock too.

No fix is offered when the acquisitions are further apart, have other effects (arguments, calls
in the receiver), or the second lock is taken by a called method: whether one of the locks can be
released before the other is taken is then a design decision. Take the locks in one order
everywhere, or release the first before taking the second.

## Known problems
Locks are matched by how they are written, in one file: a lock reached through different paths
(an alias stored in another struct, a lock passed in as an argument) is not recognised as the same,
and two instances of one type are taken for the same lock (as lock-class checkers such as Linux's
lockdep do). Locks taken in a method of another file are not followed. Findings through a parameter
of the same type in two free functions are warnings, like read-only ones; the others are errors."#,
};

/// How sure the match of two locks is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Confidence {
    /// A field of a parameter of the same type in two functions.
    SameType,
    /// A field of `self` of the same type, a static, or a local of one function.
    Same,
}

/// One place where a lock is taken while another is held.
#[derive(Debug, Clone)]
struct Site {
    /// The guard held.
    outer: usize,
    outer_class: String,
    /// The lock taken while it is held.
    inner: usize,
    inner_class: String,
    /// Where the second lock is taken: its acquisition, or the call of the method that takes it.
    at: TextRange,
    /// `Some(method)` when the second lock is taken inside `self.method(..)`.
    via: Option<String>,
    confidence: Confidence,
    /// Lock classes held at `at` besides the two.
    also_held: Vec<String>,
}

pub fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let guards = &ctx.scopes.guards;
    let classes: Vec<Option<(String, Confidence)>> =
        guards.iter().map(|g| lock_class(ctx, g)).collect();
    let mut sites: Vec<Site> = Vec::new();
    for &(o, i) in &ctx.scopes.nested {
        let inner = &guards[i];
        if !can_wait(inner) || assigned_first(&guards[o], inner) {
            continue;
        }
        let at = inner.call.syntax().clone();
        if let Some(site) = site(ctx, &classes, o, i, &at, None) {
            sites.push(site);
        }
    }
    // The second lock taken by a method of the same type called while the first is held.
    for (o, outer) in guards.iter().enumerate() {
        for call in &outer.calls {
            if call.kind != CallKind::Method || call.receiver.as_deref() != Some("self") {
                continue;
            }
            let Some(callee) = single_method(ctx, &call.callee, &outer.call) else {
                continue;
            };
            for (i, inner) in guards.iter().enumerate() {
                if inner.body != callee || !can_wait(inner) {
                    continue;
                }
                if let Some(site) = site(ctx, &classes, o, i, &call.node, Some(&call.callee)) {
                    sites.push(site);
                }
            }
        }
    }
    let swaps: Vec<Option<Fix>> = sites
        .iter()
        .map(|s| match s.via {
            Some(_) => None,
            None => swap_acquisitions(ctx.text, &guards[s.outer], &guards[s.inner]),
        })
        .collect();
    for (k, site) in sites.iter().enumerate() {
        let opposite: Vec<&Site> = sites
            .iter()
            .enumerate()
            .filter(|(j, other)| *j != k && inverted(site, other))
            .map(|(_, other)| other)
            .collect();
        let Some(first) = opposite.first() else {
            continue;
        };
        let fix = if rewrites_this_order(&sites, &swaps, site) {
            swaps[k].clone()
        } else {
            None
        };
        out.push(finding(ctx, site, first, opposite.len(), fix));
    }
}

/// Whether the places taking the two locks in `site`'s order are the ones to rewrite: every one
/// of them can swap its two acquisitions, and the other order is the one more places use. On a
/// tie the order written first in the file is rewritten: either choice ends the inversion, and one
/// must be made, since swapping both sides in the same pass would only invert the inversion.
/// That the other side cannot be swapped is no reason to rewrite this one: VelesDB's
/// `delete_vector_core_stores` follows the crate's documented order, and `get`, which breaks it,
/// has work between its two locks.
fn rewrites_this_order(sites: &[Site], swaps: &[Option<Fix>], site: &Site) -> bool {
    let same: Vec<usize> = (0..sites.len())
        .filter(|&j| {
            sites[j].outer_class == site.outer_class && sites[j].inner_class == site.inner_class
        })
        .collect();
    let other: Vec<usize> = (0..sites.len())
        .filter(|&j| {
            sites[j].outer_class == site.inner_class && sites[j].inner_class == site.outer_class
        })
        .collect();
    let all_swappable = |group: &[usize]| group.iter().all(|&j| swaps[j].is_some());
    let first_at = |group: &[usize]| group.iter().map(|&j| sites[j].at.start()).min();
    all_swappable(&same)
        && (same.len() < other.len()
            || (same.len() == other.len() && first_at(&same) < first_at(&other)))
}

/// `*a.lock().unwrap() = b.lock().unwrap().len();`: the value is evaluated before the place it is
/// assigned to, so `b` is taken first although it is written second.
fn assigned_first(outer: &Guard, inner: &Guard) -> bool {
    let outer_range = outer.call.syntax().text_range();
    inner
        .call
        .syntax()
        .ancestors()
        .filter_map(ast::BinExpr::cast)
        .any(|b| {
            matches!(b.op_kind(), Some(ast::BinaryOp::Assignment { .. }))
                && b.lhs()
                    .is_some_and(|l| l.syntax().text_range().contains_range(outer_range))
                && b.rhs().is_some_and(|r| {
                    r.syntax()
                        .text_range()
                        .contains_range(inner.call.syntax().text_range())
                })
        })
}

/// An acquisition that can block: not `try_*`.
fn can_wait(guard: &Guard) -> bool {
    guard
        .method_name_ref()
        .is_some_and(|n| !n.text().starts_with("try_"))
}

fn site(
    ctx: &Context<'_>,
    classes: &[Option<(String, Confidence)>],
    o: usize,
    i: usize,
    at: &SyntaxNode,
    via: Option<&str>,
) -> Option<Site> {
    let (outer_class, c1) = classes[o].clone()?;
    let (inner_class, c2) = classes[i].clone()?;
    if outer_class == inner_class {
        // The same lock twice is `read-then-write`'s subject.
        return None;
    }
    let when = happens_at(at);
    let also_held = ctx
        .scopes
        .guards
        .iter()
        .enumerate()
        .filter(|(g, guard)| *g != o && *g != i && guard.alive_at(when, at))
        .filter_map(|(g, _)| classes[g].as_ref().map(|c| c.0.clone()))
        .collect();
    Some(Site {
        outer: o,
        outer_class,
        inner: i,
        inner_class,
        at: at.text_range(),
        via: via.map(str::to_string),
        confidence: c1.min(c2),
        also_held,
    })
}

/// `b` then `a` against `a` then `b`, where both would wait for the other.
fn inverted(site: &Site, other: &Site) -> bool {
    site.outer_class == other.inner_class
        && site.inner_class == other.outer_class
        && site.at != other.at
        && !site.also_held.iter().any(|c| other.also_held.contains(c))
}

/// Whether each site waits for a lock the other holds in a conflicting mode; read against read
/// only waits behind a queued writer.
fn blocks(site: &Site, other: &Site, ctx: &Context<'_>) -> bool {
    let guards = &ctx.scopes.guards;
    let conflicts = |a: AccessMode, b: AccessMode| {
        !matches!(
            (a, b),
            (AccessMode::Read, AccessMode::Read)
                | (AccessMode::Read, AccessMode::Upgradable)
                | (AccessMode::Upgradable, AccessMode::Read)
        )
    };
    // `site` waits for its inner lock, which `other` holds as its outer, and the reverse.
    conflicts(guards[site.inner].mode, guards[other.outer].mode)
        && conflicts(guards[other.inner].mode, guards[site.outer].mode)
}

fn finding(
    ctx: &Context<'_>,
    site: &Site,
    other: &Site,
    count: usize,
    fix: Option<Fix>,
) -> Finding {
    let guards = &ctx.scopes.guards;
    let (outer, inner) = (&guards[site.outer], &guards[site.inner]);
    // The order the help suggests is the one the fix (here or at the other place) keeps.
    let (first_in_order, second_in_order) = if fix.is_some() {
        (inner, outer)
    } else {
        (outer, inner)
    };
    let this_fn = function_name(&guards[site.outer].call.syntax().clone());
    let other_fn = function_name(&guards[other.outer].call.syntax().clone());
    let where_other = if other_fn == this_fn {
        format!("another place in {other_fn}")
    } else {
        other_fn.clone()
    };
    let how = match &site.via {
        Some(method) => format!(" (in `self.{method}()`)"),
        None => String::new(),
    };
    let message = format!(
        "`{}` is locked{how} while `{}` is held, and {where_other} takes them in the opposite order: the two can \
         deadlock",
        inner.lock_path, outer.lock_path
    );
    let mut labels = vec![Label {
        range: syntax::to_range(outer.primary_range()),
        message: format!("`{}` is held from here", outer.lock_path),
    }];
    let other_how = match &other.via {
        Some(method) => format!(" (in `self.{method}()`)"),
        None => String::new(),
    };
    labels.push(Label {
        range: syntax::to_range(other.at),
        message: if count > 1 {
            format!(
                "here {other_fn} locks `{}`{other_how} while holding `{}` ({} more such place{})",
                guards[other.inner].lock_path,
                guards[other.outer].lock_path,
                count - 1,
                if count == 2 { "" } else { "s" }
            )
        } else {
            format!(
                "here {other_fn} locks `{}`{other_how} while holding `{}`",
                guards[other.inner].lock_path, guards[other.outer].lock_path
            )
        },
    });
    let severity =
        if site.confidence.min(other.confidence) == Confidence::Same && blocks(site, other, ctx) {
            Severity::Error
        } else {
            Severity::Warning
        };
    Finding {
        tier: crate::analysis::Tier::Syntax,
        rule: RuleId::LockOrderInversion,
        severity,
        range: syntax::to_range(site.at),
        message,
        labels,
        help: Some(format!(
            "take the two locks in one order everywhere (for example `{}` before `{}` in both places), or release \
             the first before taking the second",
            first_in_order.lock_path, second_in_order.lock_path
        )),
        fix,
    }
}

fn function_name(node: &SyntaxNode) -> String {
    node.ancestors()
        .find_map(ast::Fn::cast)
        .and_then(|f| f.name())
        .map_or_else(
            || "another place".to_string(),
            |n| format!("`fn {}`", n.text()),
        )
}

/// Which lock a guard takes, as a key that is equal for the same lock in two functions.
fn lock_class(ctx: &Context<'_>, guard: &Guard) -> Option<(String, Confidence)> {
    if guard.kind.is_cell() {
        return None;
    }
    let identity = guard.identity.as_str();
    // A call's result, or an element picked by an index (`shards[i]`), is not known to be the
    // same lock in two places.
    if identity.contains(['(', '[']) || identity.is_empty() {
        return None;
    }
    let (root, rest) = match identity.find('.') {
        Some(at) => (&identity[..at], &identity[at..]),
        None => (identity, ""),
    };
    let function = guard.call.syntax().ancestors().find_map(ast::Fn::cast);
    if root == "self" {
        let owner = self_type(guard.call.syntax())?;
        return Some((format!("{owner}{rest}"), Confidence::Same));
    }
    if root.contains("::") || ctx.scopes.decls.is_static(root) {
        return Some((identity.to_string(), Confidence::Same));
    }
    if let Some(f) = &function
        && !rest.is_empty()
        && let Some(ty) = param_type(f, root)
    {
        return Some((format!("{ty}{rest}"), Confidence::SameType));
    }
    // A local: only the same function can take it. A clone made outside the closure or async
    // block the guard lives in (`let l = left.clone(); spawn(async move { l.lock() })`) is
    // already the lock it clones in the guard's identity.
    let scope = function
        .as_ref()
        .map(|f| u32::from(f.syntax().text_range().start()))
        .unwrap_or_default();
    Some((format!("{scope}:{root}{rest}"), Confidence::Same))
}

/// The type an `impl` block is for (without generic arguments), or the trait a default method
/// belongs to.
fn self_type(node: &SyntaxNode) -> Option<String> {
    for ancestor in node.ancestors() {
        if let Some(imp) = ast::Impl::cast(ancestor.clone()) {
            let ty = syntax::compact_text(imp.self_ty()?.syntax());
            return Some(ty.split('<').next().unwrap_or_default().to_string());
        }
        if let Some(tr) = ast::Trait::cast(ancestor) {
            return Some(format!("dyn {}", tr.name()?.text()));
        }
    }
    None
}

/// The type of the parameter `name` of `f`, without references and the usual shared-state
/// wrappers (`&Arc<AppState>`, `State<Arc<AppState>>`, `web::Data<AppState>` → `AppState`).
fn param_type(f: &ast::Fn, name: &str) -> Option<String> {
    let param = f.param_list()?.params().find(|p| {
        p.pat().is_some_and(|pat| {
            syntax::pattern_bindings(&pat)
                .iter()
                .any(|b| syntax::ident_name(b) == name)
        })
    })?;
    let mut ty = syntax::compact_text(param.ty()?.syntax());
    loop {
        let before = ty.clone();
        ty = ty.trim_start_matches('&').to_string();
        if let Some(rest) = ty.strip_prefix('\'') {
            ty = rest
                .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_')
                .to_string();
        }
        ty = ty.trim_start_matches("mut").to_string();
        for wrapper in [
            "Arc<",
            "Rc<",
            "Box<",
            "State<",
            "Extension<",
            "Data<",
            "web::Data<",
        ] {
            let bare = wrapper.trim_end_matches('<');
            if let Some(inner) = ty.strip_prefix(wrapper)
                && let Some(inner) = inner.strip_suffix('>')
            {
                ty = inner.to_string();
            } else if let Some(inner) = ty.strip_prefix(&format!("{bare}::<")) {
                ty = inner.trim_end_matches('>').to_string();
            }
        }
        if ty == before {
            break;
        }
    }
    // A parameter that is itself the lock says nothing about which lock it is.
    let is_lock = ["Mutex<", "RwLock<", "Mutex", "RwLock"]
        .iter()
        .any(|l| ty.starts_with(l) || ty.contains(&format!("::{l}")));
    (!is_lock && !ty.is_empty()).then_some(ty)
}

/// The body of the one method called `name` in this file, in an `impl` of the same type as
/// `from`; `None` when there is none or several.
fn single_method(ctx: &Context<'_>, name: &str, from: &ast::Expr) -> Option<SyntaxNode> {
    let owner = self_type(from.syntax())?;
    // Methods of the same name on other types of the file (two structs with a `remove`) are not
    // the callee; two of the same type (in `impl` blocks under different `cfg`s) are ambiguous.
    let mut same_type = ctx
        .scopes
        .decls
        .functions_named(name)
        .iter()
        .filter(|f| self_type(f.syntax()).as_deref() == Some(owner.as_str()));
    let only = same_type.next()?;
    same_type.next().is_none().then(|| only.syntax().clone())
}

#[cfg(test)]
mod tests {
    use crate::model::{Applicability, Finding, Fix, RuleId, Severity};
    use crate::test_support::{code_block, findings};

    const SCAFFOLD: &str = "use std::collections::HashMap;\nuse std::sync::Mutex;\n\
        struct Bank { accounts: Mutex<HashMap<u32, u64>>, journal: Mutex<Vec<String>> }\n";

    #[test]
    fn the_documented_example_is_reported_at_both_sites_and_fixed_at_one() {
        let doc = super::DOC.explanation;
        let before = format!("{SCAFFOLD}{}", code_block(doc, "## Example"));
        let found = findings(&before, RuleId::LockOrderInversion);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().all(|f| f.severity == Severity::Error));
        let fixes: Vec<&Fix> = found.iter().filter_map(|f| f.fix.as_ref()).collect();
        assert_eq!(fixes.len(), 1, "swapping both places keeps them inverted");
        assert_eq!(
            fixes[0].applicability,
            Applicability::Unsafe,
            "std's locks poison"
        );
        let mut fixed = before.clone();
        for edit in fixes[0].edits.iter().rev() {
            fixed.replace_range(edit.range.clone(), &edit.replacement);
        }
        let after = format!("{SCAFFOLD}{}", code_block(doc, "## Use instead"));
        assert_eq!(fixed, after);
        assert!(findings(&after, RuleId::LockOrderInversion).is_empty());
    }

    #[test]
    fn the_order_more_places_use_is_kept() {
        let src = "struct S { a: parking_lot::Mutex<u32>, b: parking_lot::Mutex<u32> }\n\
                   impl S {\n\
                   fn f(&self) -> u32 { let a = self.a.lock(); let b = self.b.lock(); *a + *b }\n\
                   fn g(&self) -> u32 { let b = self.b.lock(); let a = self.a.lock(); *a + *b }\n\
                   fn h(&self) -> u32 { let a = self.a.lock(); let b = self.b.lock(); *a * *b }\n\
                   }\n";
        let found = findings(src, RuleId::LockOrderInversion);
        let fixed: Vec<&Finding> = found.iter().filter(|f| f.fix.is_some()).collect();
        assert_eq!(fixed.len(), 1, "{found:#?}");
        assert!(
            src[fixed[0].range.clone()].starts_with("self.a.lock()"),
            "g is rewritten"
        );
        assert_eq!(
            fixed[0].fix.as_ref().map(|f| f.applicability),
            Some(Applicability::Unsafe),
            "other files are not counted"
        );
    }

    #[test]
    fn acquisitions_with_work_between_them_or_effects_of_their_own_are_not_swapped() {
        // `g` is the odd one out against `f` and `h`: it is the place that would be rewritten.
        let with_g = |g: &str| {
            format!(
                "use std::sync::Mutex;\n\
                 struct S {{ a: Mutex<u32>, b: Mutex<u32> }}\n\
                 fn log() -> String {{ String::new() }}\n\
                 impl S {{\n\
                 fn f(&self) -> u32 {{ let a = self.a.lock().unwrap(); log(); let b = self.b.lock().unwrap(); *a + *b }}\n\
                 fn h(&self) -> u32 {{ let a = self.a.lock().unwrap(); let b = self.b.lock().unwrap(); *a * *b }}\n\
                 fn g(&self) -> u32 {{ {g} }}\n\
                 }}\n"
            )
        };
        for g in [
            "let b = self.b.lock().unwrap(); log(); let a = self.a.lock().unwrap(); *a + *b",
            "let b = self.b.lock().unwrap(); let a = self.a.lock().expect(&log()); *a + *b",
            "let b = self.b.lock().unwrap();\n// b first: see f\nlet a = self.a.lock().unwrap(); *a + *b",
            "let g = self.b.lock().unwrap(); let g = self.a.lock().unwrap(); *g",
        ] {
            let found = findings(&with_g(g), RuleId::LockOrderInversion);
            assert_eq!(found.len(), 3, "{g}: {found:#?}");
            assert!(found.iter().all(|f| f.fix.is_none()), "{g}: {found:#?}");
        }
        let control = "let b = self.b.lock().unwrap(); let a = self.a.lock().unwrap(); *a + *b";
        let found = findings(&with_g(control), RuleId::LockOrderInversion);
        assert_eq!(
            found.iter().filter(|f| f.fix.is_some()).count(),
            1,
            "{found:#?}"
        );
    }

    #[test]
    fn a_place_is_not_rewritten_only_because_the_other_cannot_be() {
        // `f` breaks the order `g` keeps, with work between its two locks: `g` stays as it is.
        let src = "struct S { a: parking_lot::Mutex<u32>, b: parking_lot::Mutex<u32> }\n\
                   fn log() {}\n\
                   impl S {\n\
                   fn f(&self) -> u32 { let b = self.b.lock(); log(); let a = self.a.lock(); *a + *b }\n\
                   fn g(&self) -> u32 { let a = self.a.lock(); let b = self.b.lock(); *a * *b }\n\
                   }\n";
        let found = findings(src, RuleId::LockOrderInversion);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().all(|f| f.fix.is_none()), "{found:#?}");
    }

    #[test]
    fn two_readers_never_wait_for_each_other() {
        let src = "struct S { a: std::sync::RwLock<u32>, b: std::sync::RwLock<u32> }\n\
                   impl S {\n\
                   fn f(&self) -> u32 { let a = self.a.read().unwrap(); let b = self.b.read().unwrap(); *a + *b }\n\
                   fn g(&self) -> u32 { let b = self.b.read().unwrap(); let a = self.a.read().unwrap(); *a + *b }\n\
                   }\n";
        let found = findings(src, RuleId::LockOrderInversion);
        assert!(
            found.iter().all(|f| f.severity == Severity::Warning),
            "{found:#?}"
        );
    }
}
