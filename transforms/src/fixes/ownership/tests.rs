//! What the syntax tier proves owned, and how it makes a borrowed value owned.

use super::*;
use ra_ap_syntax::{Edition, SourceFile};

fn check(init: &str) -> Ownership {
    let src = format!(
        "fn f() {{ let x = {init}; }}\nfn owned_thing(&self) -> Vec<u8> {{ todo!() }}\nfn borrowed_thing(&self) -> &[u8] {{ todo!() }}"
    );
    let file = SourceFile::parse(&src, Edition::Edition2021).tree();
    let expr = file
        .syntax()
        .descendants()
        .find_map(ast::LetStmt::cast)
        .and_then(|l| l.initializer())
        .unwrap();
    ownership(&expr, &["g".to_string()], file.syntax())
}

#[test]
fn owned_shapes() {
    for init in [
        "g.len()",
        "g.get(&k).cloned()",
        "g.count",
        "*g",
        "g.count + 1",
        "other.len()",
        "g.is_some() && ok",
        "g.owned_thing()",
        "g.iter().cloned().collect::<Vec<_>>()",
        "g.get(&k).cloned().unwrap_or_default()",
        "(g.a, g.b.clone())",
        "g.get(&k).map(|v| v.is_empty())",
    ] {
        assert_eq!(check(init), Ownership::Owned, "{init}");
    }
}

#[test]
fn possibly_borrowed_shapes() {
    for init in [
        "&g.count",
        "g.get(&k)",
        "g.borrowed_thing()",
        "g.iter().collect::<Vec<_>>()",
        "g.get(&k).unwrap()",
        "g",
        "g.unknown_method()?",
        "g.get(&k).map(|v| v)",
        "g.get(&k).map(|v| &v.name)",
    ] {
        assert_eq!(check(init), Ownership::Unknown, "{init}");
    }
}

#[test]
fn branch_values_are_owned_when_every_branch_is() {
    for init in [
        "match g.owned_thing() { Some(t) => t.range(), None => return }",
        "match g.get(&k) { Some(v) => v.len(), None => 0 }",
        "match g.owned_thing() { Some(t) => { t.range() } None => { return; } }",
        "if let Some(t) = g.get(&k).cloned() { t } else { Vec::new() }",
        "if g.is_empty() { 0 } else { g.len() }",
        "if g.is_empty() { 0 } else if ok { 1 } else { g.count }",
        "{ g.touch(); g.len() }",
        "{ g.touch(); match g.owned_thing() { Some(t) => t.collect(), _ => Vec::new() } }",
    ] {
        assert_eq!(check(init), Ownership::Owned, "{init}");
    }
    for init in [
        "match g.get(&k) { Some(v) => v, None => return }",
        "match g.owned_thing() { Some(ref t) => t, None => return }",
        "match g.owned_thing() { Some(t) => { let r = &g.x; r } None => return }",
        "if let Some(v) = g.get(&k) { v } else { &DEFAULT }",
        "if g.is_empty() { &g.a } else { &g.b }",
        "if let Some(a) = g.get(&k) && let Some(b) = a.x { b } else { 0 }",
        "{ let r = &g.x; r }",
        "{ g.touch(); &g.x }",
        "async { g.len() }",
    ] {
        assert_eq!(check(init), Ownership::Unknown, "{init}");
    }
}

fn copy(init: &str) -> Option<(OwningCopy, String)> {
    let src = format!(
        "fn f() {{ let x = {init}; }}\nfn name_ref(&self) -> &str {{ todo!() }}\nfn entry(&self) -> Option<&Entry> {{ todo!() }}"
    );
    let file = SourceFile::parse(&src, Edition::Edition2021).tree();
    let expr = file
        .syntax()
        .descendants()
        .find_map(ast::LetStmt::cast)
        .and_then(|l| l.initializer())
        .unwrap();
    owning_copy(&expr, &["g".to_string()], file.syntax()).map(|c| (c, c.apply(&expr)))
}

#[test]
fn borrowed_shapes_get_an_owning_copy() {
    for (init, expected) in [
        ("&g.name", "g.name.clone()"),
        ("&g", "(*g).clone()"),
        ("&*g", "(*g).clone()"),
        ("g.get(&k)", "g.get(&k).cloned()"),
        ("g.get(&k).unwrap()", "g.get(&k).unwrap().clone()"),
        ("g.as_ref().ok_or(E)?", "g.as_ref().ok_or(E)?.clone()"),
        ("g.as_ref().ok_or(E)", "g.as_ref().ok_or(E).cloned()"),
        ("g.name.as_str()", "g.name.as_str().to_owned()"),
        (
            "g.name.as_deref()",
            "g.name.as_deref().map(ToOwned::to_owned)",
        ),
        ("g.name_ref()", "g.name_ref().to_owned()"),
        ("g.entry()", "g.entry().cloned()"),
    ] {
        assert_eq!(copy(init).map(|c| c.1).as_deref(), Some(expected), "{init}");
    }
}

#[test]
fn owned_or_unknown_shapes_get_no_copy() {
    for init in [
        "g.len()",
        "g.get(&k).cloned()",
        "g",
        "g.unknown_method()",
        "other.get(&g.key)",
        "&mut g.name",
        "g.iter()",
        "g.get(&k).map(|v| v)",
        // Borrowed to write through: a copy would take the writes away from the guarded data.
        "g.get_mut(&k)",
        "g.get_mut(&k).unwrap()",
        "g.items.first_mut().ok_or(E)?",
        "g.as_mut()",
    ] {
        assert_eq!(copy(init), None, "{init}");
    }
}
