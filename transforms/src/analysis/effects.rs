//! What a call does that should not happen while a lock is held: blocking or CPU-heavy work
//! ([`BLOCKING`]) and emission — spawned tasks, awaited sends and events, callbacks
//! ([`EMITTERS`]). Both lists are data, so that configuration can extend them later; a pattern is a
//! string in a small grammar:
//!
//! - `bcrypt::verify` — a function called by path, after the file's `use` items are applied
//!   (`verify(..)` after `use bcrypt::verify;`). The pattern's segments must equal the callee's
//!   last segments; `*` matches any one segment, `name*` a segment starting with `name`.
//! - `.hash_password` — a method of that name on any receiver (names specific enough to mean one
//!   API). `.spawn(..)` requires at least one argument (`Command::spawn()` takes none).
//! - `std::thread::spawn().join` — a method on a chain that starts with a call of the path
//!   (`thread::spawn(f).join()`), on a binding initialised by one (`let h = thread::spawn(f);
//!   h.join()`), or on a binding or field declared with the type the path names without its last
//!   segment (`client: reqwest::blocking::Client` for `reqwest::blocking::Client::*().send`).
//!
//! [`Awaited`] says whether the call must be awaited (`spawn_blocking(..).await`), must not be
//! (`bcrypt::hash`), or either (`tokio::spawn`). [`matches`] takes any [`CallPattern`], so entries
//! read from a configuration file in the same grammar can join the built-in lists. Callbacks — calling a closure that came from
//! elsewhere — are recognised by shape and by a listener-like name ([`is_callback`]).

use std::collections::HashMap;

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasArgList, HasLoopBody, HasName},
};

use super::crate_index::CrateIndex;
use super::events::{Call, CallKind};
use super::{paths, syntax};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaited {
    No,
    Yes,
    Either,
}

/// What blocking work does; decides whether moving it out of the lock can reorder anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocking {
    /// Pure computation (hashing, signing): nothing observable depends on the lock being held.
    Cpu,
    Sleep,
    /// File, network or process IO: the lock may be what keeps concurrent writers in order.
    Io,
    /// Waiting for other work (a thread, a blocking task, a future): that work may touch what the
    /// lock protects.
    Wait,
}

