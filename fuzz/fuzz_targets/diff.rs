//! Fuzz target `diff`: the check `liveview_core::fuzzing::diff_roundtrip` on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveview_core::fuzzing::diff_roundtrip(data));
