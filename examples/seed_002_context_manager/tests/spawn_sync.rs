//! The spec's goal: the context system's futures (here: `sync_state`'s) can be handed to `tokio::spawn`, which needs
//! them to be `Send`. A std guard held across an `.await` makes a future `!Send`, so before the
//! fix this file does not compile. One file per method, so each compiles or fails on its own.

use std::sync::Arc;
use std::time::Duration;

use lockfix_example_002_context_manager::{ContextConfig, ContextManager, ContextState, ContextTracker, Persistence};

const TIMEOUT: Duration = Duration::from_secs(2);

fn config() -> ContextConfig {
    ContextConfig { persistence_enabled: true, default_context_id: "default".to_string() }
}

#[tokio::test]
async fn sync_state_runs_on_a_spawned_task() {
    let manager = Arc::new(ContextManager::new(config(), Some(Persistence), &["a"]));
    let state = ContextState { version: 3, ..ContextState::default() };
    let tracker = ContextTracker::new(manager.clone(), Some("a"), state);
    let task = tokio::spawn(async move { tracker.sync_state().await });
    let result = tokio::time::timeout(TIMEOUT, task).await.expect("HANG: sync_state");
    assert!(result.expect("task panicked").is_ok());
    assert_eq!(manager.version_of("a"), Some(3));
}
