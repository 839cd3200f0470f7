//! lockfix's stub `std` (signatures only; see ../../README.md).
#![feature(lang_items)]

pub use alloc::{borrow, boxed, rc, string, vec};
pub use core::{clone, cmp, convert, default, fmt, future, hash, iter, marker, mem, ops, option, pin, result, task};

pub mod sync {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub use alloc::sync::{Arc, Weak};
    use core::ops::{Deref, DerefMut};

    pub struct PoisonError<T> {
        guard: T,
    }
    impl<T> PoisonError<T> {
        pub fn into_inner(self) -> T {
            loop {}
        }
    }
    pub enum TryLockError<T> {
        Poisoned(PoisonError<T>),
        WouldBlock,
    }
    pub type LockResult<Guard> = Result<Guard, PoisonError<Guard>>;
    pub type TryLockResult<Guard> = Result<Guard, TryLockError<Guard>>;

    pub struct Mutex<T: ?Sized> {
        data: T,
    }
    pub struct MutexGuard<'a, T: ?Sized + 'a> {
        lock: &'a Mutex<T>,
    }
    impl<T> Mutex<T> {
        pub const fn new(t: T) -> Mutex<T> {
            loop {}
        }
        pub fn into_inner(self) -> LockResult<T> {
            loop {}
        }
    }
    impl<T: ?Sized> Mutex<T> {
        pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
            loop {}
        }
        pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
            loop {}
        }
        pub fn get_mut(&mut self) -> LockResult<&mut T> {
            loop {}
        }
        pub fn is_poisoned(&self) -> bool {
            loop {}
        }
    }
    impl<T: Default> Default for Mutex<T> {
        fn default() -> Mutex<T> {
            loop {}
        }
    }
    impl<T: ?Sized> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            loop {}
        }
    }
    impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            loop {}
        }
    }
    impl<T: ?Sized> Drop for MutexGuard<'_, T> {
        fn drop(&mut self) {}
    }

    pub struct RwLock<T: ?Sized> {
        data: T,
    }
    pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
        lock: &'a RwLock<T>,
    }
    pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
        lock: &'a RwLock<T>,
    }
    impl<T> RwLock<T> {
        pub const fn new(t: T) -> RwLock<T> {
            loop {}
        }
        pub fn into_inner(self) -> LockResult<T> {
            loop {}
        }
    }
    impl<T: ?Sized> RwLock<T> {
        pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
            loop {}
        }
        pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
            loop {}
        }
        pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
            loop {}
        }
        pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
            loop {}
        }
        pub fn get_mut(&mut self) -> LockResult<&mut T> {
            loop {}
        }
    }
    impl<T: Default> Default for RwLock<T> {
        fn default() -> RwLock<T> {
            loop {}
        }
    }
    impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            loop {}
        }
    }
    impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            loop {}
        }
    }
    impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            loop {}
        }
    }
    impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
        fn drop(&mut self) {}
    }
    impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
        fn drop(&mut self) {}
    }

    pub struct Condvar {}
    impl Condvar {
        pub const fn new() -> Condvar {
            loop {}
        }
        pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
            loop {}
        }
        pub fn notify_one(&self) {}
        pub fn notify_all(&self) {}
    }

    pub mod atomic {
        pub struct AtomicBool {}
        pub struct AtomicUsize {}
        pub struct AtomicU64 {}
        pub enum Ordering {
            Relaxed,
            Release,
            Acquire,
            AcqRel,
            SeqCst,
        }
    }
    pub mod mpsc {
        pub struct Sender<T>(*mut T);
        pub struct Receiver<T>(*mut T);
    }
}

pub mod collections {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub use alloc::collections::{BTreeMap, VecDeque};
    pub struct HashMap<K, V, S = hash_map::RandomState>(*mut (K, V, S));
    pub struct HashSet<T, S = hash_map::RandomState>(*mut (T, S));
    pub mod hash_map {
        pub struct RandomState;
        pub use super::HashMap;
    }
    impl<K, V> HashMap<K, V, hash_map::RandomState> {
        pub fn new() -> Self {
            loop {}
        }
    }
    impl<K, V, S> HashMap<K, V, S> {
        pub fn get(&self, key: &K) -> Option<&V> {
            loop {}
        }
        pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
            loop {}
        }
        pub fn insert(&mut self, key: K, value: V) -> Option<V> {
            loop {}
        }
        pub fn remove(&mut self, key: &K) -> Option<V> {
            loop {}
        }
        pub fn contains_key(&self, key: &K) -> bool {
            loop {}
        }
        pub fn len(&self) -> usize {
            loop {}
        }
        pub fn is_empty(&self) -> bool {
            loop {}
        }
    }
    impl<K, V, S: Default> Default for HashMap<K, V, S> {
        fn default() -> Self {
            loop {}
        }
    }
    impl<K: Clone, V: Clone, S: Clone> Clone for HashMap<K, V, S> {
        fn clone(&self) -> Self {
            loop {}
        }
    }
}

pub mod time {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub use core::time::Duration;
    #[derive(Clone, Copy)]
    pub struct Instant {}
    impl Instant {
        pub fn now() -> Instant {
            loop {}
        }
        pub fn elapsed(&self) -> Duration {
            loop {}
        }
    }
}

pub mod thread {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub fn sleep(dur: crate::time::Duration) {}
}

pub mod prelude {
    pub mod v1 {
        pub use core::prelude::v1::*;
        pub use alloc::borrow::ToOwned;
        pub use alloc::boxed::Box;
        pub use alloc::string::{String, ToString};
        pub use alloc::vec::Vec;
    }
    pub mod rust_2015 {
        pub use super::v1::*;
    }
    pub mod rust_2018 {
        pub use super::v1::*;
    }
    pub mod rust_2021 {
        pub use super::v1::*;
    }
    pub mod rust_2024 {
        pub use super::v1::*;
    }
}
