//! adapter.rs: `deactivate_context` drops its read guard before activating the default context,
//! but the `LockResult` its `if let` matched on lives across the `.await`: the future is not
//! `Send`. Scoping cannot remove a scrutinee; the swap to `tokio::sync::RwLock` does.

use std::sync::RwLock;

use crate::{ContextConfig, Result};

pub struct ContextAdapter {
    pub(crate) current_context_id: RwLock<String>,
    pub(crate) config: ContextConfig,
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
