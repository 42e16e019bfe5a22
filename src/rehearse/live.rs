//! `rehearse --serve ADDR`: the live page of a rehearsal, served from the rehearsal's own
//! tokio runtime. `/` is the page, `/events` the snapshots as server-sent events, `/state`
//! the latest snapshot.
//!
//! Snapshots go through a `watch` channel holding only the latest one, serialized once:
//! a slow browser skips to the current state instead of working through a backlog, and
//! the rehearsal never waits for a browser.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::WatchStream;
use tokio_stream::{Stream, StreamExt};

/// The page, whole: its styles and script are inline, it loads nothing else.
const PAGE: &str = include_str!("live.html");

/// How long `shutdown` waits for open connections to finish before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How long `/state` waits for the first snapshot (the run is being set up) before it
/// answers that there is none yet.
const FIRST_STATE_WAIT: Duration = Duration::from_secs(5);

/// How soon a browser whose stream ended tries again (EventSource's `retry`).
const RETRY: Duration = Duration::from_secs(1);

/// What keeps the live view from being served.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LiveError {
    #[error("--serve {addr}: cannot listen there: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("`{given}` is not an address to listen on; give IP:PORT, e.g. 127.0.0.1:8080")]
    Address { given: String },
    #[error("--serve: the live view needs the rehearsal's tokio runtime")]
    NoRuntime,
}

/// An address as `--serve` takes it: `IP:PORT`, or `localhost:PORT` for the loopback.
pub(crate) fn parse_addr(given: &str) -> Result<SocketAddr, LiveError> {
    let text = given.trim();
    let text = match text.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => text.to_string(),
    };
    text.parse().map_err(|_| LiveError::Address {
        given: given.to_string(),
    })
}

/// The latest snapshot as JSON text; none before the first is published.
type Latest = Option<Arc<str>>;

/// The running server. Dropping it without `shutdown` leaves the server task to end with
/// the runtime.
pub(crate) struct LiveView {
    latest: watch::Sender<Latest>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl LiveView {
    /// Listens on `addr` and serves from tasks of the current tokio runtime (the
    /// rehearsal's, whose worker thread answers pages while the simulation runs).
    pub(crate) fn bind(addr: SocketAddr) -> Result<LiveView, LiveError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| LiveError::NoRuntime)?;
        let bind_error = |source| LiveError::Bind { addr, source };
        // Bound here, synchronously, so that an address in use is an error of `bind`
        // itself rather than of a task nobody waits for.
        let std_listener = std::net::TcpListener::bind(addr).map_err(bind_error)?;
        std_listener.set_nonblocking(true).map_err(bind_error)?;
        let local = std_listener.local_addr().map_err(bind_error)?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(bind_error)?
        };
        let (latest, rx) = watch::channel(None);
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Router::new()
            .route("/", get(page))
            .route("/events", get(events))
            .route("/state", get(state))
            .with_state(rx);
        let server = runtime.spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            // An error here is the listener failing while serving: the page stops
            // answering, the rehearsal itself goes on.
            let _ = serve.await;
        });
        Ok(LiveView {
            latest,
            addr: local,
            stop: Some(stop),
            server,
        })
    }

    /// The address listened on (the port the system chose when 0 was asked for).
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Makes `snapshot` the state every page sees: sent to each open `/events` stream
    /// (one that has not taken the previous one yet gets only this one) and returned by
    /// `/state`.
    pub(crate) fn publish(&self, snapshot: serde_json::Value) {
        let text: Arc<str> = snapshot.to_string().into();
        self.latest.send_replace(Some(text));
    }

    /// Stops listening and ends every event stream (after its last snapshot), then waits
    /// a moment for the connections to close.
    pub(crate) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The streams end once the sender is gone and their last snapshot is sent.
        let LiveView { latest, server, .. } = self;
        drop(latest);
        let abort = server.abort_handle();
        if tokio::time::timeout(SHUTDOWN_GRACE, server).await.is_err() {
            abort.abort();
        }
    }
}

async fn page() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
}

async fn state(State(mut rx): State<watch::Receiver<Latest>>) -> Response {
    let first = tokio::time::timeout(FIRST_STATE_WAIT, rx.wait_for(Option::is_some)).await;
    let latest = match first {
        Ok(Ok(latest)) => latest.clone(),
        // Timed out, or the rehearsal ended before its first snapshot.
        _ => None,
    };
    match latest {
        Some(text) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            text.to_string(),
        )
            .into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "no snapshot yet\n").into_response(),
    }
}

