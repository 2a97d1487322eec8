//! The declared peers: the `sctp_peer` lines of the config, then changed at
//! run time (`sctp.peer_set`, `sctp.peer_remove`), in a table in shared
//! memory (at most `MAX_PEERS`). Each process reads its own copy, refreshed
//! when the table's generation moved: a steady table costs one load and an
//! uncontended process-local lock per look-up.

use super::encap;
use crate::config::peers::{check_disjoint, parse, Peer, PeerError};
use crate::kam::shm::leak_in_shm;
use crate::sctp::options::AssocTuning;
use crate::shared::assoc_table::PeerAddr;
use crate::shared::peer_table::{PeerTable, TableError};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

pub use crate::shared::peer_table::MAX_PEERS;

/// Where a peer's settings came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Config,
    Rpc,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Config => "config",
            Source::Rpc => "rpc",
        }
    }
}

/// A declared peer as this process sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    pub peer: Peer,
    pub source: Source,
}

/// One peer in the shared table: plain data.
#[derive(Clone, Copy)]
struct Entry {
    addrs: [PeerAddr; crate::config::peers::MAX_ADDRS],
    len: u8,
    source: Source,
    tuning: AssocTuning,
}

impl Entry {
    const EMPTY: Entry = Entry {
        addrs: [PeerAddr::NONE; crate::config::peers::MAX_ADDRS],
        len: 0,
        source: Source::Config,
        tuning: AssocTuning::NONE,
    };

    fn of(d: &Declared) -> Entry {
        let mut e = Entry { source: d.source, tuning: d.peer.tuning, ..Entry::EMPTY };
        // parse() refuses more than MAX_ADDRS addresses
        for (slot, a) in e.addrs.iter_mut().zip(&d.peer.addrs) {
            *slot = PeerAddr::from(a);
            e.len += 1;
        }
        e
    }

    fn declared(&self) -> Declared {
        let addrs = self.addrs[..usize::from(self.len)].iter().filter_map(|a| a.to_socket_addr()).collect();
        Declared { peer: Peer { addrs, tuning: self.tuning }, source: self.source }
    }

    fn has_any(&self, addrs: &[SocketAddr]) -> bool {
        addrs.iter().any(|a| self.addrs[..usize::from(self.len)].contains(&PeerAddr::from(a)))
    }
}

/// What the modparam lines declared (main process, while the config is read).
static DECLARING: Mutex<Vec<Peer>> = Mutex::new(Vec::new());
/// Set at mod_init, before the core forks.
static TABLE: OnceLock<&'static PeerTable<Entry>> = OnceLock::new();

/// This process's copy of the table, and the generation it is of.
struct Cache {
    generation: u64,
    peers: Vec<Arc<Declared>>,
}
static CACHE: Mutex<Cache> = Mutex::new(Cache { generation: 0, peers: Vec::new() });

/// One `sctp_peer` value: parsed, checked against the peers declared before,
/// kept.
pub fn declare(value: &str) -> Result<(), PeerError> {
    let peer = parse(value)?;
    let mut all = DECLARING.lock().unwrap_or_else(|p| p.into_inner());
    check_disjoint(&all, &peer, value)?;
    if all.len() >= MAX_PEERS {
        return Err(PeerError { value: value.into(), why: format!("more than {MAX_PEERS} peers") });
    }
    log::debug!("sctp_peer: one peer at {:?}", peer.addrs);
    all.push(peer);
    Ok(())
}

/// Moves the declared peers into the shared table (mod_init); false when
/// shared memory is short.
pub fn freeze() -> bool {
    let all = std::mem::take(&mut *DECLARING.lock().unwrap_or_else(|p| p.into_inner()));
    let Some(table) = leak_in_shm(PeerTable::new(Entry::EMPTY)) else { return false };
    let n = all.len();
    for peer in all {
        let entry = Entry::of(&Declared { peer, source: Source::Config });
        // declare() let no more than the table holds through
        if table.update(|e| e.push(entry)).is_err() {
            return false;
        }
    }
    if n > 0 {
        log::info!("{n} multihomed sctp_peer(s) declared");
    }
    let _ = TABLE.set(table);
    true
}

