//! lockfix's stub `core` (signatures only; see ../../README.md).
#![feature(lang_items, no_core, rustc_attrs, decl_macro, auto_traits, unboxed_closures)]
#![no_core]

pub mod marker {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    #[lang = "pointee_sized"]
    pub trait PointeeSized {}
    #[lang = "meta_sized"]
    pub trait MetaSized: PointeeSized {}
    #[lang = "sized"]
    pub trait Sized: MetaSized {}
    #[lang = "copy"]
    pub trait Copy: Clone {}
    #[lang = "sync"]
    pub unsafe auto trait Sync {}
    pub unsafe auto trait Send {}
    #[lang = "unpin"]
    pub auto trait Unpin {}
    #[lang = "phantom_data"]
    pub struct PhantomData<T: ?Sized>;
    #[rustc_builtin_macro]
    pub macro Copy($item:item) {}
    use crate::clone::Clone;
}

pub mod clone {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    #[lang = "clone"]
    pub trait Clone: Sized {
        fn clone(&self) -> Self;
    }
    #[rustc_builtin_macro]
    pub macro Clone($item:item) {}
    impl<T: ?Sized> Clone for &T {
        fn clone(&self) -> Self {
            loop {}
        }
    }
}

pub mod default {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub trait Default: Sized {
        fn default() -> Self;
    }
    #[rustc_builtin_macro]
    pub macro Default($item:item) {}
}

pub mod fmt {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub struct Error;
    pub type Result = crate::result::Result<(), Error>;
    pub struct Formatter<'a>(&'a ());
    #[lang = "Debug"]
    pub trait Debug {
        fn fmt(&self, f: &mut Formatter<'_>) -> Result;
    }
    pub trait Display {
        fn fmt(&self, f: &mut Formatter<'_>) -> Result;
    }
    #[rustc_builtin_macro]
    pub macro Debug($item:item) {}
}

pub mod hash {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub trait Hash {}
    #[rustc_builtin_macro]
    pub macro Hash($item:item) {}
}

pub mod cmp {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    #[lang = "eq"]
    pub trait PartialEq<Rhs: ?Sized = Self> {
        fn eq(&self, other: &Rhs) -> bool;
        fn ne(&self, other: &Rhs) -> bool {
            loop {}
        }
    }
    pub trait Eq: PartialEq<Self> {}
    #[lang = "partial_ord"]
    pub trait PartialOrd<Rhs: ?Sized = Self>: PartialEq<Rhs> {}
    pub trait Ord: Eq + PartialOrd<Self> {}
    #[rustc_builtin_macro]
    pub macro PartialEq($item:item) {}
    #[rustc_builtin_macro]
    pub macro Eq($item:item) {}
    #[rustc_builtin_macro]
    pub macro PartialOrd($item:item) {}
    #[rustc_builtin_macro]
    pub macro Ord($item:item) {}
}

pub mod convert {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub trait From<T>: Sized {
        fn from(value: T) -> Self;
    }
    pub trait Into<T>: Sized {
        fn into(self) -> T;
    }
    impl<T, U: From<T>> Into<U> for T {
        fn into(self) -> U {
            loop {}
        }
    }
    impl<T> From<T> for T {
        fn from(t: T) -> T {
            t
        }
    }
    pub trait AsRef<T: ?Sized> {
        fn as_ref(&self) -> &T;
    }
    pub enum Infallible {}
}

pub mod ops {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    #[lang = "deref"]
    pub trait Deref {
        #[lang = "deref_target"]
        type Target: ?Sized;
        fn deref(&self) -> &Self::Target;
    }
    #[lang = "deref_mut"]
    pub trait DerefMut: Deref {
        fn deref_mut(&mut self) -> &mut Self::Target;
    }
    impl<T: ?Sized> Deref for &T {
        type Target = T;
        fn deref(&self) -> &T {
            loop {}
        }
    }
    impl<T: ?Sized> Deref for &mut T {
        type Target = T;
        fn deref(&self) -> &T {
            loop {}
        }
    }
    impl<T: ?Sized> DerefMut for &mut T {
        fn deref_mut(&mut self) -> &mut T {
            loop {}
        }
    }
    #[lang = "drop"]
    pub trait Drop {
        fn drop(&mut self);
    }
    #[lang = "fn_once"]
    #[rustc_paren_sugar]
    pub trait FnOnce<Args> {
        #[lang = "fn_once_output"]
        type Output;
        extern "rust-call" fn call_once(self, args: Args) -> Self::Output;
    }
    #[lang = "fn_mut"]
    #[rustc_paren_sugar]
    pub trait FnMut<Args>: FnOnce<Args> {
        extern "rust-call" fn call_mut(&mut self, args: Args) -> Self::Output;
    }
    #[lang = "fn"]
    #[rustc_paren_sugar]
    pub trait Fn<Args>: FnMut<Args> {
        extern "rust-call" fn call(&self, args: Args) -> Self::Output;
    }
    pub enum ControlFlow<B, C = ()> {
        Continue(C),
        Break(B),
    }
    #[lang = "Try"]
    pub trait Try: FromResidual<Self::Residual> {
        type Output;
        type Residual;
        #[lang = "from_output"]
        fn from_output(output: Self::Output) -> Self;
        #[lang = "branch"]
        fn branch(self) -> ControlFlow<Self::Residual, Self::Output>;
    }
    pub trait FromResidual<R> {
        #[lang = "from_residual"]
        fn from_residual(residual: R) -> Self;
    }
    #[lang = "index"]
    pub trait Index<Idx: ?Sized> {
        type Output: ?Sized;
        fn index(&self, index: Idx) -> &Self::Output;
    }
}

pub mod pin {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    #[lang = "pin"]
    pub struct Pin<Ptr> {
        pointer: Ptr,
    }
}

pub mod task {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub struct Context<'a>(&'a ());
    pub enum Poll<T> {
        Ready(T),
        Pending,
    }
}

