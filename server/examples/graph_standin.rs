//! The stand-in Graph API of the channel tests and the demo (`src/graph_standin.rs`), on its own:
//! `cargo run -p baladiya-server --example graph_standin -- 127.0.0.1:9090`. It takes the tokens
//! from `BALADIYA_WHATSAPP_ACCESS_TOKEN`, `BALADIYA_MESSENGER_PAGE_ACCESS_TOKEN` and
//! `BALADIYA_WHATSAPP_PHONE_NUMBER_ID` (as the server does), treats every recipient as inside the
//! 24-hour window, and prints each message it takes: the channel, the kind and the text (never
//! the recipient).

use baladiya_server::graph_standin as graph;

use std::net::SocketAddr;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let addr: SocketAddr = match std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9090".into()).parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("usage: graph_standin [ADDR]: {e}");
            std::process::exit(2);
        }
    };
    let var = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_owned());
    let g = graph::StandIn::start_on(
        addr,
        &var("BALADIYA_WHATSAPP_ACCESS_TOKEN", "demo-wa-token"),
        &var("BALADIYA_MESSENGER_PAGE_ACCESS_TOKEN", "demo-fb-token"),
        &var("BALADIYA_WHATSAPP_PHONE_NUMBER_ID", "106540352242922"),
    )
    .await;
    g.open_window();
    println!("stand-in Graph API on {}", g.url);
    let mut shown = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let taken = g.taken();
        for (channel, v) in taken.iter().skip(shown) {
            let kind = v["type"].as_str().or(v["messaging_type"].as_str()).unwrap_or("?");
            let text = v["text"]["body"]
                .as_str()
                .or(v["message"]["text"].as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| v["template"].to_string());
            println!("{channel} {kind}: {text}");
        }
        shown = taken.len();
    }
}
