//! The spec's goal: the context system's futures (here: `deactivate_context`'s) can be handed to `tokio::spawn`, which needs
//! them to be `Send`. A std guard held across an `.await` makes a future `!Send`, so before the
//! fix this file does not compile. One file per method, so each compiles or fails on its own.

use std::sync::Arc;
use std::time::Duration;

use lockfix_example_002_context_manager::{ContextAdapter, ContextConfig};

const TIMEOUT: Duration = Duration::from_secs(2);

fn config() -> ContextConfig {
    ContextConfig { persistence_enabled: true, default_context_id: "default".to_string() }
}

#[tokio::test]
async fn deactivate_context_runs_on_a_spawned_task() {
    let adapter = Arc::new(ContextAdapter::new(config(), "a"));
    let task = {
        let adapter = adapter.clone();
        tokio::spawn(async move { adapter.deactivate_context("a").await })
    };
    let result = tokio::time::timeout(TIMEOUT, task).await.expect("HANG: deactivate_context");
    assert!(result.expect("task panicked").is_ok());
    assert_eq!(adapter.current_context_id().await, "default");
}
