//! `Stream` through the adapters that are a thin type over another: the
//! watchdogs over their state machine, the `try_` adapters over their `Result`
//! wrapper.

/// `poll_next` and `size_hint`, each handing the call to the pinned field
/// `$field` unchanged: for an `impl Stream` whose `Item` is the field's.
macro_rules! forward_stream {
    ($field:ident) => {
        // The wrapper is the whole cost of a thin type: none, once inlined.
        #[inline(always)]
        fn poll_next(
            self: ::core::pin::Pin<&mut Self>,
            cx: &mut ::core::task::Context<'_>,
        ) -> ::core::task::Poll<Option<Self::Item>> {
            self.project().$field.poll_next(cx)
        }

        fn size_hint(&self) -> (usize, Option<usize>) {
            self.$field.size_hint()
        }
    };
}

pub(crate) use forward_stream;
