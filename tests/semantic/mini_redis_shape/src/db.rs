use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, Notify};
use tokio::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Db {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    background_task: Notify,
}

#[derive(Debug)]
struct State {
    entries: HashMap<String, Entry>,
    pub_sub: HashMap<String, broadcast::Sender<Vec<u8>>>,
    expirations: BTreeSet<(Instant, String)>,
    shutdown: bool,
}

#[derive(Debug)]
struct Entry {
    data: Vec<u8>,
    expires_at: Option<Instant>,
}

impl Db {
    pub fn new() -> Db {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                entries: HashMap::new(),
                pub_sub: HashMap::new(),
                expirations: BTreeSet::new(),
                shutdown: false,
            }),
            background_task: Notify::new(),
        });
        Db { shared }
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let state = self.shared.state.lock().unwrap();
        state.entries.get(key).map(|entry| entry.data.clone())
    }

    pub fn set(&self, key: String, value: Vec<u8>, expire: Option<Duration>) {
        let mut state = self.shared.state.lock().unwrap();
        let expires_at = expire.map(|duration| Instant::now() + duration);
        let notify = expires_at
            .map(|when| state.next_expiration().map(|next| next > when).unwrap_or(true))
            .unwrap_or(false);
        let prev = state.entries.insert(key.clone(), Entry { data: value, expires_at });
        if let Some(prev) = prev {
            if let Some(when) = prev.expires_at {
                state.expirations.remove(&(when, key.clone()));
            }
        }
        if let Some(when) = expires_at {
            state.expirations.insert((when, key));
        }
        drop(state);
        if notify {
            self.shared.background_task.notify_one();
        }
    }

    pub fn subscribe(&self, key: String) -> broadcast::Receiver<Vec<u8>> {
        let mut state = self.shared.state.lock().unwrap();
        match state.pub_sub.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.get().subscribe(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let (tx, rx) = broadcast::channel(1024);
                e.insert(tx);
                rx
            }
        }
    }

    /// The broadcast send is synchronous and never waits: fine under the lock.
    pub fn publish(&self, key: &str, value: Vec<u8>) -> usize {
        let state = self.shared.state.lock().unwrap();
        state
            .pub_sub
            .get(key)
            .map(|tx| tx.send(value).unwrap_or(0))
            .unwrap_or(0)
    }

    pub fn shutdown_purge_task(&self) {
        let mut state = self.shared.state.lock().unwrap();
        state.shutdown = true;
        drop(state);
        self.shared.background_task.notify_one();
    }
}

impl Default for Db {
    fn default() -> Self {
        Db::new()
    }
}

impl Shared {
    fn purge_expired_keys(&self) -> Option<Instant> {
        let mut state = self.state.lock().unwrap();
        if state.shutdown {
            return None;
        }
        let state = &mut *state;
        let now = Instant::now();
        while let Some(&(when, ref key)) = state.expirations.iter().next() {
            if when > now {
                return Some(when);
            }
            state.entries.remove(key);
            state.expirations.remove(&(when, key.clone()));
        }
        None
    }

    fn is_shutdown(&self) -> bool {
        self.state.lock().unwrap().shutdown
    }
}

impl State {
    fn next_expiration(&self) -> Option<Instant> {
        self.expirations.iter().next().map(|expiration| expiration.0)
    }
}

/// The background task: the lock is taken in short synchronous helpers between the awaits.
pub async fn purge_expired_tasks(db: Db) {
    let shared = db.shared.clone();
    while !shared.is_shutdown() {
        if let Some(when) = shared.purge_expired_keys() {
            tokio::select! {
                _ = tokio::time::sleep_until(when) => {}
                _ = shared.background_task.notified() => {}
            }
        } else {
            shared.background_task.notified().await;
        }
    }
}
