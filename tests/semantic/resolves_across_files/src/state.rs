//! The application state, declared away from the handlers that lock it.

use std::sync::{Mutex, MutexGuard, RwLock};

pub struct AppState {
    pub cache: parking_lot::RwLock<Vec<u8>>,
    pub users: Mutex<Vec<String>>,
    pub db: RwLock<u64>,
    pub source: Source,
}

/// Not a lock: a reader with a no-argument `read()` that returns a `Result`.
pub struct Source {
    pub bytes: Vec<u8>,
}

impl Source {
    pub fn read(&self) -> Result<Vec<u8>, std::io::Error> {
        Ok(self.bytes.clone())
    }
}

impl AppState {
    /// A helper that returns the guard: callers hold the lock as long as they keep the value.
    pub fn users(&self) -> MutexGuard<'_, Vec<String>> {
        self.users.lock().unwrap()
    }

    pub async fn refresh(&self) -> u64 {
        let db = self.db.read().unwrap();
        *db
    }
}
