//! A dependency of the fixture: what its functions return is known only from their declarations
//! here, in another package (the crate index reads one package).

/// Owned bytes: a value made from a guard with it may leave the lock scope.
pub fn encode(readings: &[u32]) -> Vec<u8> {
    readings.iter().map(|r| *r as u8).collect()
}

/// A borrow of its argument: a value made from a guard with it may not.
pub fn newest(readings: &[u32]) -> Option<&u32> {
    readings.last()
}
