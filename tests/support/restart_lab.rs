//! A connect function for the restart tests: it makes sources the test feeds by
//! hand, records its calls, and connects, fails or hangs as the test plans.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_heartbeat::restart::Attempt;

use super::{Fed, Feed};

pub type Error = &'static str;
pub type Source = Fed<Result<u32, Error>>;
pub type Connecting = Pin<Box<dyn Future<Output = Result<Source, Error>> + Send>>;
type Shared<T> = Arc<Mutex<Vec<T>>>;

/// How the next call of the connect function goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    Connect,
    Fail(Error),
    Hang,
}

/// The sources a test's connect function made, the attempts it was called with,
/// and how the next calls go (`Plan::Connect` once the plan runs out).
#[derive(Clone, Default)]
pub struct Lab {
    pub feeds: Shared<Feed<Result<u32, Error>>>,
    /// Each call's attempt number and cursor.
    pub attempts: Shared<(u32, Option<u32>)>,
    pub plan: Arc<Mutex<VecDeque<Plan>>>,
    /// For each call: whether every earlier source was already dropped.
    pub earlier_dropped: Shared<bool>,
    /// How each call went.
    pub plans_used: Shared<Plan>,
    /// Set when a hanging connect future is dropped.
    pub hang_dropped: Arc<AtomicBool>,
}

impl Lab {
    pub fn plan(&self, steps: impl IntoIterator<Item = Plan>) {
        self.plan.lock().unwrap().extend(steps);
    }

    pub fn feed(&self, index: usize) -> Feed<Result<u32, Error>> {
        self.feeds.lock().unwrap()[index].clone()
    }

    pub fn calls(&self) -> usize {
        self.attempts.lock().unwrap().len()
    }

    /// The connect function for `restarting`.
    pub fn connect(&self) -> impl FnMut(Attempt) -> Connecting + Send + 'static {
        let lab = self.clone();
        move |attempt: Attempt| lab.call(attempt.number, None)
    }

    /// The connect function for `resuming`, with items' values as their keys.
    pub fn connect_resuming(&self) -> impl FnMut(Attempt<u32>) -> Connecting + Send + 'static {
        let lab = self.clone();
        move |attempt: Attempt<u32>| lab.call(attempt.number, attempt.cursor)
    }

    fn call(&self, number: u32, cursor: Option<u32>) -> Connecting {
        let all_dropped = self.feeds.lock().unwrap().iter().all(Feed::is_dropped);
        self.earlier_dropped.lock().unwrap().push(all_dropped);
        self.attempts.lock().unwrap().push((number, cursor));
        let plan = self.plan.lock().unwrap().pop_front();
        let plan = plan.unwrap_or(Plan::Connect);
        self.plans_used.lock().unwrap().push(plan);
        match plan {
            Plan::Connect => {
                let (feed, fed) = Feed::new();
                self.feeds.lock().unwrap().push(feed);
                Box::pin(async move { Ok(fed) })
            }
            Plan::Fail(error) => Box::pin(async move { Err(error) }),
            Plan::Hang => {
                let dropped = DropFlag(self.hang_dropped.clone());
                Box::pin(async move {
                    let _dropped = dropped;
                    futures::future::pending().await
                })
            }
        }
    }
}

struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
