use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct Storage {
    hashes: HashMap<String, String>,
}

pub async fn login(storage: &Arc<Mutex<Storage>>, name: &str, password: &str) -> bool {
    let hash = {
        let storage = storage.lock().unwrap();
        storage.hashes.get(name).cloned().unwrap_or_default()
    };
    bcrypt::verify(password, &hash).unwrap_or(false)
}
