use liveview_core::LiveEvent;

#[derive(LiveEvent)]
struct Click {
    x: i32,
}

fn main() {}
