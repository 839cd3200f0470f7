//! Writing fixed files: atomically, with the original permissions, and never over a concurrent
//! edit.
//!
//! - The new contents go to a temporary file in the same directory, which is then renamed over
//!   the original: a crash or a full disk leaves either the old file or the new one, never half
//!   of each. (A side effect of the rename: hard links to the file are not updated, and the file
//!   gets the current user as owner, as with most editors.)
//! - The original's permission bits are copied to the new file. A read-only file is not written.
//! - Right before writing, the file is read again and compared with what was analysed; if it
//!   changed (an editor saved it meanwhile) it is skipped, and the caller warns.
//! - A symbolic link is written through: the file it points to (its canonical path) is replaced,
//!   and the link stays a link. Replacing the link with a regular file would silently fork the
//!   content.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// The file on disk is no longer what was analysed; nothing was written.
    ChangedOnDisk,
    /// The file was deleted since it was read; nothing was written (and nothing recreated).
    Deleted,
}

/// Replaces the file at `path` with `contents` if it still holds exactly `original`.
pub fn write_if_unchanged(
    path: &Path,
    original: &[u8],
    contents: &[u8],
) -> io::Result<WriteOutcome> {
    let target = match fs::canonicalize(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(WriteOutcome::Deleted),
        result => result?,
    };
    if fs::read(&target)? != original {
        return Ok(WriteOutcome::ChangedOnDisk);
    }
    let permissions = fs::metadata(&target)?.permissions();
    if permissions.readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the file is read-only",
        ));
    }
    let dir = target.parent().unwrap_or_else(|| Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".lockfix-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(contents)?;
    temp.as_file().set_permissions(permissions)?;
    temp.as_file().sync_all()?;
    temp.persist(&target).map_err(|error| error.error)?;
    Ok(WriteOutcome::Written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.rs");
        fs::write(&file, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&file, fs::Permissions::from_mode(0o754)).unwrap();
        }
        assert_eq!(
            write_if_unchanged(&file, b"old", b"new").unwrap(),
            WriteOutcome::Written
        );
        assert_eq!(fs::read(&file).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o754
            );
        }
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.rs");
        fs::write(&file, "edited meanwhile").unwrap();
        let outcome = write_if_unchanged(&file, b"old", b"new").unwrap();
        assert_eq!(outcome, WriteOutcome::ChangedOnDisk);
        assert_eq!(fs::read(&file).unwrap(), b"edited meanwhile");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.rs");
        let link = dir.path().join("link.rs");
        fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(
            write_if_unchanged(&link, b"old", b"new").unwrap(),
            WriteOutcome::Written
        );
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_file_deleted_since_it_was_read_is_not_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gone.rs");
        let outcome = write_if_unchanged(&file, b"old", b"new").unwrap();
        assert_eq!(outcome, WriteOutcome::Deleted);
        assert!(!file.exists());
    }

    #[test]
    fn read_only_files_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.rs");
        fs::write(&file, "old").unwrap();
        let mut permissions = fs::metadata(&file).unwrap().permissions();
        permissions.set_readonly(true);
        fs::set_permissions(&file, permissions).unwrap();
        let error = write_if_unchanged(&file, b"old", b"new").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(fs::read(&file).unwrap(), b"old");
    }
}
