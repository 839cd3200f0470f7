//! Lock and guard types by defining crate and type name. rust-analyzer reports a type where it is
//! defined (`tokio::sync::mutex::MutexGuard`, `lock_api::mutex::MutexGuard` for parking_lot), so
//! the crate and the type's own name decide, not the path the user wrote.

use lockfix_transforms::analysis::{AccessMode, LockKind};

/// What a type is to lockfix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Lock(LockKind),
    Guard(LockKind, AccessMode),
}

/// Classifies the type `name` defined in the crate `krate` (its display name, with `_`).
///
/// Lock and guard types of crates lockfix does not know (loom's model-checked `Mutex`, `spin`, a
/// project's own wrapper named `Mutex`) are locks of unknown kind, treated as blocking: a lock the
/// semantic tier cannot name is still a lock, never "not a lock".
pub fn classify(krate: &str, name: &str) -> Option<Role> {
    let kind = crate_kind(krate).unwrap_or(LockKind::Unknown);
    if kind == LockKind::DashMap {
        return (name == "DashMap").then_some(Role::Lock(kind));
    }
    let lock_like = matches!(name, "Mutex" | "RwLock" | "ReentrantMutex" | "FairMutex")
        || (kind == LockKind::Unknown && (name.ends_with("Mutex") || name.ends_with("RwLock")));
    if lock_like {
        return Some(Role::Lock(kind));
    }
    let mode = guard_mode(name)?;
    Some(Role::Guard(kind, mode))
}

fn crate_kind(krate: &str) -> Option<LockKind> {
    Some(match krate {
        "std" => LockKind::Std,
        "tokio" => LockKind::Tokio,
        "parking_lot" | "lock_api" => LockKind::ParkingLot,
        "async_lock" | "async_std" => LockKind::AsyncLock,
        "futures_util" | "futures" | "futures_locks" => LockKind::Futures,
        "dashmap" => LockKind::DashMap,
        _ => return None,
    })
}

/// `MutexGuard`, `OwnedRwLockWriteGuard`, `MappedMutexGuard`, `MutexGuardArc`, `ArcRwLockReadGuard`…
fn guard_mode(name: &str) -> Option<AccessMode> {
    if !name.contains("Guard") {
        return None;
    }
    if name.contains("Upgradable") {
        Some(AccessMode::Upgradable)
    } else if name.contains("Read") {
        Some(AccessMode::Read)
    } else if name.contains("Write") {
        Some(AccessMode::Write)
    } else if name.contains("Mutex") {
        Some(AccessMode::Exclusive)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defining_crates_and_names_decide() {
        assert_eq!(classify("std", "Mutex"), Some(Role::Lock(LockKind::Std)));
        assert_eq!(
            classify("lock_api", "RwLock"),
            Some(Role::Lock(LockKind::ParkingLot))
        );
        assert_eq!(
            classify("tokio", "OwnedRwLockWriteGuard"),
            Some(Role::Guard(LockKind::Tokio, AccessMode::Write))
        );
        assert_eq!(
            classify("lock_api", "RwLockUpgradableReadGuard"),
            Some(Role::Guard(LockKind::ParkingLot, AccessMode::Upgradable))
        );
        assert_eq!(
            classify("async_lock", "MutexGuardArc"),
            Some(Role::Guard(LockKind::AsyncLock, AccessMode::Exclusive))
        );
        assert_eq!(classify("lock_api", "RawMutex"), None);
        assert_eq!(
            classify("loom", "Mutex"),
            Some(Role::Lock(LockKind::Unknown))
        );
        assert_eq!(
            classify("loom", "MutexGuard"),
            Some(Role::Guard(LockKind::Unknown, AccessMode::Exclusive))
        );
        assert_eq!(
            classify("my_app", "SpinMutex"),
            Some(Role::Lock(LockKind::Unknown))
        );
        assert_eq!(classify("my_app", "Registry"), None);
        assert_eq!(classify("std", "Vec"), None);
        assert_eq!(
            classify("dashmap", "DashMap"),
            Some(Role::Lock(LockKind::DashMap))
        );
    }
}