pub mod future {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    use crate::{
        pin::Pin,
        task::{Context, Poll},
    };
    #[lang = "future_trait"]
    pub trait Future {
        #[lang = "future_output"]
        type Output;
        #[lang = "poll"]
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output>;
    }
    pub trait IntoFuture {
        type Output;
        type IntoFuture: Future<Output = Self::Output>;
        #[lang = "into_future"]
        fn into_future(self) -> Self::IntoFuture;
    }
    impl<F: Future> IntoFuture for F {
        type Output = F::Output;
        type IntoFuture = F;
        fn into_future(self) -> F {
            self
        }
    }
}

pub mod option {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    #[lang = "Option"]
    pub enum Option<T> {
        #[lang = "None"]
        None,
        #[lang = "Some"]
        Some(T),
    }
    use self::Option::{None, Some};
    impl<T> Option<T> {
        pub fn unwrap(self) -> T {
            loop {}
        }
        pub fn expect(self, msg: &str) -> T {
            loop {}
        }
        pub fn is_some(&self) -> bool {
            loop {}
        }
        pub fn is_none(&self) -> bool {
            loop {}
        }
        pub fn as_ref(&self) -> Option<&T> {
            loop {}
        }
        pub fn as_mut(&mut self) -> Option<&mut T> {
            loop {}
        }
        pub fn take(&mut self) -> Option<T> {
            loop {}
        }
        pub fn map<U, F: FnOnce(T) -> U>(self, f: F) -> Option<U> {
            loop {}
        }
        pub fn and_then<U, F: FnOnce(T) -> Option<U>>(self, f: F) -> Option<U> {
            loop {}
        }
        pub fn ok_or<E>(self, err: E) -> crate::result::Result<T, E> {
            loop {}
        }
        pub fn unwrap_or(self, default: T) -> T {
            loop {}
        }
        pub fn cloned<U: Clone>(self) -> Option<U>
        where
            T: crate::ops::Deref<Target = U>,
        {
            loop {}
        }
    }
    impl<T: Clone> Clone for Option<T> {
        fn clone(&self) -> Self {
            loop {}
        }
    }
    use crate::{clone::Clone, ops::FnOnce};
}

