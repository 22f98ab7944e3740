pub(crate) mod forward_sink;
pub(crate) mod wakers;
pub(crate) mod yielded;
