//! The postmortem's integration tests. Every call is bounded by a timeout so a self-deadlock fails
//! with a message starting `HANG:` instead of hanging the test run.

use std::time::Duration;

use lockfix_example_001_signup::{signup, AppState, AuthAPIError, SignupRequest, User};

const TIMEOUT: Duration = Duration::from_secs(2);

fn request(email: &str) -> SignupRequest {
    SignupRequest {
        email: email.to_string(),
        password: "password123".to_string(),
        requires_2fa: false,
    }
}

#[tokio::test]
async fn signup_of_a_new_user_completes() {
    let state = AppState::default();
    let result = tokio::time::timeout(TIMEOUT, signup(state.clone(), request("new@example.com")))
        .await
        .expect("HANG: signup of a new user did not complete");
    assert!(result.is_ok());
    let stored = state.user_store.read().await.get_user("new@example.com").await;
    assert!(stored.is_ok(), "the new user is stored");
}

#[tokio::test]
async fn signup_of_an_existing_user_is_rejected() {
    let state = AppState::default();
    let user = User::new("taken@example.com".to_string(), "x".to_string(), false);
    state.user_store.write().await.add_user(user).await.expect("fresh store");
    let result = tokio::time::timeout(TIMEOUT, signup(state, request("taken@example.com")))
        .await
        .expect("HANG: signup of an existing user did not complete");
    assert_eq!(result.err(), Some(AuthAPIError::UserAlreadyExists));
}
