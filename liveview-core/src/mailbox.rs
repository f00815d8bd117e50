//! The handle through which anything (timers, tasks, other views) sends a view a message.

use std::time::Duration;

use tokio::sync::mpsc;

/// Sends messages to one view's process, where they arrive in `handle_info`.
///
/// Cheap to clone and `Send`: hand it to spawned tasks. Before the view is connected (the
/// dead render) there is no process, and messages are dropped.
#[derive(Debug)]
pub struct Mailbox<T> {
    sender: Option<mpsc::Sender<T>>,
}

impl<T> Clone for Mailbox<T> {
    fn clone(&self) -> Self {
        Mailbox {
            sender: self.sender.clone(),
        }
    }
}

/// The view's process has ended (or never started): the message was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the view's process has ended")
    }
}

impl std::error::Error for Closed {}

impl<T: Send + 'static> Mailbox<T> {
    pub(crate) fn new(sender: Option<mpsc::Sender<T>>) -> Self {
        Mailbox { sender }
    }

    pub(crate) fn sender(&self) -> Option<&mpsc::Sender<T>> {
        self.sender.as_ref()
    }

    /// Delivers `msg`, waiting while the mailbox is full.
    pub async fn send(&self, msg: T) -> Result<(), Closed> {
        match &self.sender {
            Some(sender) => sender.send(msg).await.map_err(|_| Closed),
            None => Err(Closed),
        }
    }

    /// Delivers `msg` after `delay`, from a background task (like Phoenix's
    /// `Process.send_after`). Returns at once.
    pub fn send_after(&self, delay: Duration, msg: T) {
        if let Some(sender) = self.sender.clone() {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = sender.send(msg).await;
            });
        }
    }
}
