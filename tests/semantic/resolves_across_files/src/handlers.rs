//! Handlers that lock what `state.rs` declares.

use std::sync::Arc;

use crate::state::AppState;
use crate::tick;

/// parking_lot's `read()` returns the guard itself: nothing in this file says it is a lock, but
/// the syntax tier takes a bare `read()` whose result is used as a guard in async code for a lock
/// of unknown kind; the semantic tier says it is parking_lot's.
pub async fn cached_len(state: Arc<AppState>) -> usize {
    let cache = state.cache.read(); //~ syntax: guard-across-await //~ semantic: guard-across-await
    tick().await;
    cache.len()
}

/// The guard comes from a helper method in state.rs (the crate index finds it, as rust-analyzer).
pub async fn user_count(state: Arc<AppState>) -> usize {
    let users = state.users(); //~ syntax: guard-across-await //~ semantic: guard-across-await
    tick().await;
    users.len()
}

/// `Source::read()` is no lock: the syntax tier takes `.read().unwrap()` for std's `RwLock`.
pub async fn source_len(state: Arc<AppState>) -> usize {
    let bytes = state.source.read().unwrap(); //~ syntax: guard-across-await
    tick().await;
    bytes.len()
}

impl AppState {
    /// `refresh` (in state.rs) takes `self.db.read()` while this write guard is alive.
    pub async fn bump(&self) -> u64 {
        let mut db = self.db.write().unwrap(); //~ syntax: guard-across-await, read-then-write //~ semantic: guard-across-await, read-then-write
        *db += 1;
        self.refresh().await
    }

    /// Correct: the write guard is gone before `refresh` reads.
    pub async fn bump_then_refresh(&self) -> u64 {
        {
            let mut db = self.db.write().unwrap();
            *db += 1;
        }
        self.refresh().await
    }
}

/// Correct: parking_lot's guard is released before the await.
pub async fn cached_len_released(state: Arc<AppState>) -> usize {
    let len = state.cache.read().len();
    tick().await;
    len
}