impl Blocking {
    /// Whether the lock may be ordering this work against other holders' work.
    pub fn has_side_effects(self) -> bool {
        matches!(self, Blocking::Io | Blocking::Wait)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emission {
    /// A task or thread started: it runs concurrently whatever the lock says.
    Spawn,
    /// A channel send that waits (for capacity, for the receiver).
    Send,
    /// An awaited `emit`/`publish`/`notify`-style call.
    Emit,
    /// A closure that came from elsewhere, called under the lock: it may lock again.
    Callback,
}

impl Emission {
    /// Whether emitting after the lock is released may let concurrent callers' events arrive in
    /// a different order than their state changes. A spawned task was never ordered by the lock.
    pub fn ordered_by_lock(self) -> bool {
        !matches!(self, Emission::Spawn)
    }
}

/// One entry of a list: the call, whether it is awaited, what it is, and words for messages.
#[derive(Debug, Clone, Copy)]
pub struct CallPattern<K> {
    pub call: &'static str,
    pub awaited: Awaited,
    pub kind: K,
    pub what: &'static str,
}

const fn p<K>(call: &'static str, awaited: Awaited, kind: K, what: &'static str) -> CallPattern<K> {
    CallPattern {
        call,
        awaited,
        kind,
        what,
    }
}

use Awaited::{Either, No, Yes};

/// CPU-heavy or blocking work (seed 003's forbidden operations).
#[rustfmt::skip]
pub const BLOCKING: &[CallPattern<Blocking>] = &[
    p("bcrypt::hash*", No, Blocking::Cpu, "bcrypt password hashing"),
    p("bcrypt::verify", No, Blocking::Cpu, "bcrypt password verification"),
    p("bcrypt::non_truncating_*", No, Blocking::Cpu, "bcrypt password hashing"),
    // The `password-hash` traits that argon2, scrypt, pbkdf2 and balloon-hash implement.
    p(".hash_password*", No, Blocking::Cpu, "password hashing"),
    p(".verify_password", No, Blocking::Cpu, "password verification"),
    // rust-argon2's free functions.
    p("argon2::hash_*", No, Blocking::Cpu, "argon2 password hashing"),
    p("argon2::verify_*", No, Blocking::Cpu, "argon2 password verification"),
    p("scrypt::scrypt*", No, Blocking::Cpu, "scrypt key derivation"),
    p("pbkdf2::pbkdf2*", No, Blocking::Cpu, "PBKDF2 key derivation"),
    p("ring::pbkdf2::derive", No, Blocking::Cpu, "PBKDF2 key derivation"),
    p("ring::pbkdf2::verify", No, Blocking::Cpu, "PBKDF2 verification"),
    p("jsonwebtoken::encode", No, Blocking::Cpu, "JWT signing"),
    p("jsonwebtoken::decode", No, Blocking::Cpu, "JWT verification"),
    p("std::fs::*", No, Blocking::Io, "blocking file-system IO"),
    p("std::fs::File::open", No, Blocking::Io, "blocking file-system IO"),
    p("std::fs::File::create*", No, Blocking::Io, "blocking file-system IO"),
    p("std::fs::OpenOptions::*().open", No, Blocking::Io, "blocking file-system IO"),
    p("std::thread::sleep*", No, Blocking::Sleep, "a thread sleep"),
    p("std::net::TcpStream::connect*", No, Blocking::Io, "a blocking network connect"),
    p("std::net::TcpListener::bind", No, Blocking::Io, "a blocking socket bind"),
    p("std::net::UdpSocket::bind", No, Blocking::Io, "a blocking socket bind"),
    p(".to_socket_addrs", No, Blocking::Io, "a blocking DNS lookup"),
    p("reqwest::blocking::*", No, Blocking::Io, "a blocking HTTP request"),
    p("reqwest::blocking::Client::*().send", No, Blocking::Io, "a blocking HTTP request"),
    p("ureq::*().call", No, Blocking::Io, "a blocking HTTP request"),
    p("ureq::*().send*", No, Blocking::Io, "a blocking HTTP request"),
    p("ureq::Agent::*().call", No, Blocking::Io, "a blocking HTTP request"),
    p("std::process::Command::*().output", No, Blocking::Io, "running a process to completion"),
    p("std::process::Command::*().status", No, Blocking::Io, "running a process to completion"),
    p("std::process::Command::*().wait*", No, Blocking::Io, "waiting for a process"),
    p("tokio::task::spawn_blocking", Yes, Blocking::Wait, "waiting for a blocking task"),
    p(".spawn_blocking(..)", Yes, Blocking::Wait, "waiting for a blocking task"),
    p("std::thread::spawn().join", No, Blocking::Wait, "joining a thread"),
    p("std::thread::JoinHandle::join", No, Blocking::Wait, "joining a thread"),
    p("std::thread::ScopedJoinHandle::join", No, Blocking::Wait, "joining a thread"),
    p("std::fs::File::*().sync_all", No, Blocking::Io, "flushing a file to disk"),
    p("std::fs::File::*().sync_data", No, Blocking::Io, "flushing a file to disk"),
    p("std::process::Command::*().spawn().wait*", No, Blocking::Io, "waiting for a process"),
    p("std::net::TcpStream::*().read*", No, Blocking::Io, "blocking network IO"),
    p("std::net::TcpStream::*().write*", No, Blocking::Io, "blocking network IO"),
    p("std::thread::Builder::*().join", No, Blocking::Wait, "joining a thread"),
    p("std::thread::scope", No, Blocking::Wait, "waiting for scoped threads"),
    p("futures::executor::block_on", No, Blocking::Wait, "blocking on a future"),
    p(".block_on", No, Blocking::Wait, "blocking on a future"),
    p("tokio::task::block_in_place", No, Blocking::Wait, "blocking the executor thread"),
    // tokio's mpsc/oneshot receivers: waits on the thread for a message. (`blocking_send` is left
    // out: sqlx has a non-blocking method of that name.)
    p(".blocking_recv", No, Blocking::Wait, "waiting for a message"),
];

/// Emission: tasks spawned, sends and events awaited. Synchronous sends that never wait
/// (`broadcast::Sender::send`, `UnboundedSender::send`, `try_send`) are deliberately absent: they
/// are fine under a lock.
#[rustfmt::skip]
pub const EMITTERS: &[CallPattern<Emission>] = &[
    p("tokio::spawn", Either, Emission::Spawn, "a spawned task"),
    p("tokio::task::spawn", Either, Emission::Spawn, "a spawned task"),
    p("tokio::task::spawn_local", Either, Emission::Spawn, "a spawned task"),
    p("tokio::task::spawn_blocking", No, Emission::Spawn, "a spawned blocking task"),
    p("async_std::task::spawn*", Either, Emission::Spawn, "a spawned task"),
    p("smol::spawn", Either, Emission::Spawn, "a spawned task"),
    p("actix_rt::spawn", Either, Emission::Spawn, "a spawned task"),
    p("std::thread::spawn", No, Emission::Spawn, "a spawned thread"),
    // `rt.spawn(fut)`, `Handle::current().spawn(fut)`, `join_set.spawn(fut)`, `Builder::spawn(f)`.
    p(".spawn(..)", Either, Emission::Spawn, "a spawned task"),
    p(".spawn_local(..)", Either, Emission::Spawn, "a spawned task"),
    p(".spawn_blocking(..)", No, Emission::Spawn, "a spawned blocking task"),
    // With a value: `tx.send(v).await`. `request.send().await` (reqwest, hyper) is an HTTP request,
    // and a token refresh under an async lock is a deliberate single-flight hold.
    p(".send*(..)", Yes, Emission::Send, "an awaited send"),
    p(".reserve*", Yes, Emission::Send, "waiting for channel capacity"),
    p(".emit*", Yes, Emission::Emit, "an awaited event emission"),
    p(".publish*", Yes, Emission::Emit, "an awaited publish"),
    p(".notify*", Yes, Emission::Emit, "an awaited notification"),
    p(".broadcast*", Yes, Emission::Emit, "an awaited broadcast"),
    p(".dispatch*", Yes, Emission::Emit, "an awaited dispatch"),
    p("emit*", Yes, Emission::Emit, "an awaited event emission"),
    p("publish*", Yes, Emission::Emit, "an awaited publish"),
    p("notify*", Yes, Emission::Emit, "an awaited notification"),
    p("dispatch*", Yes, Emission::Emit, "an awaited dispatch"),
];

const CALLBACK: CallPattern<Emission> = p("(callback)", Either, Emission::Callback, "a callback");

/// Entries a user's configuration adds to [`BLOCKING`] and [`EMITTERS`], in the same grammar.
///
/// The slices are `'static` because a [`Matched`] points at its pattern; the command line builds
/// them once per process from the configuration file (see `Extra::leak`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra {
    pub blocking: &'static [CallPattern<Blocking>],
    pub emitters: &'static [CallPattern<Emission>],
    /// Type names of the user's own locks (`TrackedMutex`): declarations with these types are
    /// locks, blocking unless their path names a known async crate.
    pub lock_types: &'static [&'static str],
}

