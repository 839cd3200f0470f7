//! Seed 000 — Fluvio PR #2490 (https://github.com/infinyon/fluvio/pull/2490), "Write lock held
//! across async IO". Quote from the PR: "Write lock guard shouldn't outlive `await` on async IO
//! operations because under high load awaiting time could be significant, and during all that
//! time, the lock guard won't be dropped and will prevent the system from any progress."
//!
//! Below, `write_and_persist` keeps the cache's write guard alive through the disk write, so the
//! reader in `run_demo` waits ~450 ms. lockfix reports `guard-across-await` and offers the PR's
//! fix (copy the data, release the lock, then await the IO) as an unsafe fix: the copy may be
//! stale by the time it is written.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::RwLock;

#[derive(Debug, Default)]
pub struct Cache {
    version: u64,
    data: Vec<u8>,
}

impl Cache {
    pub fn update(&mut self, data: Vec<u8>) {
        self.version += 1;
        self.data = data;
    }

    pub fn get_data(&self) -> &[u8] {
        &self.data
    }
}

async fn async_write_to_disk(data: &[u8]) {
    println!("    [IO] Writing {} bytes...", data.len());
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("    [IO] Write complete");
}

#[derive(Clone, Default)]
pub struct Replica {
    cache: Arc<RwLock<Cache>>,
}

impl Replica {
    pub async fn write_and_persist(&self, data: Vec<u8>) {
        println!("[BUGGY] Acquiring write lock...");
        let mut cache = self.cache.write().await;
        println!("[BUGGY] Got write lock, updating cache...");
        cache.update(data);

        // BUG: Lock still held during slow IO!
        println!("[BUGGY] Persisting to disk (holding lock)...");
        async_write_to_disk(cache.get_data()).await;

        println!("[BUGGY] Done, releasing lock");
        // Lock released here - too late!
    }

    pub async fn read_version(&self) -> u64 {
        self.cache.read().await.version
    }
}

/// Writer and reader racing: returns how long the reader waited for its read lock.
pub async fn run_demo() -> Duration {
    let replica = Replica::default();
    let writer = {
        let replica = replica.clone();
        tokio::spawn(async move { replica.write_and_persist(b"hello".to_vec()).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    // On a loaded machine the writer may start late: wait until it holds the lock or has already
    // updated the cache, so the reader always arrives after the write began (as in the seed).
    loop {
        match replica.cache.try_read() {
            Err(_) => break,
            Ok(cache) if cache.version > 0 => break,
            Ok(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }

    println!("[BUGGY] Reader: trying to acquire read lock...");
    let start = Instant::now();
    let version = replica.read_version().await;
    let waited = start.elapsed();
    println!("[BUGGY] Reader: got lock after {}ms, version={}", waited.as_millis(), version);

    writer.await.expect("writer task panicked");
    waited
}
