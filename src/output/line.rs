//! One line per exchange on the terminal (stderr).

use std::io::Write;

use crate::exchange::{ConnectionWhat, Exchange, Record};
use crate::recorder::Sink;

use super::{clock, size};

/// Prints each record as one human line (two when something failed).
pub struct LineSink<W: Write + Send> {
    out: W,
}

impl<W: Write + Send> LineSink<W> {
    pub fn new(out: W) -> Self {
        LineSink { out }
    }
}

/// The line for an exchange, without the trailing newline.
pub fn exchange_line(exchange: &Exchange) -> String {
    let status = exchange
        .response
        .as_ref()
        .map_or_else(|| "---".to_owned(), |r| r.status.as_u16().to_string());
    let sent = exchange.request.body.total_len;
    let received = exchange.response.as_ref().map_or(0, |r| r.body.total_len);
    let url = crate::redact::redact_text(&exchange.request.url);
    let mut line = format!(
        "{} #{} {} {} → {} {}ms ↑{} ↓{}",
        clock(exchange.started_at),
        exchange.id,
        exchange.request.method,
        url,
        status,
        exchange.timings.total.as_millis(),
        size(sent),
        size(received),
    );
    if let Some(failure) = &exchange.failure {
        line.push_str(&format!(
            "\n    ✗ {} ({}): {}",
            failure.kind,
            side_word(failure),
            failure.message
        ));
    }
    for text in super::findings::render(&exchange.findings) {
        line.push('\n');
        line.push_str(&text);
    }
    line
}

fn side_word(failure: &crate::exchange::Failure) -> &'static str {
    match failure.side {
        crate::error::Side::Client => "client side",
        crate::error::Side::Upstream => "upstream side",
        crate::error::Side::Proxy => "badreq",
    }
}

impl<W: Write + Send> Sink for LineSink<W> {
    fn write(&mut self, record: &Record) -> std::io::Result<()> {
        match record {
            Record::Exchange(exchange) => writeln!(self.out, "{}", exchange_line(exchange)),
            Record::Connection(event) => match &event.what {
                ConnectionWhat::Tunnel { up, down } => writeln!(
                    self.out,
                    "{} tunnel {} (not intercepted) {}ms ↑{} ↓{}",
                    clock(event.started_at),
                    event.target,
                    event.duration.as_millis(),
                    size(*up),
                    size(*down)
                ),
                ConnectionWhat::Failed(failure) => writeln!(
                    self.out,
                    "{} ✗ {} from {} to {} ({}): {}",
                    clock(event.started_at),
                    failure.kind,
                    event.client,
                    event.target,
                    side_word(failure),
                    failure.message
                ),
            },
        }?;
        self.out.flush()
    }
}
