//! `cargo run -p baladiya-ffi --features bindgen-cli --bin uniffi-bindgen -- generate --library ...`
fn main() {
    uniffi::uniffi_bindgen_main()
}
