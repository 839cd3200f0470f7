//! A byte-level check that runs before any parsing: a file with no no-argument method call named
//! like a lock acquisition (`.lock()`, `.read()`, `.write()`, `.try_lock()`, `.read_owned()`,
//! `.upgradable_read()`… — exactly the names of the analysis's lock-method table) cannot hold a
//! guard, so every rule would report nothing and the parse can be skipped. On a tree of real async
//! crates about 3% of the files pass.
//!
//! It must never reject a file the analysis would report on. The analysis only takes a
//! `MethodCallExpr` whose name is in [`crate::analysis::LOCK_METHODS`] and whose argument list is
//! empty, so a candidate here is: a whole identifier from that table, a `.` before it (whitespace
//! allowed; a comment there makes the check accept), and `()` after it (whitespace or a comment
//! allowed inside; parking_lot's timed `try_write_for(timeout)` and the like take their one
//! argument). Every table name contains `lock`, `read` or `write`: those three substrings are
//! searched with `memchr`'s SIMD substring search, and only their rare hits are looked at closely.
//! (An Aho-Corasick automaton over five suffixes, the first version, ran ten times slower: `read`
//! and `lock` are everywhere in `thread`, `already`, `block`, and it also passed every
//! `into_owned()`, three times as many files.)

use std::sync::LazyLock;

use memchr::memmem::Finder;

use crate::analysis::LOCK_METHODS;

/// Substrings of which every name in the lock-method table contains one.
pub(crate) const NEEDLES: &[&str] = &["lock", "read", "write"];

static FINDERS: LazyLock<Vec<Finder<'static>>> =
    LazyLock::new(|| NEEDLES.iter().map(|n| Finder::new(n.as_bytes())).collect());

/// Whether `source` might contain a lock acquisition. `true` when unsure.
pub fn may_contain_locks(source: &str) -> bool {
    let bytes = source.as_bytes();
    FINDERS.iter().any(|finder| {
        finder
            .find_iter(bytes)
            .any(|at| is_candidate(bytes, at, at + finder.needle().len()))
    }) || DASH.find_iter(bytes).any(|at| {
        let rest = &bytes[at + b"Dash".len()..];
        rest.starts_with(b"Map") || rest.starts_with(b"Set")
    }) || (REF_CELL.find(bytes).is_some() && AWAIT.find(bytes).is_some())
}

/// A file that names `DashMap`/`DashSet` locks shards with `get`, `entry`, `iter`… (the whole
/// names, which the analysis looks for: Unicode tables name `Dash` and `Dash_Punctuation`, and
/// parsing them for nothing cost about a tenth of the corpus scan's CPU). One search finds both.
static DASH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"Dash"));
/// …and async code that names `RefCell` may hold a `borrow()` across an `.await` (RefCell borrows
/// in synchronous code are left to the borrow checker's runtime twin).
static REF_CELL: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"RefCell"));
static AWAIT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b".await"));

/// Whether the needle found at `start..end` is inside a no-argument call of a lock method.
fn is_candidate(bytes: &[u8], start: usize, end: usize) -> bool {
    let name_start = start
        - bytes[..start]
            .iter()
            .rev()
            .take_while(|b| is_ident(**b))
            .count();
    let name_end = end + bytes[end..].iter().take_while(|b| is_ident(**b)).count();
    let name = &bytes[name_start..name_end];
    // The table's names, and lock-named getters (`fork_choice_read_lock`, `lock_or_panic`).
    let lock_named = LOCK_METHODS.iter().any(|(m, _)| m.as_bytes() == name)
        || name.ends_with(b"_lock")
        || name.starts_with(b"lock_");
    let timed = std::str::from_utf8(name).is_ok_and(crate::analysis::is_timed_acquisition);
    lock_named
        && method_call_before(bytes, name_start)
        && if timed {
            call_follows(&bytes[name_end..])
        } else {
            empty_call_follows(&bytes[name_end..])
        }
}

/// `(` after the name: a timed acquisition takes its timeout.
fn call_follows(rest: &[u8]) -> bool {
    rest.get(skip_whitespace(rest, 0)) == Some(&b'(')
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// A `.` before `name_start`, with only whitespace between; a comment there (`x./* why */lock()`,
/// or a `//` comment on the line before) is accepted without looking further.
fn method_call_before(bytes: &[u8], name_start: usize) -> bool {
    let before = &bytes[..name_start];
    let Some(last) = before.iter().rposition(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    match before[last] {
        b'.' | b'/' => true,
        _ => {
            let line_start = before[..last].iter().rposition(|b| *b == b'\n');
            let line = &before[line_start.map_or(0, |n| n + 1)..=last];
            memchr::memmem::find(line, b"//").is_some()
        }
    }
}

/// `()` after optional whitespace, with only whitespace or a comment inside.
fn empty_call_follows(rest: &[u8]) -> bool {
    let mut i = skip_whitespace(rest, 0);
    if rest.get(i) != Some(&b'(') {
        return false;
    }
    i = skip_whitespace(rest, i + 1);
    matches!(rest.get(i), Some(b')') | Some(b'/'))
}

fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::may_contain_locks;

    #[test]
    fn lock_calls_pass() {
        for src in [
            "m.lock().unwrap()",
            "m.read().await",
            "m.write( )",
            "m.try_lock()",
            "cache.try_write_for(Duration::from_millis(50))",
            "m.try_lock_until (deadline)",
            "m.lock_owned().await",
            "m.upgradable_read()",
            "m.blocking_write()",
            "m.read_arc()",
            "m\n    .lock(\n    )",
            "m.lock(/* poisoned is fine */)",
            "m . write()",
            "m./* the cache */read()",
            "m. // the cache\n    read()",
            "self.a.lock().unwrap(); thread::spawn(f)",
            "let peers: DashMap<u64, Peer> = DashMap::new(); peers.get(&1)",
            "seen: dashmap::DashSet<u64>",
        ] {
            assert!(may_contain_locks(src), "{src}");
        }
    }

    #[test]
    fn every_lock_method_contains_a_needle() {
        for (method, _) in crate::analysis::LOCK_METHODS {
            assert!(
                super::NEEDLES.iter().any(|n| method.contains(n)),
                "{method} would be filtered out"
            );
        }
    }

    #[test]
    fn other_files_are_skipped() {
        for src in [
            "fn main() {}",
            "file.read(&mut buf)",
            "thread::spawn(f)",
            "already()",
            "let lock = 1;",
            "cow.into_owned()",
            "fn read() {}",
            "block()",
            "x.unlock()",
            "x.lock",
            "x.lock::<T>()",
            "x.read",
            "pub const DASH_PUNCTUATION: &[(char, char)] = &[('-', '-')]; // Dash_Punctuation",
        ] {
            assert!(!may_contain_locks(src), "{src}");
        }
    }
}
