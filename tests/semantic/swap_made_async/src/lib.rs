//! A std mutex whose critical section spans an `.await` (so `std-lock-in-async` swaps it for
//! tokio's), and a synchronous reader that async code reaches: the crate's example calls it
//! through `report`, under `#[tokio::main]`, where `blocking_lock()` would panic. Every caller can
//! await, so the swap makes `read` and `report` async and awaits their calls, as seed 002's
//! maintainers did with their context system.

use std::sync::Mutex;
use std::time::Duration;

#[derive(Default)]
pub struct Counter {
    hits: Mutex<u64>,
}

impl Counter {
    pub async fn slow_bump(&self) {
        let mut hits = self.hits.lock().unwrap();
        *hits += 1;
        tokio::time::sleep(Duration::from_millis(1)).await;
        *hits += 1;
    }

    pub fn read(&self) -> u64 {
        *self.hits.lock().unwrap()
    }

    pub fn report(&self) -> String {
        format!("{} hits", self.read())
    }
}
