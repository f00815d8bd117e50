//! The derive's error messages, pinned: a mistake in an event enum gets a message that
//! says what to write instead, pointing at the offending code.

#[test]
fn misuse_of_the_live_event_derive_fails_to_compile_with_a_clear_message() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/derive_errors/*.rs");
}
