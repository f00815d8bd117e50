//! Fuzz target `url`: the check `liveview_core::fuzzing::url` on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveview_core::fuzzing::url(data));