impl Extra {
    /// Builds the lists from configured call patterns: blocking entries count as blocking IO (the
    /// most careful kind: a fix that moves them out of the lock is unsafe), emitters as awaited
    /// `emit`-style events. Leaks them, which is right for settings that live as long as the process.
    pub fn leak(blocking: &[String], emitters: &[String], lock_types: &[String]) -> Extra {
        fn leak_str(text: &str) -> &'static str {
            Box::leak(text.to_owned().into_boxed_str())
        }
        let blocking: Vec<CallPattern<Blocking>> = blocking
            .iter()
            .map(|call| p(leak_str(call), Either, Blocking::Io, leak_str(call)))
            .collect();
        let emitters: Vec<CallPattern<Emission>> = emitters
            .iter()
            .map(|call| p(leak_str(call), Either, Emission::Emit, leak_str(call)))
            .collect();
        let lock_types: Vec<&'static str> = lock_types
            .iter()
            .map(|name| leak_str(name.rsplit("::").next().unwrap_or(name)))
            .collect();
        Extra {
            blocking: Box::leak(blocking.into_boxed_slice()),
            emitters: Box::leak(emitters.into_boxed_slice()),
            lock_types: Box::leak(lock_types.into_boxed_slice()),
        }
    }
}

/// A call that matched a pattern.
#[derive(Debug, Clone)]
pub struct Matched<K: 'static> {
    pub pattern: &'static CallPattern<K>,
    /// For a chain pattern, the call the chain starts from (`thread::spawn(f)` of
    /// `thread::spawn(f).join()`), wherever it is.
    pub root: Option<SyntaxNode>,
    /// The function of this file through which the call does the work (`generate_token` for a
    /// `jsonwebtoken::encode` inside it), when it does not do it directly.
    pub via: Option<String>,
}

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
    super::events::calls_where(function.syntax(), |_, _| true)
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

