//! Prints, for each of the context system's async methods, whether its future is `Send` (what
//! `tokio::spawn` requires; the spec's clippy run found std guards held across `.await`), then runs
//! deactivate → activate under a timeout to show it does not deadlock.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use lockfix_example_002_context_manager::{ContextAdapter, ContextConfig, ContextManager, ContextState, ContextTracker, Persistence};

/// Autoref specialisation: `(&&probe(&value)).send_status()` picks the `&Probe` impl when the
/// value's type is `Send` and falls back to the `&&Probe` impl otherwise.
struct Probe<T>(PhantomData<T>);

fn probe<T>(_: &T) -> Probe<T> {
    Probe(PhantomData)
}

// Unused while every probed future is `!Send` (the buggy shape).
#[allow(dead_code)]
trait SendProbe {
    fn send_status(&self) -> &'static str;
}

impl<T: Send> SendProbe for &Probe<T> {
    fn send_status(&self) -> &'static str {
        "Send"
    }
}

trait NotSendProbe {
    fn send_status(&self) -> &'static str;
}

impl<T> NotSendProbe for &&Probe<T> {
    fn send_status(&self) -> &'static str {
        "not Send"
    }
}

fn config() -> ContextConfig {
    ContextConfig { persistence_enabled: true, default_context_id: "default".to_string() }
}

#[tokio::main]
async fn main() {
    let manager = Arc::new(ContextManager::new(config(), Some(Persistence), &["a"]));
    let tracker = ContextTracker::new(manager.clone(), Some("a"), ContextState::default());
    let adapter = ContextAdapter::new(config(), "a");

    let update = manager.update_context_state("a", ContextState::default());
    let update_status = (&&probe(&update)).send_status();
    drop(update);
    let sync = tracker.sync_state();
    let sync_status = (&&probe(&sync)).send_status();
    drop(sync);
    let deactivate = adapter.deactivate_context("a");
    let deactivate_status = (&&probe(&deactivate)).send_status();
    drop(deactivate);
    println!("update_context_state future: {update_status}");
    println!("sync_state future: {sync_status}");
    println!("deactivate_context future: {deactivate_status}");
    let outcome = match tokio::time::timeout(Duration::from_secs(2), adapter.deactivate_context("a")).await {
        Ok(Ok(())) => "completed",
        Ok(Err(_)) => "failed",
        Err(_) => "hung",
    };
    println!("deactivate -> activate: {outcome}, current context {:?}", adapter.current_context_id().await);
    println!(
        "measured: update_send={} sync_send={} deactivate_send={} deactivate={outcome}",
        update_status == "Send",
        sync_status == "Send",
        deactivate_status == "Send"
    );
}
