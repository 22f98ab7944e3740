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
/// use futures::{stream, StreamExt};
/// use futures_heartbeat::restart::{restarting, Connect, Restart, Restarting};
///
/// /// Gives up at the first error, whatever the connect function.
/// fn fail_fast<F: Connect>(events: Restarting<F>) -> Restarting<F> {
///     events.fatal_if(|_| true)
/// }
///
/// # futures::executor::block_on(async {
/// let refused = |_| async { Err::<stream::Empty<Result<u8, &str>>, _>("refused") };
/// let events: Vec<_> = fail_fast(restarting(refused)).collect().await;
/// assert!(matches!(events[..], [Restart::GaveUp { restarts: 0, .. }]));
/// # });
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
