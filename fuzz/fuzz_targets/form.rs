//! Fuzz target `form`: the check `liveview_core::fuzzing::form` on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveview_core::fuzzing::form(data));
