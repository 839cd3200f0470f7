//! `guard-across-blocking`: a lock guard alive across CPU-heavy or blocking work.

use std::cell::OnceCell;

use ra_ap_syntax::{AstNode, SyntaxNode, ast, ast::HasArgList};

use super::Context;
use crate::analysis::effects::{self, Blocking, Matched};
use crate::analysis::{Call, CallKind, Guard, held, syntax};
use crate::fixes::clone_out::{NoCloneOut, clone_out};
use crate::fixes::drop_at_last_use::drop_fix;
use crate::fixes::release::{Blocked, applicability, release_before, title_with_caveat};
use crate::fixes::relock_split::relock_split_fix;
use crate::model::{Applicability, Finding, Fix, Label, RuleDoc, RuleId, Severity};

pub const DOC: RuleDoc = RuleDoc {
    id: RuleId::GuardAcrossBlocking,
    summary: "A lock guard is alive across CPU-heavy or blocking work (bcrypt, JWT, std::fs, sleep…)",
    explanation: r#"## What it does
Reports a lock guard that is still alive while the code does CPU-heavy or blocking work, in async
and sync functions alike:

- password hashing and key derivation: `bcrypt::hash`/`verify`, argon2/scrypt/pbkdf2
  (`hash_password`, `verify_password`, `scrypt::scrypt`, `pbkdf2::pbkdf2_hmac`…);
- JWT signing and verification: `jsonwebtoken::encode`/`decode`;
- blocking IO: `std::fs::*` (`File::open`, `OpenOptions::open`), `std::net` connects and binds,
  DNS lookups (`to_socket_addrs`), `reqwest::blocking` and `ureq` requests,
  `std::process::Command` run to completion;
- waiting: `std::thread::sleep`, `thread::spawn(..).join()`, `std::thread::scope`,
  `spawn_blocking(..).await`, `block_on`, `block_in_place`, and a synchronous channel's `recv()`
  whose result is used at once as a `Result` (`rx.recv()?`, `match rx.recv() { Ok(..) .. }`: an
  async channel's `recv()` is a future and is never used that way).

Names are resolved through the file's `use` items: `verify(..)` after `use bcrypt::verify;` counts,
a function `verify` defined in the file does not. A synchronous function of the same file that does
such work in its own body counts too (the ADR's `generate_token` wrapping `jsonwebtoken::encode`),
one level deep; so does one of another file of the package, found by its name when the package
declares that name once and it is not a common one (`cache_item.wait()` where the crate's only
`fn wait` receives from a channel). The list is data (`analysis::effects::BLOCKING`).

Severity: an error when a blocking guard (`std::sync`, `parking_lot`) is held in an async function
— the seed's freeze: waiting tasks block executor threads; a warning in synchronous code
(contention) and under async guards (waiters are parked, only the holder's thread blocks).

## Why is this bad?
Every other thread or task that needs the lock waits for the whole computation: bcrypt takes
50–100 ms by design, so a few concurrent logins queue behind each other (seed 003: "intermittent
API freezes in production… eventually leading to complete API freeze"). In async code it is worse:
with a blocking lock (`std::sync`, `parking_lot`) the waiting tasks block their executor threads,
and the holder blocks its own, until the runtime has no thread left.

## Example
```rust
async fn login(app_state: &AppState, payload: LoginRequest) -> Result<AuthResponse, AuthError> {
    let storage = app_state.shared_storage.lock().unwrap();

    let user = storage.get_user_by_username(&payload.username)?;

    if bcrypt::verify(&payload.password, &user.password_hash).unwrap_or(false) {
        let token = jsonwebtoken::encode(&user.user_id)?;
        return Ok(AuthResponse { token });
    }

    Err(AuthError::InvalidCredentials)
}
```

## Use instead
```rust
async fn login(app_state: &AppState, payload: LoginRequest) -> Result<AuthResponse, AuthError> {
    let user = {
        let storage = app_state.shared_storage.lock().unwrap();
        storage.get_user_by_username(&payload.username)?
    };

    if bcrypt::verify(&payload.password, &user.password_hash).unwrap_or(false) {
        let token = jsonwebtoken::encode(&user.user_id)?;
        return Ok(AuthResponse { token });
    }

    Err(AuthError::InvalidCredentials)
}
```

## Fix safety
The fix is seed 003's Pattern 1: the guard and the statements that use it move into a scoped block
that returns what the expensive part needs, and the work runs after the block. When the blocking
call itself reads the guard (`bcrypt::verify(pw, &users.hash)`), what it reads is computed or copied
at the end of the block (clone-out). A temporary guard gets its value computed in a `let` first.

- Safe: pure computation (hashing, signing) and sleeps, when every value leaving the block is
  plainly owned.
- Unsafe: IO and waiting (files, sockets, processes, joins, `block_on`) — the lock may be what kept
  concurrent writers of the same file or peer in order, and after the fix they may interleave;
  a copied value (the copy may be stale, the type must be `Clone`); a value that might borrow from
  the guard (the result might not compile).

When the guard is used again after the blocking call (check, hash, store), the fix is seed 003's
Pattern 2, the relock split: the statements before the work stay in a first lock scope (the check,
with its early `return`s), the work runs unlocked, and a second scope takes the lock again with the
same expression for the statements after it, returning what the rest needs; spawns and sends
after them run after the second scope. Always unsafe: the check and the store are no longer atomic
(another task can register the same name in between); when the guard is changed before the
work, the title names the change, which other holders now see before the rest of the update.
When nothing before the work uses the guard, the lock is simply taken after the work (unsafe for
the same reason as IO above).

## Known problems
The relock split is not offered (the help says why) when the work uses the guard or a value
borrowed from it, when a value borrowed from the guard is used after the work (a `get_mut`
borrow written after it), when the lock is reached through a call or taken with `try_lock`, or when the guard is used in the loop that does the work. Then
take what the work needs in one scope, do the work, lock again to store the result — and decide
whether the state may have changed in between. A guard that is bound but never used (`let _guard = FILE_LOCK.lock();`) serialises the
work on purpose and is not reported; nor is waiting on the guarded object itself
(`child.lock().unwrap().wait()`, `block_on(rx.next())` with `rx` taken from the guard), nor test
code (`#[test]`, `#[cfg(test)]`), which holds locks across sleeps and joins to build the contention
it tests. A single-flight fill — the work computed under the lock so that only one caller does it,
its result stored before the lock is released — is reported without a fix: whether others may wait
for it is a decision the code does not show. Blocking calls inside closures (`iter().map(|p| hash(p))`) are
not seen, nor methods whose blocking nature needs types (`file.read_to_end(..)` on a
`std::fs::File`). An awaited `spawn_blocking(..)` under a blocking guard is a `guard-across-await`
finding (that rule reports every `.await` under a blocking guard), not this rule's; blocking work in
the arms of a `match`/`if let`/`while let` whose scrutinee created the guard as a temporary is
`guard-in-scrutinee`'s. There is no
attribute to silence this rule on one item; use `--ignore guard-across-blocking`."#,
};

pub fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (index, guard) in ctx.scopes.guards.iter().enumerate() {
        let events = events(ctx, guard);
        let Some((first, matched)) = events.first() else {
            continue;
        };
        if held_on_purpose(ctx, guard) {
            continue;
        }
        out.push(finding(ctx, index, &events, first, matched));
    }
}

/// The blocking calls this rule reports for `guard`, in source order.
fn events<'g>(ctx: &Context<'_>, guard: &'g Guard) -> Vec<(&'g Call, Matched<Blocking>)> {
    if guard.calls.is_empty() || guard.kind.is_cell() || held::in_test_code(guard.call.syntax()) {
        return Vec::new();
    }
    let data = OnceCell::new();
    // Blocking work in the arms of a scrutinee that created the guard is `guard-in-scrutinee`'s.
    let arms = held::scrutinee_arms(guard);
    guard
        .calls
        .iter()
        .filter_map(|call| {
            effects::blocking(call, &ctx.extra, ctx.scopes.crate_index.as_deref())
                .map(|m| (call, m))
        })
        .filter(|(call, _)| arms.is_none_or(|a| !a.contains_range(call.node.text_range())))
        .filter(|(call, _)| still_held(ctx, guard, call))
        .filter(|(call, _)| !on_guarded_object(guard, call, ctx.file))
        .filter(|(call, m)| {
            // `block_on(rx.next())` with `rx` taken from the guard waits on the guarded object.
            m.pattern.kind != Blocking::Wait
                || !arguments_carry_guard_data(ctx, guard, &data, &call.node)
        })
        .filter(|(call, _)| !call.awaited || !await_reported(ctx, guard, &call.node))
        .collect()
}

/// Whether this rule fixes guard `index` with a relock split (its uses after the blocking work
/// move into a second lock scope, and what follows them — spawns, sends — after it). Other rules
/// leave their fix of the same guard to it: two rewrites of one guard would collide.
pub(crate) fn relock_split_fixes(ctx: &Context<'_>, index: usize) -> bool {
    let guard = &ctx.scopes.guards[index];
    let events = events(ctx, guard);
    let Some((first, _)) = events.first() else {
        return false;
    };
    if held_on_purpose(ctx, guard) {
        return false;
    }
    let phrase = format!("the `{}` call", shown_call(first));
    matches!(build_fix(ctx, guard, &first.node, &phrase), Err(reason) if reason.contains(SPANS))
        && relock_fix(ctx, index, &events).is_ok()
}

/// What [`build_fix`]'s help says when the guard is used after the work.
const SPANS: &str = "critical section spans";

/// The relock split of guard `index` around every blocking call this rule reports for it,
/// computed once per guard: emit-under-lock asks too ([`relock_split_fixes`]).
fn relock_fix(
    ctx: &Context<'_>,
    index: usize,
    events: &[(&Call, Matched<Blocking>)],
) -> Result<Fix, String> {
    if let Some(known) = ctx.shared.relock_fixes.borrow().get(&index) {
        return known.clone();
    }
    let fix = split_around_work(ctx, index, events);
    ctx.shared
        .relock_fixes
        .borrow_mut()
        .insert(index, fix.clone());
    fix
}

fn split_around_work(
    ctx: &Context<'_>,
    index: usize,
    events: &[(&Call, Matched<Blocking>)],
) -> Result<Fix, String> {
    let work: Vec<SyntaxNode> = events.iter().map(|(c, _)| c.node.clone()).collect();
    let shown = format!("`{}`", shown_call(events[0].0));
    relock_split_fix(ctx.text, ctx.file, ctx.scopes, index, &work, &shown)
}

/// The guard is still this body's when the call runs: not moved into a `move` closure or async
/// block, nor parked in a `_name` binding, before it.
pub(crate) fn still_held(ctx: &Context<'_>, guard: &Guard, call: &Call) -> bool {
    !held::handed_away_before(ctx.file, guard, call.node.text_range().start())
}

/// Whether the call's arguments mention the guard or a value computed from it.
pub(crate) fn arguments_carry_guard_data(
    ctx: &Context<'_>,
    guard: &Guard,
    data: &OnceCell<Vec<String>>,
    call: &SyntaxNode,
) -> bool {
    let args = if let Some(c) = ast::CallExpr::cast(call.clone()) {
        c.arg_list()
    } else if let Some(m) = ast::MethodCallExpr::cast(call.clone()) {
        m.arg_list()
    } else {
        None
    };
    let Some(args) = args else { return false };
    let names = data
        .get_or_init(|| held::guard_data_names(ctx.file, guard, ctx.scopes.crate_index.as_deref()));
    held::mentions_guard_data(ctx.file, guard, names, args.syntax().text_range())
}

fn finding(
    ctx: &Context<'_>,
    index: usize,
    events: &[(&Call, Matched<Blocking>)],
    call: &Call,
    matched: &Matched<Blocking>,
) -> Finding {
    let guard = &ctx.scopes.guards[index];
    let count = events.len();
    let subject = guard_subject(guard);
    let shown = shown_call(call);
    let severity = if !guard.kind.is_async() && syntax::body_is_async(&guard.body) {
        Severity::Error
    } else {
        Severity::Warning
    };
    let labels = labels(
        ctx,
        guard,
        call,
        &format!("during {}", matched.pattern.what),
        count,
    );
    let phrase = format!("the `{shown}` call");
    let (fix, help) = match build_fix(ctx, guard, &call.node, &phrase) {
        Ok(mut fix) => {
            if matched.pattern.kind.has_side_effects() {
                fix.applicability = Applicability::Unsafe;
                fix.title = with_note(
                    &fix.title,
                    "the work no longer runs under the lock: if the lock kept it in order with other holders' \
                     work, they may now interleave",
                );
            }
            let help = format!("release the guard before {phrase}");
            (Some(fix), help)
        }
        Err(reason) if reason.contains(SPANS) => match relock_fix(ctx, index, events) {
            Ok(fix) => (
                Some(fix),
                format!("release the guard before {phrase} and lock again after it"),
            ),
            Err(why) => (None, format!("{reason} (not split automatically: {why})")),
        },
        Err(reason) => (None, reason),
    };
    Finding {
        tier: crate::analysis::Tier::Syntax,
        rule: RuleId::GuardAcrossBlocking,
        severity,
        range: syntax::to_range(guard.primary_range()),
        message: match &matched.via {
            Some(_) => format!(
                "{subject} is held during {} (`{shown}`, which does it in its body)",
                matched.pattern.what
            ),
            None => format!(
                "{subject} is held during {} (`{shown}`)",
                matched.pattern.what
            ),
        },
        labels,
        help: Some(help),
        fix,
    }
}

/// `title (note)`, or `title (earlier note; note)` when the title already ends in a parenthesis.
pub(crate) fn with_note(title: &str, note: &str) -> String {
    match title.strip_suffix(')') {
        Some(open) if open.contains('(') => format!("{open}; {note})"),
        _ => format!("{title} ({note})"),
    }
}

/// `std::sync mutex guard `storage``, `tokio::sync write guard on `self.map` (a temporary)`.
pub(crate) fn guard_subject(guard: &Guard) -> String {
    let what = format!("{} {} guard", guard.kind.describe(), guard.mode.describe());
    match guard.name() {
        Some(name) => format!("{what} `{name}`"),
        None => format!("{what} on `{}` (a temporary)", guard.lock_path),
    }
}

/// The call as messages show it: `bcrypt::verify(..)`, `.join()`, `tokio::spawn(..).await`.
pub(crate) fn shown_call(call: &Call) -> String {
    let args = if call.node.text().to_string().ends_with("()") {
        "()"
    } else {
        "(..)"
    };
    let base = match call.kind {
        CallKind::Path => format!("{}{args}", call.callee),
        CallKind::Method => format!(".{}{args}", call.callee),
        CallKind::Macro => format!("{}!(..)", call.callee),
    };
    if call.awaited {
        format!("{base}.await")
    } else {
        base
    }
}

/// The guard's last use before the event, and the event ("the guard is still held during …").
pub(crate) fn labels(
    ctx: &Context<'_>,
    guard: &Guard,
    call: &Call,
    during: &str,
    count: usize,
) -> Vec<Label> {
    let event_range = call.node.text_range();
    let mut labels = Vec::new();
    if let Some(last) = guard.uses(ctx.file).last()
        && last.start() < event_range.start()
    {
        labels.push(Label {
            range: syntax::to_range(*last),
            message: "last use of the guard".to_string(),
        });
    }
    labels.push(Label {
        range: syntax::to_range(event_range),
        message: if count > 1 {
            format!(
                "the guard is still held {during} ({} more after it)",
                count - 1
            )
        } else {
            format!("the guard is still held {during}")
        },
    });
    labels
}

/// Release the guard before `event`: a scoped block, an `if let` split or a hoisted temporary; when
/// the event's own statement reads the guard, clone-out. `Err` is the help for "no fix".
pub(crate) fn build_fix(
    ctx: &Context<'_>,
    guard: &Guard,
    event: &SyntaxNode,
    phrase: &str,
) -> Result<Fix, String> {
    match release_before(ctx.text, ctx.file, guard, event, phrase) {
        Ok(fix) => Ok(fix),
        Err(Blocked::Unused) => Err(format!("release the guard before {phrase}")),
        Err(Blocked::Other(reason)) => Err(reason),
        Err(Blocked::UsedAtOrAfter { .. })
            if let Some(fix) = drop_in_sync_body(ctx, guard, event) =>
        {
            Ok(fix)
        }
        Err(Blocked::UsedAtOrAfter { .. }) => match clone_out(ctx.text, ctx.file, guard, event) {
            Ok(out) => {
                let unsafe_ = out.copies_data || out.reorders || !out.copied.is_empty();
                let title = if out.copies_data {
                    format!(
                        "Copy the data {phrase} needs inside the lock scope, then make the call without the lock"
                    )
                } else {
                    format!(
                        "Compute the arguments of {phrase} inside the lock scope, then make the call without the lock"
                    )
                };
                Ok(Fix {
                    title: title_with_caveat(&title, &out.copied),
                    applicability: if unsafe_ {
                        Applicability::Unsafe
                    } else {
                        applicability(&out.copied)
                    },
                    edits: out.edits,
                })
            }
            Err(NoCloneOut::UnknownType(reason)) => Err(format!(
                "{reason}; copy what {phrase} needs inside a scoped block, then make the call after it"
            )),
            Err(NoCloneOut::Spans | NoCloneOut::Shape) => Err(format!(
                "the guard is used in or after {phrase}, so the {SPANS} it: take what the work \
                 needs in a scoped block, do the work unlocked, then lock again to store the result"
            )),
        },
    }
}

/// The guard's uses that the blocking call's path still reaches all come before it (the others
/// are in another branch): `drop(guard)` right after the last of them, as lighthouse's
/// maintainers wrote before a blocking wait. Only outside `async` bodies: there a dropped guard
/// still counts as held for the future's `Send` check, and the scoped block is the fix.
fn drop_in_sync_body(ctx: &Context<'_>, guard: &Guard, event: &SyntaxNode) -> Option<Fix> {
    if syntax::body_is_async(&guard.body) {
        return None;
    }
    let data = held::guard_data_names(ctx.file, guard, ctx.scopes.crate_index.as_deref());
    drop_fix(ctx.text, ctx.file, guard, &data, event)
}

/// A method called on the guarded object itself (`child.lock().unwrap().wait()`,
/// `sink.lock().await.send(m).await`): operating on what the lock protects is what the lock is for.
pub(crate) fn on_guarded_object(guard: &Guard, call: &Call, file: &SyntaxNode) -> bool {
    let Some(method) = ast::MethodCallExpr::cast(call.node.clone()) else {
        return false;
    };
    method
        .receiver()
        .is_some_and(|r| held::rooted_at_guard(guard, &r, &guard.uses(file)))
}

/// A named guard that is never used protects nothing the code reads: it serialises the work after
/// it on purpose (`let _guard = FILE_LOCK.lock();` around file writes).
pub(crate) fn held_on_purpose(ctx: &Context<'_>, guard: &Guard) -> bool {
    guard.name().is_some() && guard.uses(ctx.file).is_empty()
}

/// Whether `guard-across-await` already reports the `.await` of the awaited call `event`: every
/// await under a blocking guard, and under an async guard when that rule's finding for the guard
/// points at this await or an earlier one (its fix then releases the guard before this one too).
/// One problem, one finding: the await is that rule's.
pub(crate) fn await_reported(ctx: &Context<'_>, guard: &Guard, event: &SyntaxNode) -> bool {
    if !guard.kind.is_async() {
        return true;
    }
    let findings = ctx.await_findings();
    let primary = syntax::to_range(guard.primary_range());
    let event_start = usize::from(event.text_range().start());
    findings
        .iter()
        .filter(|f| f.range == primary)
        .flat_map(|f| &f.labels)
        .any(|label| {
            guard
                .awaits
                .iter()
                .any(|a| syntax::to_range(a.syntax().text_range()) == label.range)
                && label.range.start <= event_start
        })
}

#[cfg(test)]
mod tests {
    use crate::model::RuleId;
    use crate::test_support::{code_block, findings, fixed};

    /// What the documented example needs around it: the lookup's owned return type is what makes
    /// the fix safe.
    const SCAFFOLD: &str = "use std::sync::{Arc, Mutex};\n\
        struct User { user_id: String, password_hash: String }\n\
        struct Storage;\n\
        impl Storage { fn get_user_by_username(&self, _: &str) -> Result<User, AuthError> { todo!() } }\n\
        enum AuthError { InvalidCredentials }\n\
        struct AppState { shared_storage: Arc<Mutex<Storage>> }\n\
        struct LoginRequest { username: String, password: String }\n\
        struct AuthResponse { token: String }\n";

    #[test]
    fn the_documented_example_becomes_the_documented_fix() {
        let doc = super::DOC.explanation;
        let before = format!("{SCAFFOLD}{}", code_block(doc, "## Example"));
        let after = format!("{SCAFFOLD}{}", code_block(doc, "## Use instead"));
        let found = findings(&before, RuleId::GuardAcrossBlocking);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, crate::model::Severity::Error);
        assert_eq!(
            found[0].fix.as_ref().map(|f| f.applicability),
            Some(crate::model::Applicability::Safe)
        );
        assert_eq!(fixed(&before, RuleId::GuardAcrossBlocking), after);
        assert!(findings(&after, RuleId::GuardAcrossBlocking).is_empty());
    }

    #[test]
    fn imports_decide_what_a_bare_name_is() {
        let blocking = "use bcrypt::verify;\n\
                        fn f(m: &std::sync::Mutex<String>, pw: &str) -> bool {\n\
                        let g = m.lock().unwrap();\n\
                        let h = g.clone();\n\
                        verify(pw, &h).unwrap()\n}\n";
        assert_eq!(findings(blocking, RuleId::GuardAcrossBlocking).len(), 1);
        let local = blocking.replace(
            "use bcrypt::verify;",
            "fn verify(_: &str, _: &str) -> Result<bool, ()> { Ok(true) }",
        );
        assert!(findings(&local, RuleId::GuardAcrossBlocking).is_empty());
    }

    #[test]
    fn sync_code_is_a_warning() {
        let src = "fn save(m: &std::sync::Mutex<Vec<u8>>) {\n\
                   let g = m.lock().unwrap();\n\
                   let n = g.len();\n\
                   std::thread::sleep(std::time::Duration::from_millis(n as u64));\n}\n";
        let found = findings(src, RuleId::GuardAcrossBlocking);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, crate::model::Severity::Warning);
    }

    #[test]
    fn blocking_in_the_arms_of_a_scrutinee_guard_is_guard_in_scrutinee_s() {
        let src = "fn load(m: &std::sync::Mutex<Option<u8>>) -> u8 {\n\
                   match *m.lock().unwrap() {\n\
                   Some(v) => v,\n\
                   None => std::fs::read(\"v\").unwrap()[0],\n}\n}\n";
        assert!(findings(src, RuleId::GuardAcrossBlocking).is_empty());
    }

    #[test]
    fn an_awaited_blocking_task_under_a_std_guard_is_guard_across_await_s() {
        let src = "async fn f(m: &std::sync::Mutex<u8>) -> u8 {\n\
                   let g = m.lock().unwrap();\n\
                   let v = *g;\n\
                   tokio::task::spawn_blocking(move || v).await.unwrap()\n}\n";
        assert!(findings(src, RuleId::GuardAcrossBlocking).is_empty());
        assert_eq!(findings(src, RuleId::GuardAcrossAwait).len(), 1);
    }

    #[test]
    fn an_unused_guard_serialises_on_purpose() {
        let src = "fn write(lock: &std::sync::Mutex<()>, data: &[u8]) {\n\
                   let _guard = lock.lock().unwrap();\n\
                   std::fs::write(\"state.json\", data).unwrap();\n}\n";
        assert!(findings(src, RuleId::GuardAcrossBlocking).is_empty());
    }
}
