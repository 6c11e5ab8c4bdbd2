//! Compile-fail and compile-pass cases for the derives and the typed query API.
//! Regenerate the expected `.stderr` files with `TRYBUILD=overwrite cargo test
//! -p strata-tests --test ui`, then read every changed message.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}
