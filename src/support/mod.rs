pub(crate) mod sink;
pub(crate) mod wakers;
