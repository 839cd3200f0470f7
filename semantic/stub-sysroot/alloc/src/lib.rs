//! lockfix's stub `alloc` (signatures only; see ../../README.md).
#![feature(lang_items, rustc_attrs)]
#![no_std]

pub mod boxed {
    #[allow(unused_imports)]
    use core::prelude::v1::*;
    use core::ops::{Deref, DerefMut};
    #[lang = "owned_box"]
    pub struct Box<T: ?Sized>(*mut T);
    impl<T> Box<T> {
        pub fn new(x: T) -> Box<T> {
            loop {}
        }
    }
    impl<T: ?Sized> Deref for Box<T> {
        type Target = T;
        fn deref(&self) -> &T {
            loop {}
        }
    }
    impl<T: ?Sized> DerefMut for Box<T> {
        fn deref_mut(&mut self) -> &mut T {
            loop {}
        }
    }
    impl<T: Clone> Clone for Box<T> {
        fn clone(&self) -> Self {
            loop {}
        }
    }
}

pub mod sync {
    #[allow(unused_imports)]
    use core::prelude::v1::*;
    use core::ops::Deref;
    pub struct Arc<T: ?Sized>(*const T);
    pub struct Weak<T: ?Sized>(*const T);
    impl<T> Arc<T> {
        pub fn new(data: T) -> Arc<T> {
            loop {}
        }
    }
    impl<T: ?Sized> Arc<T> {
        pub fn clone(this: &Self) -> Self {
            loop {}
        }
        pub fn downgrade(this: &Self) -> Weak<T> {
            loop {}
        }
    }
    impl<T: ?Sized> Weak<T> {
        pub fn upgrade(&self) -> Option<Arc<T>> {
            loop {}
        }
    }
    impl<T: ?Sized> Deref for Arc<T> {
        type Target = T;
        fn deref(&self) -> &T {
            loop {}
        }
    }
    impl<T: ?Sized> Clone for Arc<T> {
        fn clone(&self) -> Self {
            loop {}
        }
    }
    impl<T: Default> Default for Arc<T> {
        fn default() -> Self {
            loop {}
        }
    }
}

pub mod rc {
    #[allow(unused_imports)]
    use core::prelude::v1::*;
    use core::ops::Deref;
    pub struct Rc<T: ?Sized>(*const T);
    impl<T> Rc<T> {
        pub fn new(value: T) -> Rc<T> {
            loop {}
        }
    }
    impl<T: ?Sized> Deref for Rc<T> {
        type Target = T;
        fn deref(&self) -> &T {
            loop {}
        }
    }
    impl<T: ?Sized> Clone for Rc<T> {
        fn clone(&self) -> Self {
            loop {}
        }
    }
}

pub mod vec {
    #[allow(unused_imports)]
    use core::prelude::v1::*;
    pub struct Vec<T>(*mut T);
    impl<T> Vec<T> {
        pub const fn new() -> Vec<T> {
            loop {}
        }
        pub fn push(&mut self, value: T) {}
        pub fn pop(&mut self) -> Option<T> {
            loop {}
        }
        pub fn len(&self) -> usize {
            loop {}
        }
        pub fn is_empty(&self) -> bool {
            loop {}
        }
        pub fn get(&self, index: usize) -> Option<&T> {
            loop {}
        }
        pub fn clear(&mut self) {}
    }
    impl<T: Clone> Clone for Vec<T> {
        fn clone(&self) -> Self {
            loop {}
        }
    }
    impl<T> Default for Vec<T> {
        fn default() -> Self {
            loop {}
        }
    }
}

pub mod string {
    #[allow(unused_imports)]
    use core::prelude::v1::*;
    #[lang = "String"]
    pub struct String(crate::vec::Vec<u8>);
    impl String {
        pub const fn new() -> String {
            loop {}
        }
        pub fn len(&self) -> usize {
            loop {}
        }
        pub fn is_empty(&self) -> bool {
            loop {}
        }
        pub fn push_str(&mut self, string: &str) {}
        pub fn as_str(&self) -> &str {
            loop {}
        }
    }
    impl Clone for String {
        fn clone(&self) -> Self {
            loop {}
        }
    }
    impl Default for String {
        fn default() -> Self {
            loop {}
        }
    }
    impl PartialEq for String {
        fn eq(&self, other: &String) -> bool {
            loop {}
        }
    }
    impl PartialEq<str> for String {
        fn eq(&self, other: &str) -> bool {
            loop {}
        }
    }
    impl PartialEq<&str> for String {
        fn eq(&self, other: &&str) -> bool {
            loop {}
        }
    }
    impl core::ops::Deref for String {
        type Target = str;
        fn deref(&self) -> &str {
            loop {}
        }
    }
    pub trait ToString {
        fn to_string(&self) -> String;
    }
    impl<T: core::fmt::Display + ?Sized> ToString for T {
        fn to_string(&self) -> String {
            loop {}
        }
    }
}

pub mod borrow {
    #[allow(unused_imports)]
    use core::prelude::v1::*;
    pub trait ToOwned {
        type Owned;
        fn to_owned(&self) -> Self::Owned;
    }
    impl<T: Clone> ToOwned for T {
        type Owned = T;
        fn to_owned(&self) -> T {
            loop {}
        }
    }
}

pub mod collections {
    #[allow(unused_imports)]
    use core::prelude::v1::*;
    pub struct VecDeque<T>(crate::vec::Vec<T>);
    pub struct BTreeMap<K, V>(*mut (K, V));
    impl<K, V> BTreeMap<K, V> {
        pub fn new() -> Self {
            loop {}
        }
        pub fn get(&self, key: &K) -> Option<&V> {
            loop {}
        }
        pub fn insert(&mut self, key: K, value: V) -> Option<V> {
            loop {}
        }
        pub fn remove(&mut self, key: &K) -> Option<V> {
            loop {}
        }
        pub fn len(&self) -> usize {
            loop {}
        }
    }
}
