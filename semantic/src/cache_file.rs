//! What the on-disk caches under the cache directory share (`unresolvable-workspaces/`, and the
//! front end's `semantic-facts/`): keys hashed the same on every run, build and platform, and
//! entries written whole.

use std::path::Path;

/// FNV-1a, 64 bits: stable across runs, builds and platforms (std's hasher is not), so a key
/// computed by one lockfix is found by the next.
pub struct StableHash(u64);

impl StableHash {
    pub fn new() -> StableHash {
        StableHash(0xcbf2_9ce4_8422_2325)
    }

    /// Adds `bytes`, followed by a separator, so ("ab", "c") and ("a", "bc") differ.
    pub fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for StableHash {
    fn default() -> Self {
        StableHash::new()
    }
}

/// Writes `bytes` to `target`, a file of the directory `dir`, whole: written aside and renamed,
/// so a concurrent run reads the old entry or the new one, never half. Best effort: a cache that
/// cannot be written only costs the next run the work it would have saved.
pub fn write_whole(dir: &Path, target: &Path, bytes: &[u8]) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    if let Ok(mut staged) = tempfile::NamedTempFile::new_in(dir) {
        use std::io::Write;
        if staged.write_all(bytes).is_ok() {
            let _ = staged.persist(target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_separates_its_parts_and_an_entry_is_replaced_whole() {
        let hash = |parts: &[&str]| {
            let mut hash = StableHash::new();
            parts.iter().for_each(|p| hash.write(p.as_bytes()));
            hash.finish()
        };
        assert_ne!(hash(&["ab", "c"]), hash(&["a", "bc"]));
        assert_eq!(hash(&["ab", "c"]), hash(&["ab", "c"]));
        let dir = tempfile::tempdir().unwrap();
        let entries = dir.path().join("entries");
        let target = entries.join("key");
        write_whole(&entries, &target, b"first");
        write_whole(&entries, &target, b"second");
        assert_eq!(std::fs::read(&target).unwrap(), b"second");
    }
}
