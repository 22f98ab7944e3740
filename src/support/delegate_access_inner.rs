//! The accessors of the stream an adapter wraps, as futures-util's
//! `delegate_access_inner!` writes them: each hands the call down to the field
//! that holds the stream, or through that field's accessors, with the docs
//! written where the macro is called, so that each adapter's keep their examples.

/// `get_ref`, `get_mut`, `get_pin_mut` and `into_inner` of the stream in the
/// pinned field `$field`: `$field` itself with `()`, or what its own accessors
/// give with `(.)`, and so on down with `(. .)`. With `Option<$inner>`, what
/// the accessors below give is an `Option` (a watchdog's, empty once it has
/// ended). Each name comes after its docs.
macro_rules! delegate_access_inner {
    (
        $field:ident, Option<$inner:ty>, ($($ind:tt)+),
        $(#[$get_ref:meta])* get_ref,
        $(#[$get_mut:meta])* get_mut,
        $(#[$get_pin_mut:meta])* get_pin_mut,
        $(#[$into_inner:meta])* into_inner $(,)?
    ) => {
        $(#[$get_ref])*
        pub fn get_ref(&self) -> Option<&$inner> {
            (&self.$field) $($ind get_ref())+
        }

        $(#[$get_mut])*
        pub fn get_mut(&mut self) -> Option<&mut $inner> {
            (&mut self.$field) $($ind get_mut())+
        }

        $(#[$get_pin_mut])*
        pub fn get_pin_mut(
            self: ::core::pin::Pin<&mut Self>,
        ) -> Option<::core::pin::Pin<&mut $inner>> {
            self.project().$field $($ind get_pin_mut())+
        }

        $(#[$into_inner])*
        pub fn into_inner(self) -> Option<$inner> {
            self.$field $($ind into_inner())+
        }
    };
    (
        $field:ident, $inner:ty, ($($ind:tt)*),
        $(#[$get_ref:meta])* get_ref,
        $(#[$get_mut:meta])* get_mut,
        $(#[$get_pin_mut:meta])* get_pin_mut,
        $(#[$into_inner:meta])* into_inner $(,)?
    ) => {
        $(#[$get_ref])*
        pub fn get_ref(&self) -> &$inner {
            (&self.$field) $($ind get_ref())*
        }

        $(#[$get_mut])*
        pub fn get_mut(&mut self) -> &mut $inner {
            (&mut self.$field) $($ind get_mut())*
        }

        $(#[$get_pin_mut])*
        pub fn get_pin_mut(self: ::core::pin::Pin<&mut Self>) -> ::core::pin::Pin<&mut $inner> {
            self.project().$field $($ind get_pin_mut())*
        }

        $(#[$into_inner])*
        pub fn into_inner(self) -> $inner {
            self.$field $($ind into_inner())*
        }
    };
}

pub(crate) use delegate_access_inner;
