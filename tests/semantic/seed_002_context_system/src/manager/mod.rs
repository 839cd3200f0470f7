//! manager/mod.rs: the write guard of `contexts` is held across the persistence lock's `.await`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio::sync::Mutex as AsyncMutex;

use crate::{ContextConfig, ContextError, ContextState, Persistence, Result};

pub struct ContextManager {
    pub(crate) contexts: RwLock<HashMap<String, ContextState>>,
    pub(crate) config: ContextConfig,
    pub(crate) persistence: Option<Persistence>,
    pub(crate) async_lock: Arc<AsyncMutex<()>>,
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
                    let _guard = self.async_lock.lock().await;
                    persistence.save_state(id, &state)?;
                }
            }

            Ok(())
        } else {
            Err(ContextError::InvalidState("Failed to acquire contexts lock".to_string()))
        }
    }

    pub fn version_of(&self, id: &str) -> Option<u64> {
        self.contexts.read().ok()?.get(id).map(|state| state.version)
    }
}
