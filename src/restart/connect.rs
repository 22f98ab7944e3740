use core::future::Future;

use futures_core::stream::Stream;

use super::Attempt;

/// A connect function of [`restarting`](super::restarting): any
/// `FnMut(Attempt<K>) -> Fut` whose future yields a source, a stream of
/// `Result`s with the future's error type.
///
/// It names the types that the function's signature implies, so that
/// [`Restarting`](super::Restarting) takes the function's type alone:
/// `Restarting<F, K, C>`, not one parameter for each of them. It is implemented
/// for every such function, and sealed: nothing else implements it.
///
/// ```
/// use futures::stream::{self, Iter};
/// use futures_heartbeat::restart::{Attempt, Connect};
/// use std::future::Ready;
/// use std::vec::IntoIter;
///
/// type Source = Iter<IntoIter<Result<u8, String>>>;
///
/// fn connect(_: Attempt) -> Ready<Result<Source, String>> {
///     std::future::ready(Ok(stream::iter(vec![Ok(1)])))
/// }
///
/// fn source_of<F: Connect>(_: &F) -> &'static str {
///     std::any::type_name::<F::Source>()
/// }
/// assert!(source_of(&connect).contains("Iter"));
/// ```
pub trait Connect<K = ()>: sealed::Sealed<K> {
    /// The items of the source's `Ok`s.
    type Ok;
    /// The error of connecting, and of the source's `Err`s.
    type Error;
    /// The stream that a connection yields.
    type Source: Stream<Item = Result<Self::Ok, Self::Error>>;
    /// What the function returns: the connection attempt.
    type Future: Future<Output = Result<Self::Source, Self::Error>>;

    /// Calls the function for `attempt`.
    fn connect(&mut self, attempt: Attempt<K>) -> Self::Future;
}

impl<F, Fut, S, T, E, K> Connect<K> for F
where
    F: FnMut(Attempt<K>) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
{
    type Ok = T;
    type Error = E;
    type Source = S;
    type Future = Fut;

    fn connect(&mut self, attempt: Attempt<K>) -> Fut {
        self(attempt)
    }
}

mod sealed {
    use super::*;

    /// Keeps [`Connect`](super::Connect) to the functions of its blanket impl.
    pub trait Sealed<K> {}

    impl<F, Fut, S, T, E, K> Sealed<K> for F
    where
        F: FnMut(Attempt<K>) -> Fut,
        Fut: Future<Output = Result<S, E>>,
        S: Stream<Item = Result<T, E>>,
    {
    }
}
