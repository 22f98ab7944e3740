//! `Sink` through the adapters: wrapping a connection keeps its write half.
//!
//! The heartbeat and the keep-alive hold what they wrap for as long as they
//! live, and hand every `Sink` call to it unchanged ([`forward_sink`]), as the
//! `try_` adapters do to the watchdog or probe they are made of. (The
//! watchdogs drop what they wrap when they end: their writes go through
//! [`Writes`](crate::watchdog::Writes).)

/// The four methods of `Sink`, each handing the call to the pinned field
/// `$field` unchanged: for an `impl Sink<$item>` whose `Error` is the field's.
macro_rules! forward_sink {
    ($field:ident, $item:ty) => {
        fn poll_ready(
            self: ::core::pin::Pin<&mut Self>,
            cx: &mut ::core::task::Context<'_>,
        ) -> ::core::task::Poll<Result<(), Self::Error>> {
            self.project().$field.poll_ready(cx)
        }

        fn start_send(self: ::core::pin::Pin<&mut Self>, item: $item) -> Result<(), Self::Error> {
            self.project().$field.start_send(item)
        }

        fn poll_flush(
            self: ::core::pin::Pin<&mut Self>,
            cx: &mut ::core::task::Context<'_>,
        ) -> ::core::task::Poll<Result<(), Self::Error>> {
            self.project().$field.poll_flush(cx)
        }

        fn poll_close(
            self: ::core::pin::Pin<&mut Self>,
            cx: &mut ::core::task::Context<'_>,
        ) -> ::core::task::Poll<Result<(), Self::Error>> {
            self.project().$field.poll_close(cx)
        }
    };
}

pub(crate) use forward_sink;
