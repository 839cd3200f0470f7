//! A lock type of a crate lockfix does not know (here, `sync.rs`) whose `lock()` gives a future,
//! as futures-intrusive's `GenericMutex` does in sqlx-sqlite: the guard comes out of an `.await`
//! of a `join`. The syntax tier reports nothing; rust-analyzer sees the future and the semantic
//! tier takes the lock for an async one, so it reports nothing either (it once called this a
//! blocking guard held across the `.await`).
//!
//! The `//~` comments list the findings expected on a line with `--semantic off` (syntax) and
//! `--semantic on` (semantic); there are none.

mod sync;

use std::future::Future;

pub use sync::{FairMutex, FairMutexGuard};

async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    (a.await, b.await)
}

async fn notify() -> bool {
    true
}

pub struct Shared {
    conn: FairMutex<Vec<u8>>,
}

impl Shared {
    pub async fn unlock_db(&self) -> Option<FairMutexGuard<'_, Vec<u8>>> {
        let (guard, sent) = both(self.conn.lock(), notify()).await;
        sent.then_some(guard)
    }
}
