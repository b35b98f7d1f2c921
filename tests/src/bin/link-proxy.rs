//! The fault proxy's link mode on its own, for trying the app by hand over a slow link:
//!
//! ```sh
//! cargo run -p baladiya-tests --bin link-proxy -- 127.0.0.1:8080 50 500 [CUT_EVERY_SECONDS]
//! ```
//!
//! relays to the server at `127.0.0.1:8080` at 50 kbit/s each way with 500 ms of round trip (and
//! cuts every connection every `CUT_EVERY_SECONDS` if given). Prints `listening on http://…/`,
//! then the bytes that crossed each way every ten seconds, until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use baladiya_tests::proxy::{FaultProxy, Link};

fn usage() -> ! {
    eprintln!("usage: link-proxy UPSTREAM_ADDR KBIT_PER_S RTT_MS [CUT_EVERY_SECONDS]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(upstream), Some(kbit), Some(rtt)) = (
        args.first().and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(1).and_then(|a| a.parse::<u64>().ok()),
        args.get(2).and_then(|a| a.parse::<u64>().ok()),
    ) else {
        usage()
    };
    let mut link = Link::kbits(kbit, Duration::from_millis(rtt));
    if let Some(cut) = args.get(3) {
        let Ok(secs) = cut.parse::<u64>() else { usage() };
        link = link.cut_every(Duration::from_secs(secs));
    }
    let proxy = match FaultProxy::start_link(upstream, link).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("link-proxy: {e}");
            std::process::exit(1)
        }
    };
    println!("listening on {}", proxy.url());
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tick.tick() => {
                let s = proxy.stats();
                println!("up {} B, down {} B, {} connections, {} cut", s.link_up, s.link_down, s.connections, s.cuts);
            }
        }
    }
    proxy.stop().await;
}
