//! Fuzz target `tokenizer`: the check `liveview_core::fuzzing::tokenizer` on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liveview_core::fuzzing::tokenizer(data));
