//! Blocking work a call does: a [`BLOCKING`] entry it matches itself, a synchronous receive whose
//! result is used at once (`rx.recv()?`), or such a call in the body of the synchronous function it
//! calls — one of the same file, or one the crate index knows the package declares once.
//!
//! Invariants: an awaited call never blocks through a helper; a helper is followed one level deep,
//! and only when exactly one function of that name is in reach; an `async fn` does no blocking work
//! when called. [`may_block`] answers `false` only for text that surely makes no built-in call.

use ra_ap_syntax::{AstNode, SyntaxKind, ast};

use super::Awaited::No;
use super::matching::find;
use super::{BLOCKING, Blocking, CallPattern, Extra, Matched, p};
use crate::analysis::crate_index::CrateIndex;
use crate::analysis::events::{Call, CallKind};
use crate::analysis::file_index;

/// The blocking-list entry `call` matches: directly, or through a synchronous function that makes
/// such a call in its own body — one of the same file (`generate_token(..)` wrapping
/// `jsonwebtoken::encode`), or one the package declares once (`cache_item.wait()` where the
/// crate's only `fn wait` receives from a channel), when the front end built the crate index. One
/// level deep: a wrapper of a wrapper is not followed.
pub fn blocking(
    call: &Call,
    extra: &Extra,
    crate_index: Option<&CrateIndex>,
) -> Option<Matched<Blocking>> {
    direct_blocking(call, extra)
        .or_else(|| blocking_in_helper(call, extra))
        .or_else(|| blocking_in_crate(call, crate_index?))
}

/// The blocking work a synchronous function does in its own body (and in closures it calls at
/// once); `None` for an `async fn`, which only builds a future when called.
pub fn function_blocks(function: &ast::Fn, extra: &Extra) -> Option<Matched<Blocking>> {
    if function.async_token().is_some() {
        return None;
    }
    crate::analysis::events::calls_where(function.syntax(), |_, _| true)
        .iter()
        .find_map(|call| direct_blocking(call, extra))
}

/// A function of the package, resolved by its name in the crate index (names declared once, not
/// common ones), that blocks in its body.
fn blocking_in_crate(call: &Call, crate_index: &CrateIndex) -> Option<Matched<Blocking>> {
    if call.awaited {
        return None;
    }
    let name = match call.kind {
        CallKind::Method => call.callee.as_str(),
        CallKind::Path => call.callee.rsplit("::").next()?,
        CallKind::Macro => return None,
    };
    Some(Matched {
        pattern: crate_index.blocking_function(name)?,
        root: None,
        via: Some(name.to_string()),
    })
}

/// Words of which every call the built-in list ([`BLOCKING`]) and [`blocking_receive`] match
/// contains one, in the call, in the `use` item that imports it or in the declared type it needs
/// (`fs::` for `std::fs::write`, for `use std::fs::File;` and for `file: std::fs::File`; `thread`
/// for `thread::sleep`, `use std::thread::sleep;`, `thread::spawn(f).join()`, `thread::scope`;
/// `recv`, `bcrypt`…). A file with none of them makes no such call, and need not be parsed to be
/// sure.
#[rustfmt::skip]
const BLOCKING_WORDS: &[&str] = &[
    "fs::", "thread", "recv", "block_on", "block_in_place", "spawn_blocking", "process::",
    "Command", "net::", "TcpStream", "TcpListener", "UdpSocket", "to_socket_addrs", "reqwest",
    "ureq", "bcrypt", "argon2", "scrypt", "pbkdf2", "jsonwebtoken", "hash_password",
    "verify_password",
];

/// Whether `text` may make a call of the built-in blocking list: `false` only when it surely
/// makes none.
pub fn may_block(text: &str) -> bool {
    BLOCKING_WORDS.iter().any(|word| text.contains(word))
}

/// The blocking-list entry `call` itself matches, not through a function around it.
pub fn direct_blocking(call: &Call, extra: &Extra) -> Option<Matched<Blocking>> {
    find(BLOCKING, call)
        .or_else(|| find(extra.blocking, call))
        .or_else(|| blocking_receive(call))
}

