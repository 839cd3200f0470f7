use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct Storage {
    hashes: HashMap<String, String>,
}

pub async fn login(storage: &Arc<Mutex<Storage>>, name: &str, password: &str) -> bool {
    let storage = storage.lock().unwrap();
    let hash = storage.hashes.get(name).cloned().unwrap_or_default();
    bcrypt::verify(password, &hash).unwrap_or(false)
}
