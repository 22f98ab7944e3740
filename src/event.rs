/// What [`with_heartbeat`](crate::HeartbeatExt::with_heartbeat) and
/// [`keep_alive`](crate::HeartbeatExt::keep_alive) yield: a pulse, or an item of the stream they wrap.
///
/// ```
/// use futures_heartbeat::Event;
///
/// let events = [Event::Item(1), Event::Pulse, Event::Item(2)];
/// let items: Vec<i32> = events.into_iter().filter_map(Event::into_item).collect();
/// assert_eq!(items, [1, 2]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Event<T> {
    /// No item came for a while the consumer was waiting: a heartbeat's interval,
    /// or a keep-alive's idle time.
    Pulse,
    /// An item of the wrapped stream, unchanged.
    Item(T),
}

impl<T> Event<T> {
    /// `true` for [`Event::Pulse`].
    ///
    /// ```
    /// use futures_heartbeat::Event;
    ///
    /// assert!(Event::<()>::Pulse.is_pulse());
    /// assert!(!Event::Item(1).is_pulse());
    /// ```
    pub fn is_pulse(&self) -> bool {
        matches!(self, Event::Pulse)
    }

    /// `true` for [`Event::Item`].
    ///
    /// ```
    /// use futures_heartbeat::Event;
    ///
    /// assert!(Event::Item(1).is_item());
    /// assert!(!Event::<()>::Pulse.is_item());
    /// ```
    pub fn is_item(&self) -> bool {
        matches!(self, Event::Item(_))
    }

    /// The item, or `None` for a pulse.
    ///
    /// ```
    /// use futures_heartbeat::Event;
    ///
    /// assert_eq!(Event::Item(1).into_item(), Some(1));
    /// assert_eq!(Event::<i32>::Pulse.into_item(), None);
    /// ```
    pub fn into_item(self) -> Option<T> {
        match self {
            Event::Pulse => None,
            Event::Item(item) => Some(item),
        }
    }

    /// Borrows the item: `Event<&T>` from `&Event<T>`.
    ///
    /// ```
    /// use futures_heartbeat::Event;
    ///
    /// let event = Event::Item(String::from("job 7 done"));
    /// assert_eq!(event.as_ref().map(|s| s.len()), Event::Item(10));
    /// ```
    pub fn as_ref(&self) -> Event<&T> {
        match self {
            Event::Pulse => Event::Pulse,
            Event::Item(item) => Event::Item(item),
        }
    }

    /// Applies `f` to the item; a pulse stays a pulse.
    ///
    /// ```
    /// use futures_heartbeat::Event;
    ///
    /// assert_eq!(Event::Item(2).map(|n| n * 10), Event::Item(20));
    /// assert_eq!(Event::<i32>::Pulse.map(|n| n * 10), Event::Pulse);
    /// ```
    pub fn map<U, F: FnOnce(T) -> U>(self, f: F) -> Event<U> {
        match self {
            Event::Pulse => Event::Pulse,
            Event::Item(item) => Event::Item(f(item)),
        }
    }
}

impl<T> From<T> for Event<T> {
    fn from(item: T) -> Self {
        Event::Item(item)
    }
}
