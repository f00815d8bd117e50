//! The counter screen (`/counter`): the smallest live view.

use liveview_core::maud::{html, Markup};
use liveview_core::{LiveEvent, LiveView, Params, Result, Session, Socket};

/// A count that starts at 0 on every page load.
#[derive(Debug, Default)]
pub struct Counter {
    count: i64,
}

/// The counter's buttons.
#[derive(Debug, LiveEvent)]
pub enum CounterEvent {
    /// `+`: one more.
    Increment,
    /// `-`: one less.
    Decrement,
}

impl LiveView for Counter {
    type Event = CounterEvent;
    type Info = ();

    async fn mount(_: Params, _: &Session, _: &mut Socket<Self>) -> Result<Self> {
        Ok(Counter::default())
    }

    async fn handle_event(&mut self, event: CounterEvent, _: &mut Socket<Self>) -> Result<()> {
        match event {
            CounterEvent::Increment => self.count = self.count.saturating_add(1),
            CounterEvent::Decrement => self.count = self.count.saturating_sub(1),
        }
        Ok(())
    }

    fn render(&self) -> Markup {
        html! {
            section class="card counter" {
                h1 { "Counter: " (self.count) }
                div class="buttons" {
                    button phx-click="decrement" { "-" }
                    button phx-click="increment" { "+" }
                }
            }
        }
    }

    fn title(&self) -> Option<String> {
        Some("Counter".into())
    }
}
