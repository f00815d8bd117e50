//! Fuzz target `join`: the check `liveview_core::fuzzing::join` on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveview_core::fuzzing::join(data));