/// The functions of `file` named `name`. Every call in every guard's region asks, so the index is
/// built once per file (per thread: files are analysed one at a time on each worker) instead of
/// walking the whole tree per call.
fn functions_named(file: &SyntaxNode, name: &str) -> Vec<ast::Fn> {
    /// A file's root and its functions by name.
    type FnIndex = Option<(SyntaxNode, HashMap<String, Vec<ast::Fn>>)>;
    thread_local! {
        static INDEX: std::cell::RefCell<FnIndex> = const { std::cell::RefCell::new(None) };
    }
    INDEX.with(|index| {
        let mut index = index.borrow_mut();
        if index.as_ref().is_none_or(|(root, _)| root != file) {
            let mut by_name: HashMap<String, Vec<ast::Fn>> = HashMap::new();
            for f in file.descendants().filter_map(ast::Fn::cast) {
                if let Some(n) = f.name() {
                    by_name.entry(n.text().to_string()).or_default().push(f);
                }
            }
            *index = Some((file.clone(), by_name));
        }
        index
            .as_ref()
            .and_then(|(_, by_name)| by_name.get(name).cloned())
            .unwrap_or_default()
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
    let helpers = functions_named(&file, name);
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

/// The emitter-list entry `call` matches, or the callback entry.
pub fn emission(call: &Call, extra: &Extra) -> Option<Matched<Emission>> {
    find(EMITTERS, call)
        .or_else(|| find(extra.emitters, call))
        .or_else(|| {
            is_callback(call).then_some(Matched {
                pattern: &CALLBACK,
                root: None,
                via: None,
            })
        })
}

/// A call of a closure that came from elsewhere, whatever it is named (`f(event)` for a parameter
/// `f: impl Fn(Event)`): for the shapes where the name does not matter.
pub fn any_callback(call: &Call) -> Option<Matched<Emission>> {
    callback_source(call).map(|_| Matched {
        pattern: &CALLBACK,
        root: None,
        via: None,
    })
}

fn find<K>(table: &'static [CallPattern<K>], call: &Call) -> Option<Matched<K>> {
    // Resolving the callee walks the `use` items in scope: do it once per call, not per pattern.
    let resolved = std::cell::OnceCell::new();
    table.iter().find_map(|pattern| {
        matches_resolved(pattern, call, &resolved).map(|root| Matched {
            pattern,
            root,
            via: None,
        })
    })
}

/// `Some(root)` when `call` matches `pattern` (`root` as in [`Matched::root`]).
pub fn matches<K>(pattern: &CallPattern<K>, call: &Call) -> Option<Option<SyntaxNode>> {
    matches_resolved(pattern, call, &std::cell::OnceCell::new())
}

/// [`matches`], with the callee's resolved paths computed at most once into `resolved`.
fn matches_resolved<K>(
    pattern: &CallPattern<K>,
    call: &Call,
    resolved: &std::cell::OnceCell<Vec<String>>,
) -> Option<Option<SyntaxNode>> {
    let awaited_ok = match pattern.awaited {
        Awaited::No => !call.awaited,
        Awaited::Yes => call.awaited,
        Awaited::Either => true,
    };
    if !awaited_ok {
        return None;
    }
    if let Some((root, method)) = pattern.call.split_once("().") {
        let method_call = ast::MethodCallExpr::cast(call.node.clone())?;
        if !method_matches(method, &method_call) {
            return None;
        }
        return chain_root(method_call.receiver()?, root, 0);
    }
    if let Some(method) = pattern.call.strip_prefix('.') {
        let method_call = ast::MethodCallExpr::cast(call.node.clone())?;
        return method_matches(method, &method_call).then_some(None);
    }
    if call.kind != CallKind::Path {
        return None;
    }
    resolved
        .get_or_init(|| paths::resolve(&call.node, &call.callee))
        .iter()
        .any(|candidate| paths::path_matches(pattern.call, candidate))
        .then_some(None)
}

fn method_matches(pattern: &str, call: &ast::MethodCallExpr) -> bool {
    let (name, needs_argument) = match pattern.strip_suffix("(..)") {
        Some(name) => (name, true),
        None => (pattern, false),
    };
    let has_argument = call
        .arg_list()
        .is_some_and(|args| args.args().next().is_some());
    call.name_ref()
        .is_some_and(|n| paths::segment_matches(name, n.text()))
        && (has_argument || !needs_argument)
}

/// Walk a receiver chain down to where it starts and match that against `root` (a path pattern):
/// a call of that path, a binding initialised by one, or a binding or field whose declared type is
/// the path without its last segment. `depth` bounds binding-to-initializer hops.
fn chain_root(mut expr: ast::Expr, root: &str, depth: usize) -> Option<Option<SyntaxNode>> {
    loop {
        expr = match expr {
            ast::Expr::MethodCallExpr(m) => m.receiver()?,
            ast::Expr::TryExpr(t) => t.expr()?,
            ast::Expr::AwaitExpr(a) => a.expr()?,
            ast::Expr::ParenExpr(p) => p.expr()?,
            ast::Expr::RefExpr(r) => r.expr()?,
            ast::Expr::CallExpr(c) => {
                let ast::Expr::PathExpr(callee) = c.expr()? else {
                    return None;
                };
                let text = paths::path_text(&callee.path()?);
                let found = paths::resolve(c.syntax(), &text)
                    .iter()
                    .any(|candidate| paths::path_matches(root, candidate));
                return found.then(|| Some(c.syntax().clone()));
            }
            ast::Expr::PathExpr(path) => {
                let path = path.path()?;
                if path.qualifier().is_some() {
                    return None;
                }
                let name = path.segment()?.name_ref()?.text().to_string();
                if depth < 2
                    && let Some(init) = syntax::local_initializer_in_scope(path.syntax(), &name)
                    && let Some(found) = chain_root(init, root, depth + 1)
                {
                    return Some(found);
                }
                return declared_as(path.syntax(), &name, root).then_some(None);
            }
            ast::Expr::FieldExpr(field) => {
                let name = field.name_ref()?.text().to_string();
                return declared_as(field.syntax(), &name, root).then_some(None);
            }
            _ => return None,
        };
    }
}

/// Whether `name` is declared with the type `root` names without its last segment.
fn declared_as(at: &SyntaxNode, name: &str, root: &str) -> bool {
    let Some((ty, _)) = root.rsplit_once("::") else {
        return false;
    };
    paths::declared_types(at, name)
        .iter()
        .any(|t| paths::path_matches(ty, t))
}

/// Where a called closure comes from.
#[derive(Debug, Clone)]
pub enum CallbackSource {
    /// `(self.on_change)(x)`, `handlers[i](x)`: the expression holding it.
    Place(ast::Expr),
    /// A parameter of the enclosing function (`f: impl FnOnce(&mut T)`).
    Parameter,
    /// A local binding: the expression it was bound from (`for listener in &self.listeners` →
    /// `&self.listeners`, `let cb = self.cb.clone()` → `self.cb.clone()`).
    Binding(ast::Expr),
}

/// Where the called value comes from, when it is a closure or function value that came from
/// elsewhere: `(self.on_change)(x)`, `handlers[i](x)`, `callback(x)` where `callback` is a parameter
/// or a binding in scope that does not hold a closure written right there (calling your own
/// closure is just code).
pub fn callback_source(call: &Call) -> Option<CallbackSource> {
    if let Some(method) = ast::MethodCallExpr::cast(call.node.clone()) {
        return listener_method_source(call, &method);
    }
    let c = ast::CallExpr::cast(call.node.clone())?;
    match c.expr()? {
        ast::Expr::ParenExpr(inner) => {
            let inner = inner.expr()?;
            (!matches!(syntax::strip_wrappers(&inner), ast::Expr::ClosureExpr(_)))
                .then_some(CallbackSource::Place(inner))
        }
        ast::Expr::IndexExpr(index) => Some(CallbackSource::Place(ast::Expr::IndexExpr(index))),
        // `ack.callback.deref_mut()(..)`, `self.hook.as_ref()(..)`: a boxed closure in a place,
        // reached through the reference its box lends.
        ast::Expr::MethodCallExpr(lend)
            if lend.arg_list().is_some_and(|a| a.args().next().is_none())
                && lend.name_ref().is_some_and(|n| {
                    matches!(n.text(), "deref" | "deref_mut" | "as_ref" | "as_mut")
                }) =>
        {
            match lend.receiver()? {
                place @ (ast::Expr::FieldExpr(_) | ast::Expr::IndexExpr(_)) => {
                    Some(CallbackSource::Place(place))
                }
                _ => None,
            }
        }
        ast::Expr::PathExpr(path) => {
            let path = path.path()?;
            if path.qualifier().is_some() {
                return None;
            }
            let name = path.segment()?.name_ref()?.text().to_string();
            named_source(c.syntax(), &name)
        }
        _ => None,
    }
}

/// Method names a listener interface uses for "an event happened": `subscriber.on_event(ev)`,
/// `self.observer.emit(ev)`. Called synchronously, they run code the lock holder does not know.
fn is_listener_method(name: &str) -> bool {
    name.starts_with("on_") || matches!(name, "emit" | "notify" | "fire" | "trigger")
}

/// Where the listener of a listener-method call comes from: the receiver's binding
/// (`for (id, subscriber) in subs.iter()` → `subs.iter()`), a parameter, or the place itself
/// (`self.observer`). Only synchronous calls with an argument: an awaited `emit` is an
/// [`EMITTERS`] entry, and `on_close()` without an event is a lifecycle step more than a listener.
fn listener_method_source(call: &Call, method: &ast::MethodCallExpr) -> Option<CallbackSource> {
    let name = method.name_ref()?;
    if call.awaited
        || !is_listener_method(name.text())
        || method.arg_list()?.args().next().is_none()
    {
        return None;
    }
    let receiver = method.receiver()?;
    if let ast::Expr::PathExpr(path) = &receiver
        && let Some(local) = path.path().filter(|p| p.qualifier().is_none())
        && let Some(local) = local.segment().and_then(|s| s.name_ref())
        && local.text() != "self"
    {
        return named_source(method.syntax(), local.text());
    }
    matches!(receiver, ast::Expr::FieldExpr(_)).then_some(CallbackSource::Place(receiver))
}

/// Where the value named `name` at `at` comes from: a local binding, or a parameter of the
/// function. Inside a closure the name may be captured: the closure's enclosing bodies are asked
/// in turn (`move |k| f(..)` calls the `f` of the function that built the closure).
fn named_source(at: &SyntaxNode, name: &str) -> Option<CallbackSource> {
    let mut at = at.clone();
    for _ in 0..4 {
        if let Some(source) = binding_source(&at, name) {
            return source.map(CallbackSource::Binding);
        }
        if callback_parameter(&at, name).is_some() {
            return Some(CallbackSource::Parameter);
        }
        let body = syntax::enclosing_body(&at)?;
        let closure = ast::ClosureExpr::cast(body.clone())?;
        // The closure's own parameters shadow what it captures.
        let own_param = closure.param_list().is_some_and(|list| {
            list.params().any(|p| {
                matches!(p.pat(), Some(ast::Pat::IdentPat(pat)) if syntax::ident_name(&pat) == name)
            })
        });
        if own_param {
            return None;
        }
        at = body;
    }
    None
}

pub fn is_callback(call: &Call) -> bool {
    callback_source(call).is_some() && names_a_listener(call)
}

/// Words that name an event listener rather than a factory or a configured function
/// (`(self.create)()`, `(config.thread_name_fn)()` are called under locks on purpose).
const LISTENER_WORDS: &[&str] = &[
    "callback",
    "listener",
    "handler",
    "hook",
    "observer",
    "subscriber",
    "on_",
    "notify",
    "cb",
];

/// Whether the called value, or what it was taken from, is named like an event listener:
/// `(self.on_change)(..)`, `for listener in &self.listeners`, `if let Some(cb) = &self.callback`.
fn names_a_listener(call: &Call) -> bool {
    let called = if let Some(c) = ast::CallExpr::cast(call.node.clone()) {
        c.expr()
    } else {
        // A listener method (`on_event`, `emit`) names the event, not the listener: the receiver
        // must name the listener too (`subscriber.on_event(..)`, `self.observer.emit(..)`).
        ast::MethodCallExpr::cast(call.node.clone()).and_then(|m| m.receiver())
    };
    let mut texts = vec![
        called
            .map(|e| syntax::compact_text(e.syntax()))
            .unwrap_or_default(),
    ];
    if let Some(CallbackSource::Binding(source)) = callback_source(call) {
        texts.push(syntax::compact_text(source.syntax()));
    }
    texts.iter().any(|text| {
        let lower = text.to_lowercase();
        LISTENER_WORDS.iter().any(|w| {
            if call.kind == CallKind::Method && matches!(*w, "on_" | "notify") {
                // A listener method names the event; its receiver must name the listener.
                false
            } else if *w == "cb" {
                // Only as a whole word: `cb`, `self.cb`, `on_cb`, not `lcb_table`.
                lower
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|part| part == "cb")
            } else {
                lower.contains(w)
            }
        })
    })
}

/// The parameter `name` of the function `at` is in, if there is one: a closure handed in.
pub fn callback_parameter(at: &SyntaxNode, name: &str) -> Option<ast::Param> {
    let body = syntax::enclosing_body(at)?;
    let function = ast::Fn::cast(body)?;
    function.param_list()?.params().find(
        |param| matches!(param.pat(), Some(ast::Pat::IdentPat(p)) if syntax::ident_name(&p) == name),
    )
}

/// For a local binding `name` in scope at `at`: `Some(Some(source))` with the expression it is
/// bound from, `Some(None)` when it holds a closure or function written right here (or its source is
/// not an expression), `None` when no local binding of that name is in scope.
fn binding_source(at: &SyntaxNode, name: &str) -> Option<Option<ast::Expr>> {
    let body = syntax::enclosing_body(at)?;
    let binding = body
        .descendants()
        .filter_map(ast::IdentPat::cast)
        .filter(|p| syntax::ident_name(p) == name)
        .filter(|p| p.syntax().text_range().end() <= at.text_range().start())
        .filter(|p| syntax::enclosing_body(p.syntax()).as_ref() == Some(&body))
        .filter(|p| {
            binding_scope(p).is_some_and(|s| s.text_range().contains_range(at.text_range()))
        })
        // `let hash = hash(key);`: a binding is not in scope in its own initializer.
        .filter(|p| {
            p.syntax()
                .ancestors()
                .find_map(ast::LetStmt::cast)
                .is_none_or(|l| !l.syntax().text_range().contains_range(at.text_range()))
        })
        .last()?;
    let source = binding.syntax().ancestors().skip(1).find_map(|a| {
        if let Some(stmt) = ast::LetStmt::cast(a.clone()) {
            return Some(stmt.initializer());
        }
        if let Some(for_expr) = ast::ForExpr::cast(a.clone()) {
            return Some(for_expr.iterable());
        }
        if let Some(let_expr) = ast::LetExpr::cast(a.clone()) {
            return Some(let_expr.expr());
        }
        if let Some(arm) = ast::MatchArm::cast(a.clone()) {
            return Some(
                arm.syntax()
                    .ancestors()
                    .find_map(ast::MatchExpr::cast)
                    .and_then(|m| m.expr()),
            );
        }
        ast::Param::can_cast(a.kind()).then_some(None)
    })?;
    let local_code = source.as_ref().is_none_or(|s| {
        matches!(
            syntax::strip_wrappers(s),
            ast::Expr::ClosureExpr(_) | ast::Expr::PathExpr(_)
        )
    });
    Some(if local_code { None } else { source })
}

/// The node in which a pattern binding is visible: the rest of the block for a `let`, the loop
/// body for `for`, the `if`/`while` for `if let`/`while let`, the arm for `match`.
fn binding_scope(binding: &ast::IdentPat) -> Option<SyntaxNode> {
    for ancestor in binding.syntax().ancestors().skip(1) {
        match ancestor.kind() {
            SyntaxKind::LET_STMT => return ancestor.parent(),
            SyntaxKind::FOR_EXPR => {
                return ast::ForExpr::cast(ancestor)?
                    .loop_body()
                    .map(|b| b.syntax().clone());
            }
            SyntaxKind::LET_EXPR => {
                return ancestor
                    .ancestors()
                    .find(|a| matches!(a.kind(), SyntaxKind::IF_EXPR | SyntaxKind::WHILE_EXPR));
            }
            SyntaxKind::MATCH_ARM | SyntaxKind::CLOSURE_EXPR => return Some(ancestor),
            SyntaxKind::PARAM => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile};

    /// The `what` of every listed call in the body of `f` in `src`, in source order.
    fn classify(src: &str, list: fn(&Call) -> Option<&'static str>) -> Vec<(String, &'static str)> {
        let file = SourceFile::parse(src, Edition::Edition2021).tree();
        let f = file
            .syntax()
            .descendants()
            .filter_map(ast::Fn::cast)
            .find(|f| f.name().is_some_and(|n| n.text() == "f"))
            .expect("fn f");
        super::super::events::calls_where(f.syntax(), |_, _| true)
            .iter()
            .filter_map(|c| list(c).map(|what| (c.callee.clone(), what)))
            .collect()
    }

    fn blocking_what(call: &Call) -> Option<&'static str> {
        blocking(call, &Extra::default(), None).map(|m| m.pattern.what)
    }

    fn emission_what(call: &Call) -> Option<&'static str> {
        emission(call, &Extra::default()).map(|m| m.pattern.what)
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

    #[test]
    fn emissions_and_what_is_not_one() {
        let src = "fn f(tx: Sender, rt: Runtime) {\n\
                   tokio::spawn(fut); rt.spawn(fut); Command::new(\"x\").spawn();\n\
                   tx.send(1).await; tx.send(2); tx.try_send(3); bus.emit(e).await; bus.emit(e);\n\
                   client.post(url).send().await;\n\
                   (self.on_change)(1); (self.create)();\n\
                   for listener in &self.listeners { listener(1); }\n\
                   ack.callback.deref_mut()(2); self.make.as_ref()(); it.next().as_mut()(3);\n\
                   let double = |x| x * 2; double(1); }";
        let found: Vec<String> = classify(src, emission_what)
            .into_iter()
            .map(|(callee, _)| callee)
            .collect();
        assert_eq!(
            found,
            [
                "tokio::spawn",
                "spawn",
                "send",
                "emit",
                "(self.on_change)",
                "listener",
                "ack.callback.deref_mut()"
            ]
        );
    }

    #[test]
    fn a_binding_is_not_in_scope_in_its_own_initializer() {
        let src = "fn hash(x: u8) -> u8 { x }\nfn f(cb: u8) { let hash = hash(1); }";
        assert!(classify(src, emission_what).is_empty());
    }

    #[test]
    fn configured_entries_join_the_lists() {
        let src = "async fn f(m: &tokio::sync::Mutex<u32>) {\n    let g = m.lock().await;\n    mycrate::crunch(*g);\n    bus.publish_event(*g).await;\n    drop(g);\n}\n";
        let all = |extra| {
            let options = crate::Options {
                extra,
                ..crate::Options::all_rules(ra_ap_syntax::Edition::Edition2021)
            };
            let mut rules: Vec<crate::RuleId> = crate::analyze(src, &options)
                .findings
                .iter()
                .map(|f| f.rule)
                .collect();
            rules.sort();
            rules
        };
        assert!(!all(Extra::default()).contains(&crate::RuleId::GuardAcrossBlocking));
        let extra = Extra::leak(&["mycrate::crunch".into()], &[".publish_event".into()], &[]);
        let rules = all(extra);
        assert!(
            rules.contains(&crate::RuleId::GuardAcrossBlocking),
            "{rules:?}"
        );
        assert!(rules.contains(&crate::RuleId::EmitUnderLock), "{rules:?}");
    }
}
