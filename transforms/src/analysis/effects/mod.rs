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
//! read from a configuration file in the same grammar can join the built-in lists. Callbacks —
//! calling a closure that came from elsewhere — are recognised by shape and by a listener-like name
//! ([`is_callback`]).
//!
//! The parts: this file holds the kinds, the built-in lists, the configured extras and
//! [`Matched`]; `matching` matches one call against one pattern of the grammar above; `blocking`
//! finds the blocking work a call does, directly or through a function that does it in its body;
//! `emission` finds the emitter-list entry a call matches, or recognises it as a callback.

mod blocking;
mod emission;
mod matching;

use ra_ap_syntax::SyntaxNode;

pub use blocking::{blocking, direct_blocking, function_blocks, may_block};
pub use emission::{
    CallbackSource, any_callback, callback_parameter, callback_source, emission, is_callback,
};
pub use matching::matches;

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
    /// `emit`-style events. Leaks them, which is right for settings that live as long as the
    /// process.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Call;
    use ra_ap_syntax::{
        AstNode,
        ast::{self, HasName},
    };
    use ra_ap_syntax::{Edition, SourceFile};

    /// The `what` of every listed call in the body of `f` in `src`, in source order.
    pub(super) fn classify(
        src: &str,
        list: fn(&Call) -> Option<&'static str>,
    ) -> Vec<(String, &'static str)> {
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
