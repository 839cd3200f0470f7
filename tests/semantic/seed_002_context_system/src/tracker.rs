//! tracker.rs: the read guard of the active id is held across the manager's `.await`.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::manager::ContextManager;
use crate::{ContextError, ContextState, Result};

pub struct ContextTracker {
    pub(crate) manager: Option<Arc<ContextManager>>,
    pub(crate) active_context_id: Arc<RwLock<Option<String>>>,
    pub(crate) last_sync: Arc<RwLock<Instant>>,
    pub(crate) state: ContextState,
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