async fn events(State(rx): State<watch::Receiver<Latest>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // The current snapshot first (`WatchStream::new` yields it at once), then each newer.
    let stream = WatchStream::new(rx)
        .filter_map(|latest| latest.map(|text| Ok(Event::default().event("state").retry(RETRY).data(&*text))));
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpStream;

    /// Reads one HTTP/1.1 response head: the status line and the headers, lower-cased.
    async fn head(reader: &mut BufReader<TcpStream>) -> (String, Vec<(String, String)>) {
        let mut status = String::new();
        let _ = reader.read_line(&mut status).await;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 || line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.trim().split_once(':') {
                headers.push((k.trim().to_lowercase(), v.trim().to_string()));
            }
        }
        (status.trim().to_string(), headers)
    }

    fn header_of<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
        headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A GET of `path`, answered on a fresh connection.
    async fn get(addr: SocketAddr, path: &str) -> BufReader<TcpStream> {
        let mut stream = match TcpStream::connect(addr).await {
            Ok(s) => s,
            Err(e) => panic!("connect {addr}: {e}"),
        };
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\n\r\n");
        if let Err(e) = stream.write_all(request.as_bytes()).await {
            panic!("send {path}: {e}");
        }
        BufReader::new(stream)
    }

    async fn body(reader: &mut BufReader<TcpStream>, headers: &[(String, String)]) -> String {
        let len: usize = header_of(headers, "content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("no content-length in {headers:?}"));
        let mut buf = vec![0; len];
        if let Err(e) = reader.read_exact(&mut buf).await {
            panic!("body: {e}");
        }
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// The next server-sent event: its fields, up to the blank line that ends it
    /// (keep-alive comments skipped).
    async fn next_event(reader: &mut BufReader<TcpStream>) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return fields,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']);
            // Chunked transfer: the size lines carry no colon and are not SSE fields.
            if line.is_empty() {
                if !fields.is_empty() {
                    return fields;
                }
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                if !k.is_empty() {
                    fields.push((k.to_string(), v.trim_start().to_string()));
                }
            }
        }
    }

    fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// With a deadline, so that a server that does not answer fails the test.
    async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
        match tokio::time::timeout(Duration::from_secs(10), f).await {
            Ok(v) => v,
            Err(_) => panic!("{what}: no answer within 10 s"),
        }
    }

    #[tokio::test]
    async fn serves_the_page_the_state_and_the_events() {
        let view = match LiveView::bind(SocketAddr::from(([127, 0, 0, 1], 0))) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        let addr = view.local_addr();
        assert_ne!(addr.port(), 0);

        // Asked before anything is published, `/state` waits for the first snapshot.
        let mut early = get(addr, "/state").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        view.publish(json!({"clock": {"now": "00:00:01"}}));
        let (status, headers) = within("/state", head(&mut early)).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        let state = within("/state body", body(&mut early, &headers)).await;
        assert_eq!(state, r#"{"clock":{"now":"00:00:01"}}"#);

        view.publish(json!({"clock": {"now": "00:00:02"}}));
        let mut r = get(addr, "/state").await;
        let (status, headers) = within("/state", head(&mut r)).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(header_of(&headers, "content-type"), Some("application/json"));
        let state = within("/state body", body(&mut r, &headers)).await;
        assert_eq!(state, r#"{"clock":{"now":"00:00:02"}}"#);

        // The stream opens with the current snapshot, then each newer one.
        let mut events = get(addr, "/events").await;
        let (status, headers) = within("/events", head(&mut events)).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(header_of(&headers, "content-type"), Some("text/event-stream"));
        let first = within("first event", next_event(&mut events)).await;
        assert_eq!(field(&first, "event"), Some("state"));
        assert_eq!(field(&first, "data"), Some(r#"{"clock":{"now":"00:00:02"}}"#));
        assert_eq!(field(&first, "retry"), Some("1000"));
        view.publish(json!({"clock": {"now": "00:00:03"}}));
        let second = within("second event", next_event(&mut events)).await;
        assert_eq!(field(&second, "data"), Some(r#"{"clock":{"now":"00:00:03"}}"#));

        let mut r = get(addr, "/").await;
        let (status, headers) = within("/", head(&mut r)).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(header_of(&headers, "content-type"), Some("text/html; charset=utf-8"));
        let page = within("/ body", body(&mut r, &headers)).await;
        assert!(
            page.contains("new EventSource(\"events\")"),
            "the page subscribes to /events"
        );

        // A last snapshot, then shutdown: the stream delivers it and ends.
        view.publish(json!({"clock": {"now": "00:00:04"}, "finished": true}));
        within("shutdown", view.shutdown()).await;
        let mut last = Vec::new();
        loop {
            let e = within("events after shutdown", next_event(&mut events)).await;
            if e.is_empty() {
                break;
            }
            last = e;
        }
        assert_eq!(
            field(&last, "data"),
            Some(r#"{"clock":{"now":"00:00:04"},"finished":true}"#)
        );
        assert!(TcpStream::connect(addr).await.is_err(), "no longer listening");
    }

    #[tokio::test]
    async fn an_address_in_use_or_unparsable_is_an_error() {
        let first = match LiveView::bind(SocketAddr::from(([127, 0, 0, 1], 0))) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        let taken = first.local_addr();
        match LiveView::bind(taken) {
            Err(e @ LiveError::Bind { .. }) => {
                let message = e.to_string();
                assert!(
                    message.starts_with(&format!("--serve {taken}: cannot listen there: ")),
                    "{message}"
                );
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("{taken} bound twice"),
        }
        first.shutdown().await;
        assert_eq!(
            parse_addr("localhost:8080").ok(),
            Some(SocketAddr::from(([127, 0, 0, 1], 8080)))
        );
        assert_eq!(
            parse_addr("[::1]:80").ok(),
            Some("[::1]:80".parse().unwrap_or_else(|_| unreachable!()))
        );
        for bad in ["8080", "127.0.0.1", "example.com:80", "127.0.0.1:99999", ""] {
            match parse_addr(bad) {
                Err(e) => assert_eq!(
                    e.to_string(),
                    format!("`{bad}` is not an address to listen on; give IP:PORT, e.g. 127.0.0.1:8080")
                ),
                Ok(a) => panic!("{bad} read as {a}"),
            }
        }
    }

    #[test]
    fn binding_outside_a_runtime_is_an_error() {
        assert!(matches!(
            LiveView::bind(SocketAddr::from(([127, 0, 0, 1], 0))),
            Err(LiveError::NoRuntime)
        ));
    }
}
