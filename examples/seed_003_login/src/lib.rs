//! Seed 003 — ADR 002 "Mutex Safety Pattern - Lock Minimization". Intermittent API freezes in
//! production: the login handler held the storage `MutexGuard` during bcrypt verification (50-100
//! ms by design) and JWT signing, so concurrent logins queued behind each other until the API
//! froze. `register` has the same problem and also spawns a task while holding the lock.
//!
//! lockfix reports `guard-across-blocking` and `emit-under-lock`, and rewrites each handler to the
//! ADR's Pattern 1: take what is needed in a scoped block, do the expensive work unlocked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct User {
    pub user_id: String,
    pub username: String,
    pub password_hash: String,
}

#[derive(Default)]
pub struct Storage {
    users: HashMap<String, User>,
}

impl Storage {
    pub fn get_user_by_username(&self, username: &str) -> Result<User, String> {
        self.users.get(username).cloned().ok_or_else(|| "Invalid credentials".to_string())
    }
}

pub struct AppState {
    pub shared_storage: Arc<Mutex<Storage>>,
}

pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

pub struct AuthResponse {
    pub token: String,
    pub user_id: String,
}

pub async fn login(app_state: &AppState, payload: LoginRequest) -> Result<AuthResponse, String> {
    let storage = app_state.shared_storage.lock().unwrap();

    let user = storage.get_user_by_username(&payload.username)?;

    // ❌ DANGER: Lock is still held during CPU-intensive bcrypt!
    if bcrypt::verify(&payload.password, &user.password_hash).unwrap_or(false) {
        // ❌ DANGER: Lock still held during JWT generation!
        let token = jsonwebtoken::encode(&user.user_id)?;
        return Ok(AuthResponse { token, user_id: user.user_id.clone() });
    }

    Err("Invalid credentials".to_string())
} // Lock finally dropped here - TOO LATE!

pub async fn register(app_state: &AppState, username: String, password: String) -> Result<String, String> {
    let mut storage = app_state.shared_storage.lock().unwrap();
    if storage.users.contains_key(&username) {
        return Err("Username taken".to_string());
    }
    let password_hash = bcrypt::hash(&password, bcrypt::DEFAULT_COST).map_err(|e| e.to_string())?;
    let user_id = format!("user-{}", storage.users.len() + 1);
    let user = User { user_id: user_id.clone(), username: username.clone(), password_hash };
    storage.users.insert(username.clone(), user);
    tokio::spawn(async move {
        println!("sending welcome email to {username}");
    });
    Ok(user_id)
}

// A stand-in for `jsonwebtoken` (signing is cheap next to bcrypt, and the real crate pulls in ring);
// `bcrypt` is the real crate.
mod jsonwebtoken {
    pub fn encode(subject: &str) -> Result<String, String> {
        Ok(format!("eyJhbGciOiJIUzI1NiJ9.{subject}.signature"))
    }
}

// Setup and the cheap request for the scenario's program; the seed shows only the handlers above.

impl Storage {
    pub fn with_users(users: impl IntoIterator<Item = User>) -> Self {
        Storage { users: users.into_iter().map(|user| (user.username.clone(), user)).collect() }
    }
}

/// A profile read: needs the storage lock only for a lookup.
pub fn profile(app_state: &AppState, username: &str) -> Option<String> {
    let storage = app_state.shared_storage.lock().unwrap();
    storage.users.get(username).map(|user| user.user_id.clone())
}
