//! Blind tunnels: CONNECT targets that badreq does not decrypt.
//!
//! Bytes are copied both ways untouched; the record says where the tunnel went,
//! how long it lasted and how many bytes it carried, nothing more.

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Copies bytes between the client and the upstream until both sides close.
/// Returns (bytes client→upstream, bytes upstream→client).
pub async fn run(upgraded: Upgraded, mut upstream: TcpStream) -> std::io::Result<(u64, u64)> {
    let mut client = TokioIo::new(upgraded);
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await
}
