//! A read-only pseudo-variable class of the module (`$CLASS(key)`, pvar.h):
//! the table the core reads from the module's exports, and safe views of the
//! arguments of the two callbacks it makes (parse a key once, when the script
//! is loaded; read a value, each time the script uses one).

use super::sys;
use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr};

/// The core's call to read a value.
pub type GetFn = unsafe extern "C" fn(*mut sys::sip_msg, *mut sys::pv_param_t, *mut sys::pv_value_t) -> c_int;
/// The core's call to parse the key between the parentheses.
pub type ParseNameFn = unsafe extern "C" fn(*mut sys::pv_spec_t, *mut sys::str_) -> c_int;

/// A NULL-terminated `pv_export_t` array holding one class.
#[repr(transparent)]
pub struct PvTable([sys::pv_export_t; 2]);
// SAFETY: 'static name and functions; the core only reads the table.
unsafe impl Sync for PvTable {}

impl PvTable {
    pub const fn one(class: &'static CStr, get: GetFn, parse_name: ParseNameFn) -> Self {
        // SAFETY: all-zero is the terminator entry (and no callbacks).
        let mut t: [sys::pv_export_t; 2] = unsafe { std::mem::zeroed() };
        t[0].name = sys::str_ { s: class.as_ptr() as *mut c_char, len: class.to_bytes().len() as c_int };
        t[0].type_ = sys::PVT_OTHER as c_int;
        t[0].getf = Some(get);
        t[0].parse_name = Some(parse_name);
        PvTable(t)
    }

    pub(super) const fn as_ptr(&'static self) -> *mut sys::pv_export_t {
        self.0.as_ptr() as *mut sys::pv_export_t
    }
}

/// A value handed back to the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PvValue<'a> {
    Null,
    Int(i32),
    /// Copied into a buffer of the calling thread (`stage`) that the core
    /// may point into until the next string value this module hands back
    /// in the thread: the core keeps a pointer, not a copy, until the script
    /// has used the value. At most `STAGE_LEN` bytes (longer is cut).
    Str(&'a [u8]),
}

/// Room for a string value: addresses, states, error names.
pub const STAGE_LEN: usize = 256;

thread_local! {
    /// As a C module's `static char buf[]`, per thread: it lives as long as
    /// the thread, and only the next `stage` in the thread overwrites it.
    static STAGE: RefCell<[u8; STAGE_LEN]> = const { RefCell::new([0; STAGE_LEN]) };
}

/// Copies `b` (at most `STAGE_LEN` bytes) into this thread's buffer; its
/// address and length, valid until the next call in the thread.
fn stage(b: &[u8]) -> (*const u8, usize) {
    let n = b.len().min(STAGE_LEN);
    STAGE.with(|s| {
        let mut s = s.borrow_mut();
        s[..n].copy_from_slice(&b[..n]);
        (s.as_ptr(), n)
    })
}

/// The key of a `$CLASS(key)` being parsed, and the spec to remember it in.
pub struct NameArg<'a> {
    spec: &'a mut sys::pv_spec_t,
    name: &'a [u8],
}

impl<'a> NameArg<'a> {
    /// # Safety
    /// The arguments of a parse_name callback, for the call's duration.
    pub unsafe fn from_raw(spec: *mut sys::pv_spec_t, name: *mut sys::str_) -> Option<Self> {
        // SAFETY: the caller's promise: valid pointers (or NULL), `name`
        // pointing at `len` bytes of the script's text.
        unsafe {
            let spec = spec.as_mut()?;
            let name = name.as_ref()?;
            if name.s.is_null() || name.len <= 0 {
                return None;
            }
            Some(NameArg { spec, name: std::slice::from_raw_parts(name.s as *const u8, name.len as usize) })
        }
    }

    pub fn name(&self) -> &[u8] {
        self.name
    }

    /// Remembers the parsed key in the spec; every read of this spec hands it
    /// back (`GetArgs::key`).
    pub fn set_key(self, key: usize) {
        self.spec.pvp.pvn.type_ = sys::PV_NAME_OTHER as c_int;
        // +1: a spec never parsed reads as no key
        self.spec.pvp.pvn.u.dname = (key + 1) as *mut c_void;
    }
}

/// The arguments of one read of a value.
pub struct GetArgs {
    msg: *mut sys::sip_msg,
    param: *mut sys::pv_param_t,
    res: *mut sys::pv_value_t,
}

impl GetArgs {
    /// # Safety
    /// The arguments of a getf callback, for the call's duration.
    pub unsafe fn from_raw(
        msg: *mut sys::sip_msg,
        param: *mut sys::pv_param_t,
        res: *mut sys::pv_value_t,
    ) -> Option<Self> {
        (!msg.is_null() && !param.is_null() && !res.is_null()).then_some(GetArgs { msg, param, res })
    }

    /// The key `NameArg::set_key` remembered.
    pub fn key(&self) -> Option<usize> {
        // SAFETY: from_raw's contract; PV_NAME_OTHER names of this class are
        // set by set_key only.
        let name = unsafe { &(*self.param).pvn };
        if name.type_ != sys::PV_NAME_OTHER as c_int {
            return None;
        }
        // SAFETY: as above: the `dname` member is the one set_key wrote.
        (unsafe { name.u.dname } as usize).checked_sub(1)
    }

    /// The SCTP connection id the message arrived with (0: untracked);
    /// `None` when it did not arrive over SCTP.
    pub fn sctp_conn_id(&self) -> Option<i32> {
        // SAFETY: from_raw's contract; `rcv` is at the offset pinned for
        // every series, and the core fills it for each message it handles.
        let rcv = unsafe { &(*self.msg).rcv };
        (rcv.proto as u32 == sys::PROTO_SCTP).then_some(rcv.proto_reserved1)
    }

    /// Hands the value to the core.
    pub fn answer(self, v: PvValue<'_>) -> c_int {
        // SAFETY: from_raw's contract; the core's helpers fill `res`. A
        // string is passed by pointer into this thread's stage buffer, which
        // outlives the route (see PvValue::Str); the core only reads it.
        // the value is an int in 5.6, a long from 5.7
        #[allow(clippy::useless_conversion)]
        unsafe {
            match v {
                PvValue::Null => sys::pv_get_null(self.msg, self.param, self.res),
                PvValue::Int(i) => sys::pv_get_sintval(self.msg, self.param, self.res, i.into()),
                PvValue::Str(b) => {
                    let (p, n) = stage(b);
                    let mut s = sys::str_ { s: p as *mut c_char, len: n as c_int };
                    sys::pv_get_strval(self.msg, self.param, self.res, &mut s)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{stage, STAGE_LEN};

    #[test]
    fn a_string_value_outlives_the_value_it_came_from() {
        let (p, n) = {
            let owned = String::from("198.18.2.2");
            stage(owned.as_bytes())
            // `owned` is freed here, as the route's values are after the route
        };
        let _reuses_the_freed_block = String::from("xxxxxxxxxx");
        // SAFETY: the stage buffer lives as long as this thread, and nothing
        // staged since.
        assert_eq!(unsafe { std::slice::from_raw_parts(p, n) }, b"198.18.2.2");
        let long = vec![b'x'; STAGE_LEN + 10];
        assert_eq!(stage(&long).1, STAGE_LEN, "cut to the buffer");
    }
}
