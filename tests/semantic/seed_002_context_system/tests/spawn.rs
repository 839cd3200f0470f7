//! Compiles only when the futures are `Send`: before lockfix's rewrite it does not.

use std::sync::Arc;

use seed_002_context_system::{system, ContextState};

#[tokio::test(flavor = "multi_thread")]
async fn every_future_can_be_spawned() {
    let manager = system::manager(&["a"]);
    let tracker = Arc::new(system::tracker(manager.clone(), Some("a"), 5));
    let adapter = Arc::new(system::adapter("a"));

    let m = manager.clone();
    tokio::spawn(async move { m.update_context_state("a", ContextState::default()).await })
        .await
        .unwrap()
        .unwrap();
    let t = tracker.clone();
    tokio::spawn(async move { t.sync_state().await }).await.unwrap().unwrap();
    let a = adapter.clone();
    tokio::spawn(async move { a.deactivate_context("a").await }).await.unwrap().unwrap();
    assert_eq!(manager.version_of("a"), Some(5));
    assert_eq!(system::current_context(&adapter).await, "default");
}
