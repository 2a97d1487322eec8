//! A `log` backend writing through Kamailio's own logging, so module lines look
//! like any module's and honour `debug=` (also per process and at runtime).
//!
//! Formatting happens only for records the core would print, into a stack
//! buffer: no heap allocation on any path.

use super::sys;
use std::fmt::Write;

/// Longest line handed to the core; longer ones are cut with a marker.
const LINE_MAX: usize = 1024;

struct KamailioLogger;

static LOGGER: KamailioLogger = KamailioLogger;

/// The target that makes an info record a notice (`L_NOTICE`): the log crate
/// has no such level. `log::info!(target: NOTICE, ...)`.
pub const NOTICE: &str = "notice";

fn record_level(metadata: &log::Metadata) -> i32 {
    match (metadata.level(), metadata.target()) {
        (log::Level::Info, NOTICE) => sys::L_NOTICE as i32,
        (level, _) => core_level(level),
    }
}

fn core_level(level: log::Level) -> i32 {
    match level {
        log::Level::Error => sys::L_ERR,
        log::Level::Warn => sys::L_WARN as i32,
        log::Level::Info => sys::L_INFO as i32,
        log::Level::Debug | log::Level::Trace => sys::L_DBG as i32,
    }
}

/// The module's debug level in this process.
fn current_level() -> i32 {
    const NAME: &[u8] = super::MODULE_NAME.to_bytes();
    // SAFETY: reads the core's per-process debug settings (the core is
    // initialised before any module code runs); the core only reads the
    // module name, NAME.len() bytes of it. Called directly, not through the
    // C shim: the hot paths ask on every message.
    unsafe { sys::get_debug_level(NAME.as_ptr() as *mut libc::c_char, NAME.len() as i32) }
}

/// Whether debug lines would be printed in this process now: for the hot
/// paths, one call to the core, without building a record or dispatching
/// through the `log` crate.
pub fn debug_enabled() -> bool {
    current_level() >= sys::L_DBG as i32
}

struct LineBuf {
    buf: [u8; LINE_MAX],
    len: usize,
    cut: bool,
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = LINE_MAX - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        if n < s.len() {
            self.cut = true;
        }
        Ok(())
    }
}

/// "transport::receive" for "kamailio_sctp::transport::receive".
fn short_module(path: &str) -> &str {
    path.split_once("::").map_or(path, |(_, rest)| rest)
}

/// "receive.rs" for "src/transport/receive.rs".
fn short_file(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl log::Log for KamailioLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        current_level() >= record_level(metadata)
    }

    fn log(&self, record: &log::Record) {
        let level = record_level(record.metadata());
        if current_level() < level {
            return;
        }
        let mut line = LineBuf { buf: [0; LINE_MAX], len: 0, cut: false };
        // the layout of the core's LOG(): "<mod> [<file>:<line>]: <func>(): <msg>"
        let _ = write!(
            line,
            "{} [{}:{}]: {}(): {}",
            super::MODULE_NAME_STR,
            short_file(record.file().unwrap_or("?")),
            record.line().unwrap_or(0),
            short_module(record.module_path().unwrap_or(super::MODULE_NAME_STR)),
            record.args()
        );
        if line.cut {
            const MARK: &[u8] = b" [...]";
            line.buf[LINE_MAX - MARK.len()..].copy_from_slice(MARK);
        }
        // SAFETY: buf holds `len` initialised bytes; the shim reads exactly that
        // many and does not keep the pointer.
        unsafe { sys::ksr_shim_log(level, line.buf.as_ptr() as *const _, line.len as i32) };
    }

    fn flush(&self) {}
}

/// Installs the backend (once per process image; later calls are no-ops).
pub fn install() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_buffer_cuts_long_lines() {
        let mut l = LineBuf { buf: [0; LINE_MAX], len: 0, cut: false };
        let long = "x".repeat(LINE_MAX + 10);
        write!(l, "{long}").unwrap();
        assert_eq!(l.len, LINE_MAX);
        assert!(l.cut);
    }

    #[test]
    fn names_are_shortened() {
        assert_eq!(short_module("kamailio_sctp::transport::receive"), "transport::receive");
        assert_eq!(short_file("src/transport/receive.rs"), "receive.rs");
    }

    #[test]
    fn the_notice_target_makes_an_info_record_a_notice() {
        let m = |level, target| log::Metadata::builder().level(level).target(target).build();
        assert_eq!(record_level(&m(log::Level::Info, NOTICE)), 1);
        assert_eq!(record_level(&m(log::Level::Info, "kamailio_sctp::x")), 2);
        assert_eq!(record_level(&m(log::Level::Warn, NOTICE)), 0, "only info becomes notice");
    }

    #[test]
    fn levels_map_to_the_cores() {
        assert_eq!(core_level(log::Level::Error), -1);
        assert_eq!(core_level(log::Level::Warn), 0);
        assert_eq!(core_level(log::Level::Info), 2);
        assert_eq!(core_level(log::Level::Debug), 3);
    }
}
