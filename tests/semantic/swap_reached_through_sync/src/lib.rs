//! A std mutex whose critical section spans an `.await` (so `std-lock-in-async` would swap it for
//! tokio's), and a synchronous reader that the swap would turn into `blocking_lock()`. No async
//! function of the library calls the reader; the crate's example does, through `report`, under
//! `#[tokio::main]`, where `blocking_lock()` panics. Making `read` and `report` async would do,
//! but a synchronous test calls `report` and cannot await it: the swap must be refused with the
//! route and that reason.

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
