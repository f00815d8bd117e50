use liveview_core::LiveEvent;

#[derive(LiveEvent)]
enum Event {
    Move(i32, i32),
}

fn main() {}