pub mod result {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub enum Result<T, E> {
        #[lang = "Ok"]
        Ok(T),
        #[lang = "Err"]
        Err(E),
    }
    use crate::{clone::Clone, ops::FnOnce, option::Option};
    impl<T, E> Result<T, E> {
        pub fn unwrap(self) -> T {
            loop {}
        }
        pub fn expect(self, msg: &str) -> T {
            loop {}
        }
        pub fn is_ok(&self) -> bool {
            loop {}
        }
        pub fn is_err(&self) -> bool {
            loop {}
        }
        pub fn ok(self) -> Option<T> {
            loop {}
        }
        pub fn err(self) -> Option<E> {
            loop {}
        }
        pub fn map<U, F: FnOnce(T) -> U>(self, op: F) -> Result<U, E> {
            loop {}
        }
        pub fn map_err<F2, O: FnOnce(E) -> F2>(self, op: O) -> Result<T, F2> {
            loop {}
        }
        pub fn unwrap_or_else<F: FnOnce(E) -> T>(self, op: F) -> T {
            loop {}
        }
        pub fn and_then<U, F: FnOnce(T) -> Result<U, E>>(self, op: F) -> Result<U, E> {
            loop {}
        }
    }
    impl<T: Clone, E: Clone> Clone for Result<T, E> {
        fn clone(&self) -> Self {
            loop {}
        }
    }
    impl<T, E> crate::ops::Try for Result<T, E> {
        type Output = T;
        type Residual = Result<crate::convert::Infallible, E>;
        fn from_output(output: T) -> Self {
            loop {}
        }
        fn branch(self) -> crate::ops::ControlFlow<Self::Residual, T> {
            loop {}
        }
    }
    impl<T, E, F: crate::convert::From<E>> crate::ops::FromResidual<Result<crate::convert::Infallible, E>>
        for Result<T, F>
    {
        fn from_residual(residual: Result<crate::convert::Infallible, E>) -> Self {
            loop {}
        }
    }
}

pub mod iter {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    #[lang = "iterator"]
    pub trait Iterator {
        type Item;
        #[lang = "next"]
        fn next(&mut self) -> crate::option::Option<Self::Item>;
    }
    pub trait IntoIterator {
        type Item;
        type IntoIter: Iterator<Item = Self::Item>;
        #[lang = "into_iter"]
        fn into_iter(self) -> Self::IntoIter;
    }
    impl<I: Iterator> IntoIterator for I {
        type Item = I::Item;
        type IntoIter = I;
        fn into_iter(self) -> I {
            self
        }
    }
}

pub mod time {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    #[derive(Clone, Copy)]
    pub struct Duration {
        secs: u64,
    }
}

pub mod mem {
    #[allow(unused_imports)]
    use crate::prelude::v1::*;
    pub fn drop<T>(_x: T) {}
    pub fn take<T: crate::default::Default>(dest: &mut T) -> T {
        loop {}
    }
    pub fn replace<T>(dest: &mut T, src: T) -> T {
        loop {}
    }
}

pub mod prelude {
    pub mod v1 {
        pub use crate::clone::Clone;
        pub use crate::cmp::{Eq, Ord, PartialEq, PartialOrd};
        pub use crate::convert::{AsRef, From, Into};
        pub use crate::default::Default;
        pub use crate::fmt::Debug;
        pub use crate::future::{Future, IntoFuture};
        pub use crate::hash::Hash;
        pub use crate::iter::{IntoIterator, Iterator};
        pub use crate::marker::{Copy, Send, Sized, Sync, Unpin};
        pub use crate::mem::drop;
        pub use crate::ops::{Drop, Fn, FnMut, FnOnce};
        pub use crate::option::Option::{self, None, Some};
        pub use crate::result::Result::{self, Err, Ok};
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
