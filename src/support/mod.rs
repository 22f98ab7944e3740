pub(crate) mod delegate_access_inner;
pub(crate) mod forward_sink;
pub(crate) mod forward_stream;
pub(crate) mod time_out_as_error;
pub(crate) mod wakers;
pub(crate) mod yielded;
