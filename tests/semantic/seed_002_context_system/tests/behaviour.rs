//! What the context system does, before and after lockfix's rewrite.

use std::time::Duration;

use seed_002_context_system::{system, ContextError, ContextState};

#[tokio::test]
async fn update_of_a_known_context_is_stored() {
    let manager = system::manager(&["a"]);
    let state = ContextState { version: 2, ..Default::default() };
    manager.update_context_state("a", state).await.unwrap();
    assert_eq!(manager.version_of("a"), Some(2));
}

#[tokio::test]
async fn update_of_an_unknown_context_is_not_found() {
    let manager = system::manager(&["a"]);
    let result = manager.update_context_state("b", ContextState::default()).await;
    assert!(matches!(result, Err(ContextError::NotFound(_))));
}

#[tokio::test]
async fn sync_stores_the_tracked_state_under_the_active_id() {
    let manager = system::manager(&["a"]);
    let tracker = system::tracker(manager.clone(), Some("a"), 3);
    tracker.sync_state().await.unwrap();
    assert_eq!(manager.version_of("a"), Some(3));
    let idle = system::tracker(manager, None, 4);
    assert!(matches!(idle.sync_state().await, Err(ContextError::NotInitialized(_))));
}

#[tokio::test]
async fn deactivating_the_current_context_activates_the_default_without_deadlock() {
    let adapter = system::adapter("a");
    tokio::time::timeout(Duration::from_secs(5), adapter.deactivate_context("a"))
        .await
        .expect("deactivate → activate deadlocked")
        .unwrap();
    assert_eq!(system::current_context(&adapter).await, "default");
}

#[tokio::test]
async fn deactivating_another_context_keeps_the_current_one() {
    let adapter = system::adapter("a");
    adapter.deactivate_context("b").await.unwrap();
    assert_eq!(system::current_context(&adapter).await, "a");
}
