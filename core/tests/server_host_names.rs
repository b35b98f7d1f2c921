//! The library resolves IDNA without a Unicode back end (idna_adapter 1.0, pinned in
//! core/Cargo.toml for size: ICU4X's data was 0.12 MB of the shipped library; README, "Library
//! size"). A server's host name is configured, never typed by a citizen: ASCII and Punycode names
//! work, a name in Arabic letters is refused with a configuration error (write it as xn--…). This
//! fails if the pin is lost and the ICU4X back end comes back.

use baladiya_core::api::parse_base_url;
use baladiya_core::Error;

#[test]
fn ascii_and_punycode_host_names_are_accepted() {
    for (url, host) in [
        ("https://baladiya.example.ps/api", "baladiya.example.ps"),
        ("https://GAZA-City.Example.org/", "gaza-city.example.org"),
        // بلدية.ps written in Punycode, as the configuration must have it.
        ("https://xn--ngbcr7f5a.ps/", "xn--ngbcr7f5a.ps"),
    ] {
        let base = parse_base_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(base.host_str(), Some(host), "{url}");
    }
}

#[test]
fn a_host_name_in_arabic_letters_is_refused_as_configuration() {
    for url in ["https://بلدية.ps/", "https://gaza.بلدية/api/"] {
        match parse_base_url(url) {
            Err(Error::Validation { field, .. }) => assert_eq!(field, "server_url", "{url}"),
            other => panic!("{url}: expected a server_url validation error, got {other:?}"),
        }
    }
}
