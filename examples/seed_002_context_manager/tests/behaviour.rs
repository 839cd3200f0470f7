//! The context system's behaviour, awaited in place (no `Send` needed), so it runs before and
//! after the fix. Every call is bounded by a timeout: a self-deadlock fails with `HANG:`.

use std::sync::Arc;
use std::time::Duration;

use lockfix_example_002_context_manager::{ContextAdapter, ContextConfig, ContextError, ContextManager, ContextState, ContextTracker, Persistence};

const TIMEOUT: Duration = Duration::from_secs(2);

fn config() -> ContextConfig {
    ContextConfig { persistence_enabled: true, default_context_id: "default".to_string() }
}

#[tokio::test]
async fn update_of_a_known_context_is_stored() {
    let manager = ContextManager::new(config(), Some(Persistence), &["a"]);
    let state = ContextState { version: 2, ..ContextState::default() };
    let result = tokio::time::timeout(TIMEOUT, manager.update_context_state("a", state)).await.expect("HANG: update");
    assert!(result.is_ok());
    assert_eq!(manager.version_of("a"), Some(2));
}

#[tokio::test]
async fn update_of_an_unknown_context_is_not_found() {
    let manager = ContextManager::new(config(), Some(Persistence), &["a"]);
    let result = tokio::time::timeout(TIMEOUT, manager.update_context_state("b", ContextState::default()))
        .await
        .expect("HANG: update");
    assert!(matches!(result, Err(ContextError::NotFound(_))));
    assert_eq!(manager.version_of("b"), None);
}

#[tokio::test]
async fn sync_without_an_active_context_is_an_error() {
    let manager = Arc::new(ContextManager::new(config(), None, &["a"]));
    let tracker = ContextTracker::new(manager, None, ContextState::default());
    let result = tokio::time::timeout(TIMEOUT, tracker.sync_state()).await.expect("HANG: sync");
    assert!(matches!(result, Err(ContextError::NotInitialized(_))));
}

#[tokio::test]
async fn deactivating_the_current_context_activates_the_default_without_deadlock() {
    let adapter = ContextAdapter::new(config(), "a");
    let result = tokio::time::timeout(TIMEOUT, adapter.deactivate_context("a")).await.expect("HANG: deactivate → activate");
    assert!(result.is_ok());
    assert_eq!(adapter.current_context_id().await, "default");
}

#[tokio::test]
async fn deactivating_another_context_keeps_the_current_one() {
    let adapter = ContextAdapter::new(config(), "a");
    let result = tokio::time::timeout(TIMEOUT, adapter.deactivate_context("b")).await.expect("HANG: deactivate");
    assert!(result.is_ok());
    assert_eq!(adapter.current_context_id().await, "a");
}
