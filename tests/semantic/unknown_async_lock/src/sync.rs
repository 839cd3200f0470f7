//! The lock: a type lockfix does not know, whose `lock()` gives a future.

use std::future::Future;
use std::ops::Deref;

pub struct FairMutex<T> {
    value: T,
}

pub struct FairMutexGuard<'a, T> {
    value: &'a T,
}

impl<T> Deref for FairMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value
    }
}

impl<T> FairMutex<T> {
    pub fn new(value: T) -> Self {
        FairMutex { value }
    }

    pub fn lock(&self) -> impl Future<Output = FairMutexGuard<'_, T>> + '_ {
        async move { FairMutexGuard { value: &self.value } }
    }
}
