//! The accessors of the stream an adapter wraps, as futures-util's
//! `delegate_access_inner!` writes them: each hands the call down to the field
//! that holds the stream, or through that field's own accessors, with the docs
//! and the type written where the macro is called, so that each adapter's
//! accessors keep their examples.

/// `get_ref`, `get_mut`, `get_pin_mut` and `into_inner` of the stream in the
/// pinned field `$field`: `$field` itself with `()`, what its own accessors
/// give with `(.)`, and so on down with `(. .)`. Each name comes after its
/// docs, and before the type it returns.
macro_rules! delegate_access_inner {
    (
        $field:ident, ($($ind:tt)*),
        $(#[$get_ref_doc:meta])* get_ref -> $get_ref:ty,
        $(#[$get_mut_doc:meta])* get_mut -> $get_mut:ty,
        $(#[$get_pin_mut_doc:meta])* get_pin_mut -> $get_pin_mut:ty,
        $(#[$into_inner_doc:meta])* into_inner -> $into_inner:ty $(,)?
    ) => {
        $(#[$get_ref_doc])*
        pub fn get_ref(&self) -> $get_ref {
            (&self.$field) $($ind get_ref())*
        }

        $(#[$get_mut_doc])*
        pub fn get_mut(&mut self) -> $get_mut {
            (&mut self.$field) $($ind get_mut())*
        }

        $(#[$get_pin_mut_doc])*
        pub fn get_pin_mut(self: ::core::pin::Pin<&mut Self>) -> $get_pin_mut {
            self.project().$field $($ind get_pin_mut())*
        }

        $(#[$into_inner_doc])*
        pub fn into_inner(self) -> $into_inner {
            self.$field $($ind into_inner())*
        }
    };
}

pub(crate) use delegate_access_inner;