/// Runs `f` on this process's copy of the declared peers, refreshed first
/// when the table changed (kept as it is when the table stays locked).
fn with_peers<R>(f: impl FnOnce(&[Arc<Declared>]) -> R) -> R {
    let mut c = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(table) = TABLE.get() {
        if table.generation() != c.generation {
            let mut entries = Vec::with_capacity(MAX_PEERS);
            if let Ok(g) = table.snapshot(&mut entries) {
                c.peers = entries.iter().map(|e| Arc::new(e.declared())).collect();
                c.generation = g;
            }
        }
    }
    f(&c.peers)
}

/// The declared peer `a` is an address of.
pub fn find(a: &SocketAddr) -> Option<Arc<Declared>> {
    with_peers(|peers| peers.iter().find(|d| d.peer.has(a)).cloned())
}

/// Every declared peer, in the table's order.
pub fn all() -> Vec<Arc<Declared>> {
    with_peers(<[_]>::to_vec)
}

/// Every declared peer's own encapsulation port.
pub fn encap_ports() -> Vec<Option<u16>> {
    with_peers(|peers| peers.iter().map(|d| d.peer.tuning.encap_port).collect())
}

/// Why `set` or `remove` changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("{0}")]
    Line(#[from] PeerError),
    #[error("{0}")]
    Table(#[from] TableError),
    #[error("addresses of \"{value}\" belong to {count} different peers: remove all but one first")]
    Overlap { value: String, count: usize },
    #[error("\"{value}\": encap needs modparam(\"sctp\", \"sctp_udp_port\", PORT) at startup")]
    NoUdpPort { value: String },
    #[error("no declared peer has an address of \"{value}\"")]
    Unknown { value: String },
    #[error("the declared peers are not set up (sctp not initialised)")]
    NoTable,
}

/// `sctp.peer_set`: the peer of `value` (an `sctp_peer` line) added, or put
/// in place of the one peer it shares addresses with. Returns what it
/// replaced and what it is now.
pub fn set(value: &str) -> Result<(Option<Declared>, Declared), ChangeError> {
    let peer = parse(value)?;
    if peer.tuning.encap_port.is_some_and(|p| p != 0) && !encap::enabled() {
        return Err(ChangeError::NoUdpPort { value: value.into() });
    }
    let new = Declared { peer, source: Source::Rpc };
    let entry = Entry::of(&new);
    let table = TABLE.get().ok_or(ChangeError::NoTable)?;
    let old = table.update(|e| {
        let hits: Vec<usize> = (0..e.as_slice().len()).filter(|&i| e.as_slice()[i].has_any(&new.peer.addrs)).collect();
        match hits[..] {
            [] => e.push(entry).map(|()| None).map_err(ChangeError::from),
            [i] => {
                let old = e.as_slice()[i].declared();
                e.replace(i, entry);
                Ok(Some(old))
            }
            _ => Err(ChangeError::Overlap { value: value.into(), count: hits.len() }),
        }
    })?;
    encap::peers_changed(encap_ports());
    Ok((old, new))
}

/// `sctp.peer_remove`: the peer with an address of `value` (addresses and
/// port, as in `sctp_peer`) goes; returns it.
pub fn remove(value: &str) -> Result<Declared, ChangeError> {
    let wanted = parse(value)?.addrs;
    let table = TABLE.get().ok_or(ChangeError::NoTable)?;
    let gone = table.update(|e| {
        let i = e.as_slice().iter().position(|p| p.has_any(&wanted));
        let gone = i.and_then(|i| e.remove(i)).map(|p| p.declared());
        gone.ok_or(ChangeError::Unknown { value: value.into() })
    })?;
    encap::peers_changed(encap_ports());
    Ok(gone)
}

/// The first declared peer encapsulated to a port of its own (not 0): its
/// first address and the port.
pub fn first_with_encap() -> Option<(SocketAddr, u16)> {
    with_peers(|peers| {
        peers.iter().find_map(|d| Some((*d.peer.addrs.first()?, d.peer.tuning.encap_port.filter(|&e| e != 0)?)))
    })
}
