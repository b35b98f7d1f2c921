//! The demo's WhatsApp step: a citizen writes to the municipality's number, the message waits in
//! the tracker as an intake item, public relations make a request of it through the staff API,
//! and the acknowledgement and the staff's reply go back on WhatsApp — to the channel tests'
//! stand-in Graph API (as strict as Meta's: token, shapes, the 24-hour window), which here
//! prints what it takes. The webhook call is signed as Meta signs it.

use std::error::Error;
use std::time::{Duration, Instant};

use baladiya_server::channels::outbound::GraphConfig;
use baladiya_server::channels::{self, AppSecrets, ChannelsConfig};
use baladiya_server::graph_standin::StandIn;
use serde_json::{json, Value};

const APP_SECRET: &str = "demo-whatsapp-app-secret";
const VERIFY_TOKEN: &str = "demo-whatsapp-verify-token";
const ACCESS_TOKEN: &str = "demo-wa-token";
const PHONE_NUMBER_ID: &str = "106540352242922";
/// The citizen's WhatsApp number (sample data): personal, so the demo prints it masked.
const CITIZEN: &str = "970599765432";

/// The stand-in Graph API on a free loopback port, every citizen inside the 24-hour window.
pub async fn start_graph() -> StandIn {
    let graph = StandIn::start(ACCESS_TOKEN, "demo-fb-token", PHONE_NUMBER_ID).await;
    graph.open_window();
    graph
}

/// The server's channel settings: the WhatsApp webhook's secrets and sending to `graph`.
pub fn config(graph: &StandIn) -> ChannelsConfig {
    ChannelsConfig {
        whatsapp: Some(AppSecrets { app_secret: APP_SECRET.into(), verify_token: VERIFY_TOKEN.into() }),
        graph: Some(GraphConfig {
            base: graph.url.clone(),
            whatsapp_phone_number_id: Some(PHONE_NUMBER_ID.into()),
            whatsapp_token: Some(ACCESS_TOKEN.into()),
            // The demo should not wait the production poll's two seconds per look.
            poll: Duration::from_millis(200),
            ..GraphConfig::default()
        }),
        ..ChannelsConfig::default()
    }
}

/// A WhatsApp Cloud API notification (the documented shape): a text, then a location pin.
fn notification(now: i64) -> String {
    let message = |id: &str, at: i64, kind: &str, body: Value| {
        let mut m = json!({"from": CITIZEN, "id": id, "timestamp": at.to_string(), "type": kind});
        m[kind] = body;
        m
    };
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "970599000000", "phone_number_id": PHONE_NUMBER_ID},
                    "contacts": [{"profile": {"name": "أم محمد"}, "wa_id": CITIZEN}],
                    "messages": [
                        message(&format!("wamid.demo-{now}-1"), now - 20, "text",
                            json!({"body": "الإنارة في شارع الوحدة مطفأة منذ ثلاثة أيام، العمود رقم 118"})),
                        message(&format!("wamid.demo-{now}-2"), now, "location",
                            json!({"latitude": 31.5149, "longitude": 34.4442, "name": "شارع الوحدة"})),
                    ]
                }
            }]
        }]
    })
    .to_string()
}

/// Wait until the stand-in has taken `n` messages (the server's sender polls its queue).
async fn taken(graph: &StandIn, n: usize) -> Result<Vec<Value>, Box<dyn Error>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all: Vec<Value> = graph.taken().into_iter().map(|(_, body)| body).collect();
        if all.len() >= n {
            return Ok(all);
        }
        if Instant::now() > deadline {
            return Err(format!("the stand-in took {} message(s) of {n} in 30 s", all.len()).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn shown(message: &Value) -> String {
    let to = message["to"].as_str().unwrap_or("");
    let masked =
        format!("{}••••{}", to.get(..3).unwrap_or(""), to.get(to.len().saturating_sub(2)..).unwrap_or(""));
    let text = message["text"]["body"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| message["template"].to_string());
    format!("to {masked}: «{}»", text.replace('\n', " ⏎ "))
}

/// Step 14, against the running server at `base` (ending in `/`) with the staff API's `token`.
pub async fn whatsapp_round_trip(base: &str, token: &str, graph: &StandIn) -> Result<(), Box<dyn Error>> {
    let http = reqwest::Client::new();
    let body = notification(chrono::Utc::now().timestamp());
    let signed = http
        .post(format!("{base}webhooks/whatsapp"))
        .header("Content-Type", "application/json")
        .header("X-Hub-Signature-256", channels::sign(body.as_bytes(), APP_SECRET))
        .body(body.clone())
        .send()
        .await?;
    say!(
        "  a citizen's WhatsApp text and location pin, signed as Meta signs them: HTTP {}",
        signed.status().as_u16()
    );
    let forged = http
        .post(format!("{base}webhooks/whatsapp"))
        .header("Content-Type", "application/json")
        .header("X-Hub-Signature-256", channels::sign(body.as_bytes(), "not-the-app-secret"))
        .body(body)
        .send()
        .await?;
    say!("  the same body with a wrong signature: HTTP {} (nothing taken)", forged.status().as_u16());

    let items: Vec<Value> = http
        .get(format!("{base}api/v1/staff/intake?channel=whatsapp&status=new"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let item = items.first().ok_or("no intake item")?;
    let item_id = item["id"].as_i64().ok_or("an item without id")?;
    let kinds: Vec<&str> =
        item["messages"].as_array().into_iter().flatten().filter_map(|m| m["kind"].as_str()).collect();
    say!("  in the tracker as intake item #{item_id} ({}), waiting for public relations", kinds.join(" + "));

    let made: Value = http
        .post(format!("{base}api/v1/staff/intake/{item_id}/request"))
        .bearer_auth(token)
        .json(&json!({"service_code": "streetlight", "attributes": {"pole_number": "118", "problem": "off"}}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = made["service_request_id"].as_str().ok_or("a request without id")?.to_owned();
    say!(
        "  public relations make request #{id} of it: {} (source {}), at the pin {}, {}",
        made["service_name"].as_str().unwrap_or("?"),
        made["source"].as_str().unwrap_or("?"),
        made["lat"],
        made["long"]
    );
    let first = taken(graph, 1).await?;
    say!("  back on WhatsApp, {}", shown(&first[0]));

    let reply = json!({"action": "reply", "note": "شكراً لك، فريق الإنارة يصل اليوم قبل المغرب"});
    http.post(format!("{base}api/v1/staff/requests/{id}/actions"))
        .bearer_auth(token)
        .json(&reply)
        .send()
        .await?
        .error_for_status()?;
    let all = taken(graph, 2).await?;
    say!("  the municipality replies; back on WhatsApp, {}", shown(&all[1]));
    Ok(())
}
