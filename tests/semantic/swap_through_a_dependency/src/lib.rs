//! A std mutex whose critical section spans an `.await` (so `std-lock-in-async` would swap it
//! for tokio's), used once more through a value whose type comes from tokio (`OnceCell::get`).
//! Without the dependencies rust-analyzer cannot resolve that use, and with the stub standard
//! library (no `rust-src`) not even with them. A swap that missed it would leave
//! `counter.hits.lock().unwrap()` on a tokio mutex: it would not compile. The swap is planned
//! without the dependencies first; it must notice the use it cannot resolve, ask the workspace
//! with its dependencies, and then rewrite the use or refuse — never offer a swap without it.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::OnceCell;

#[derive(Default)]
pub struct Counter {
    hits: Mutex<u64>,
}

pub static COUNTER: OnceCell<Counter> = OnceCell::const_new();

impl Counter {
    pub async fn slow_bump(&self) {
        let mut hits = self.hits.lock().unwrap();
        *hits += 1;
        tokio::time::sleep(Duration::from_millis(1)).await;
        *hits += 1;
    }
}

pub async fn reset() {
    if let Some(counter) = COUNTER.get() {
        *counter.hits.lock().unwrap() = 0;
    }
}
