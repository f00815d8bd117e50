use liveview_core::LiveEvent;

#[derive(LiveEvent)]
enum Event<T> {
    Set(T),
}

fn main() {}
