pub(crate) mod forward_sink;
pub(crate) mod wakers;
