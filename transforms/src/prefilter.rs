//! A byte-level check that runs before any parsing: a file with no no-argument `lock()`, `read()`,
//! `write()` (or `try_*`, `*_owned`, `*_arc`, `blocking_*`, `upgradable_read`) call cannot hold a
//! guard, so every rule would report nothing and the parse can be skipped. On a tree of real async
//! crates about 3% of the files pass.
//!
//! It must never reject a file the analysis would report on: every lock method the analysis knows
//! ends in one of the needles below, and the check after the needle accepts whitespace and a
//! comment between the parentheses (`lock( /* why */ )`).

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Suffixes of every method name in the analysis's lock-method table.
pub(crate) const NEEDLES: &[&str] = &["lock", "read", "write", "_owned", "_arc"];

static FINDER: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| AhoCorasick::new(NEEDLES).ok());

/// Whether `source` might contain a lock acquisition. `true` when unsure.
pub fn may_contain_locks(source: &str) -> bool {
    let Some(finder) = FINDER.as_ref() else {
        return true;
    };
    let bytes = source.as_bytes();
    finder
        .find_iter(bytes)
        .any(|m| empty_call_follows(&bytes[m.end()..]))
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
            "m.lock_owned().await",
            "m.upgradable_read()",
            "m.blocking_write()",
            "m.read_arc()",
            "m\n    .lock(\n    )",
            "m.lock(/* poisoned is fine */)",
        ] {
            assert!(may_contain_locks(src), "{src}");
        }
    }

    #[test]
    fn every_lock_method_ends_in_a_needle() {
        for (method, _) in crate::analysis::LOCK_METHODS {
            assert!(
                super::NEEDLES.iter().any(|n| method.ends_with(n)),
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
        ] {
            assert!(!may_contain_locks(src), "{src}");
        }
    }
}
