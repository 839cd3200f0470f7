//! Seed 001 — "Deadlock Postmortem: RwLock in Async Rust with Trait Objects"
//! (auth-service/src/routes/signup.rs). The handler keeps a read guard on the user store, then asks
//! the same `RwLock` for a write guard in the same task: the write waits for the read guard that
//! only this task can release, and the integration test hangs forever.
//!
//! lockfix reports `read-then-write` and rewrites the check into a scoped block returning a `bool`
//! (the postmortem's fix), so the read guard is gone before `write().await`.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::RwLock;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub email: String,
    pub password: String,
    pub requires_2fa: bool,
}

impl User {
    pub fn new(email: String, password: String, requires_2fa: bool) -> Self {
        User { email, password, requires_2fa }
    }
}

#[derive(Debug, PartialEq)]
pub enum UserStoreError {
    UserAlreadyExists,
    UserNotFound,
}

#[derive(Debug, PartialEq)]
pub enum AuthAPIError {
    UserAlreadyExists,
    InvalidCredentials,
}

#[derive(Default)]
pub struct HashmapUserStore {
    users: HashMap<String, User>,
}

impl HashmapUserStore {
    pub async fn add_user(&mut self, user: User) -> Result<(), UserStoreError> {
        if self.users.contains_key(&user.email) {
            return Err(UserStoreError::UserAlreadyExists);
        }
        self.users.insert(user.email.clone(), user);
        Ok(())
    }

    pub async fn get_user(&self, email: &str) -> Result<User, UserStoreError> {
        self.users.get(email).cloned().ok_or(UserStoreError::UserNotFound)
    }
}

#[derive(Clone, Default)]
pub struct AppState {
    pub user_store: Arc<RwLock<HashmapUserStore>>,
}

pub struct SignupRequest {
    pub email: String,
    pub password: String,
    pub requires_2fa: bool,
}

pub struct SignupResponse {
    pub message: String,
}

impl SignupResponse {
    pub fn new(message: &str) -> Self {
        SignupResponse { message: message.to_string() }
    }
}

pub async fn signup(state: AppState, payload: SignupRequest) -> Result<SignupResponse, AuthAPIError> {
    let req_email = payload.email.clone();

    let store_guard = state.user_store.read().await; // ← Acquire read lock
    if store_guard.get_user(&req_email).await.is_ok() {
        return Err(AuthAPIError::UserAlreadyExists); // ← Early return with lock held!
    }

    let user = User::new(payload.email, payload.password, payload.requires_2fa);

    match state.user_store.write().await.add_user(user).await { // ← DEADLOCK
        Ok(_) => Ok(SignupResponse::new("User created successfully!")),
        Err(_) => Err(AuthAPIError::UserAlreadyExists),
    }
}
