//! Fuzz target `client_frame`: the check `liveview_core::fuzzing::client_frame` on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveview_core::fuzzing::client_frame(data));
