//! Seed 002 — "Async Mutex Refactoring Specification" (context system, DataScienceBioLab). Clippy
//! found std::sync guards held across `.await` in manager/mod.rs, tracker.rs and adapter.rs; these
//! are the three methods as the spec quotes them.
//!
//! lockfix reports `guard-across-await` on `update_context_state` (the synchronous part moves into
//! its own scope, the poisoned-lock branch is kept) and on `sync_state` (the active id is copied out
//! before the await: unsafe). `deactivate_context` drops its guard before the await, yet its
//! future is `!Send` too: the `LockResult` the `if let` matched on (its error type holds the guard)
//! lives until the end of the `if let`, across the await. lockfix reports it as
//! `std-lock-in-async` and, with the semantic tier, swaps `current_context_id` for
//! `tokio::sync::RwLock` across the crate (see tests/scenarios.rs).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use tokio::sync::Mutex as AsyncMutex;

#[derive(Debug, Clone, Default)]
pub struct ContextState { pub version: u64, pub data: HashMap<String, String> }

#[derive(Debug)]
pub enum ContextError { NotFound(String), InvalidState(String), NotInitialized(String) }

pub type Result<T> = std::result::Result<T, ContextError>;

pub struct ContextConfig { pub persistence_enabled: bool, pub default_context_id: String }

pub struct Persistence;
impl Persistence {
    pub fn save_state(&self, _id: &str, _state: &ContextState) -> Result<()> {
        Ok(())
    }
}

pub struct ContextManager {
    contexts: RwLock<HashMap<String, ContextState>>,
    config: ContextConfig,
    persistence: Option<Persistence>,
    async_lock: Arc<AsyncMutex<()>>,
}

impl ContextManager {
    pub async fn update_context_state(&self, id: &str, state: ContextState) -> Result<()> {
        if let Ok(mut contexts) = self.contexts.write() {
            // Check if context exists
            if !contexts.contains_key(id) {
                return Err(ContextError::NotFound(format!("Context not found: {}", id)));
            }

            // Update context
            contexts.insert(id.to_string(), state.clone());

            // Persist to storage if enabled
            if self.config.persistence_enabled {
                if let Some(persistence) = &self.persistence {
                    // Use async lock to prevent concurrent persistence operations
                    let _guard = self.async_lock.lock().await; // <-- MutexGuard held across await
                    persistence.save_state(id, &state)?;
                }
            }

            Ok(())
        } else {
            Err(ContextError::InvalidState("Failed to acquire contexts lock".to_string()))
        }
    }
}

pub struct ContextTracker {
    manager: Option<Arc<ContextManager>>,
    active_context_id: Arc<RwLock<Option<String>>>,
    last_sync: Arc<RwLock<Instant>>,
    state: ContextState,
}

impl ContextTracker {
    pub async fn sync_state(&self) -> Result<()> {
        if let Some(manager) = &self.manager {
            let state = self.state.clone();
            // If we have an active context, sync to that ID
            if let Ok(active_id) = self.active_context_id.read() {
                if let Some(id) = &*active_id {
                    // Update the context state in the manager
                    manager.update_context_state(id, state).await?;

                    // Update the last sync time
                    if let Ok(mut last_sync) = self.last_sync.write() {
                        *last_sync = Instant::now();
                    }

                    return Ok(());
                }
            }

            Err(ContextError::NotInitialized("No active context".to_string()))
        } else {
            Err(ContextError::NotInitialized("Context manager not set".to_string()))
        }
    }
}

pub struct ContextAdapter {
    current_context_id: RwLock<String>,
    config: ContextConfig,
}

impl ContextAdapter {
    async fn activate_context(&self, id: &str) -> Result<()> {
        *self.current_context_id.write().unwrap() = id.to_string();
        Ok(())
    }

    pub async fn deactivate_context(&self, id: &str) -> Result<()> {
        // If this was the current context, activate the default context
        if let Ok(current) = self.current_context_id.read() {
            if *current == id && id != self.config.default_context_id {
                drop(current); // Drop the read lock before acquiring write lock
                self.activate_context(&self.config.default_context_id).await?;
            }
        }
        Ok(())
    }
}

// Constructors for the scenario's program and tests; the seed shows only the methods above.

impl ContextManager {
    pub fn new(config: ContextConfig, persistence: Option<Persistence>, ids: &[&str]) -> Self {
        let contexts = ids.iter().map(|id| (id.to_string(), ContextState::default())).collect();
        ContextManager { contexts: RwLock::new(contexts), config, persistence, async_lock: Arc::default() }
    }

    pub fn version_of(&self, id: &str) -> Option<u64> {
        self.contexts.read().ok()?.get(id).map(|state| state.version)
    }
}

impl ContextTracker {
    pub fn new(manager: Arc<ContextManager>, active_context_id: Option<&str>, state: ContextState) -> Self {
        ContextTracker {
            manager: Some(manager),
            active_context_id: Arc::new(RwLock::new(active_context_id.map(str::to_string))),
            last_sync: Arc::new(RwLock::new(Instant::now())),
            state,
        }
    }
}

impl ContextAdapter {
    pub fn new(config: ContextConfig, current: &str) -> Self {
        ContextAdapter { current_context_id: RwLock::new(current.to_string()), config }
    }

    pub async fn current_context_id(&self) -> String {
        self.current_context_id.read().unwrap().clone()
    }
}
