//! Builds the three parts and reads the adapter's current context: the adapter's lock is
//! constructed and used here, in another file than its declaration.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::adapter::ContextAdapter;
use crate::manager::ContextManager;
use crate::tracker::ContextTracker;
use crate::{ContextConfig, ContextState, Persistence};

pub fn manager(ids: &[&str]) -> Arc<ContextManager> {
    let contexts: HashMap<String, ContextState> =
        ids.iter().map(|id| (id.to_string(), ContextState::default())).collect();
    Arc::new(ContextManager {
        contexts: RwLock::new(contexts),
        config: config(),
        persistence: Some(Persistence),
        async_lock: Arc::default(),
    })
}

pub fn tracker(manager: Arc<ContextManager>, active: Option<&str>, version: u64) -> ContextTracker {
    ContextTracker {
        manager: Some(manager),
        active_context_id: Arc::new(RwLock::new(active.map(str::to_string))),
        last_sync: Arc::new(RwLock::new(Instant::now())),
        state: ContextState { version, data: HashMap::new() },
    }
}

pub fn adapter(current: &str) -> ContextAdapter {
    ContextAdapter { current_context_id: RwLock::new(current.to_string()), config: config() }
}

pub async fn current_context(adapter: &ContextAdapter) -> String {
    adapter.current_context_id.read().unwrap().clone()
}

fn config() -> ContextConfig {
    ContextConfig { persistence_enabled: true, default_context_id: "default".to_string() }
}
