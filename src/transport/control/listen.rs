//! Setting up one `listen=sctp:...` socket: a one-to-many SCTP socket with the
//! module's options, bound to every address of the listen, listening.

use crate::config::params::Settings;
use crate::kam::core::{ip_free_bind, ip_tos};
use crate::kam::net::{InitSocket, SocketInfo};
use crate::sctp::options::{self, OptionError};
use crate::sctp::socket::open_one_to_many;
use crate::transport::receive::piece_stores;
use std::io;
use std::net::SocketAddr;

/// Associations waiting in the accept queue; a one-to-many socket accepts them
/// itself, so this only has to be non-zero.
const LISTEN_BACKLOG: i32 = 1024;

#[derive(Debug, thiserror::Error)]
pub enum ListenError<'a> {
    #[error("{sock}: the listen address is neither IPv4 nor IPv6")]
    NoAddress { sock: SocketInfo<'a> },
    #[error("{sock}: cannot create an SCTP socket: {source}")]
    Socket { sock: SocketInfo<'a>, source: io::Error },
    #[error("{sock}: cannot set a required socket option: {source}")]
    Option { sock: SocketInfo<'a>, source: OptionError },
    #[error("{sock}: cannot bind {addr}: {source}{hint}")]
    Bind { sock: SocketInfo<'a>, addr: SocketAddr, source: io::Error, hint: &'static str },
    #[error("{sock}: listen failed: {source}")]
    Listen { sock: SocketInfo<'a>, source: io::Error },
    #[error("{sock}: out of shared memory for the socket's store of cut messages (raise shm, -m)")]
    NoPieceStore { sock: SocketInfo<'a> },
}

fn bind_hint(addr: &SocketAddr) -> &'static str {
    match addr {
        SocketAddr::V6(a) if a.ip().segments()[0] & 0xffc0 == 0xfe80 => {
            " (link-local IPv6 addresses need a scope; try a site-local or global one)"
        }
        _ => "",
    }
}

/// Creates, configures, binds and starts listening on the socket of `sock`.
pub fn init_socket<'a>(mut init: InitSocket<'a>, settings: &Settings) -> Result<(), ListenError<'a>> {
    let sock = init.socket();
    init.prepare_sctp();
    let primary = sock.primary_addr().ok_or(ListenError::NoAddress { sock })?;
    let owned = open_one_to_many(&primary).map_err(|source| ListenError::Socket { sock, source })?;
    // from here the core owns the descriptor (and closes it on shutdown)
    let s = init.adopt_fd(owned);
    let fd = s.fd();
    if !piece_stores::create(fd) {
        return Err(ListenError::NoPieceStore { sock });
    }
    log::info!("sctp: socket {fd} initialized for {sock}");

    let mut tuning = settings.tuning;
    tuning.tos = Some(ip_tos());
    tuning.freebind = ip_free_bind();
    let refused = options::apply(s, sock.family(), &tuning).map_err(|source| ListenError::Option { sock, source })?;
    for e in &refused {
        log::warn!("{sock}: the kernel refused socket option {e}");
    }

    s.bind(&primary).map_err(|source| ListenError::Bind { sock, addr: primary, source, hint: bind_hint(&primary) })?;
    for extra in sock.extra_addrs() {
        match extra {
            Some(addr) => {
                if let Err(e) = s.bindx_add(&addr) {
                    // like the C module: a secondary address is not worth failing for
                    log::error!(
                        "{sock}: cannot add address {addr} (sctp_bindx): {e}{}; continuing without it",
                        bind_hint(&addr)
                    );
                } else {
                    log::debug!("{sock}: also bound to {addr}");
                }
            }
            None => log::error!("{sock}: skipping an extra address that is neither IPv4 nor IPv6"),
        }
    }
    s.listen(LISTEN_BACKLOG).map_err(|source| ListenError::Listen { sock, source })?;
    Ok(())
}