const BLOCKING_RECEIVE: CallPattern<Blocking> =
    p(".recv", No, Blocking::Wait, "waiting for a message");

/// `rx.recv()` whose result is used at once as a `Result` (`.recv()?`, `.recv().unwrap()`,
/// `match rx.recv() { Ok(m) => .. }`, `while let Ok(m) = rx.recv()`): std's, crossbeam's and
/// other synchronous channels' receive, which blocks the thread until a message comes. An async
/// channel's `recv()` is a future: awaited, or handed on (`select(rx.recv(), ..)`), never used
/// that way.
fn blocking_receive(call: &Call) -> Option<Matched<Blocking>> {
    let method = ast::MethodCallExpr::cast(call.node.clone())?;
    let name = method.name_ref()?;
    if call.awaited || !matches!(name.text(), "recv" | "recv_timeout" | "recv_deadline") {
        return None;
    }
    let parent = call.node.parent()?;
    let used_as_result = match parent.kind() {
        SyntaxKind::TRY_EXPR => true,
        SyntaxKind::METHOD_CALL_EXPR => ast::MethodCallExpr::cast(parent).is_some_and(|m| {
            m.receiver().is_some_and(|r| r.syntax() == &call.node)
                && m.name_ref().is_some_and(|n| {
                    matches!(
                        n.text(),
                        "unwrap"
                            | "expect"
                            | "map_err"
                            | "ok"
                            | "is_ok"
                            | "is_err"
                            | "unwrap_or"
                            | "unwrap_or_default"
                            | "unwrap_or_else"
                            | "context"
                            | "with_context"
                    )
                })
        }),
        SyntaxKind::MATCH_EXPR | SyntaxKind::LET_EXPR => true,
        _ => false,
    };
    used_as_result.then_some(Matched {
        pattern: &BLOCKING_RECEIVE,
        root: None,
        via: None,
    })
}

fn blocking_in_helper(call: &Call, extra: &Extra) -> Option<Matched<Blocking>> {
    if call.awaited {
        return None;
    }
    let name = match call.kind {
        CallKind::Path if !call.callee.contains("::") => call.callee.as_str(),
        CallKind::Method if call.receiver.as_deref() == Some("self") => call.callee.as_str(),
        _ => return None,
    };
    let file = call.node.ancestors().last()?;
    let helpers: Vec<ast::Fn> = file_index::with(&file, |index| {
        index.functions_named(name).cloned().collect()
    });
    let [helper] = helpers.as_slice() else {
        // None, or two functions of that name: which one runs needs types.
        return None;
    };
    let found = function_blocks(helper, extra)?;
    Some(Matched {
        via: Some(name.to_string()),
        ..found
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::classify;
    use super::*;

    fn blocking_what(call: &Call) -> Option<&'static str> {
        blocking(call, &Extra::default(), None).map(|m| m.pattern.what)
    }

    #[test]
    fn blocking_calls_by_path_method_and_chain() {
        let src = "use std::{fs, thread};\nuse std::process::Command;\n\
                   fn helper() { jsonwebtoken::encode(&h, &c, &k); }\n\
                   async fn f(client: reqwest::blocking::Client) {\n\
                   fs::read(p); thread::sleep(d); Command::new(\"git\").arg(\"x\").output();\n\
                   let h = thread::spawn(w); h.join(); client.get(u).send();\n\
                   tokio::task::spawn_blocking(w).await; tokio::task::spawn_blocking(w);\n\
                   argon.hash_password(pw, salt); helper(); tokio::fs::read(p).await; }";
        let found: Vec<String> = classify(src, blocking_what)
            .into_iter()
            .map(|(callee, _)| callee)
            .collect();
        assert_eq!(
            found,
            [
                "fs::read",
                "thread::sleep",
                "output",
                "join",
                "send",
                "tokio::task::spawn_blocking",
                "hash_password",
                "helper"
            ]
        );
    }
}
