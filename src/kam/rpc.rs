//! Kamailio RPC commands (`rpc.h`): registration and a safe view of the reply
//! context for handlers.

use super::sys;
use std::ffi::{c_char, c_void, CStr, CString};

/// The signature the core calls RPC handlers with.
pub type RpcHandler = unsafe extern "C" fn(*mut sys::rpc_t, *mut c_void);

/// Registers commands (name, handler, documentation), before the core forks.
pub fn register(methods: &[(&'static CStr, RpcHandler, &'static CStr)]) -> bool {
    let mut table: Vec<sys::rpc_export_t> = methods
        .iter()
        .map(|(name, f, doc)| {
            let docs: &'static mut [*const c_char; 2] = Box::leak(Box::new([doc.as_ptr(), std::ptr::null()]));
            sys::rpc_export_t { name: name.as_ptr(), function: Some(*f), doc_str: docs.as_mut_ptr(), flags: 0 }
        })
        .collect();
    // SAFETY: all-zero is the terminator entry.
    table.push(unsafe { std::mem::zeroed() });
    let table = Box::leak(table.into_boxed_slice());
    // SAFETY: a terminated array with 'static names, docs and functions.
    unsafe { sys::rpc_register_array(table.as_mut_ptr()) == 0 }
}

/// One RPC call being answered.
pub struct Call {
    rpc: *mut sys::rpc_t,
    ctx: *mut c_void,
}

/// A structure being added to the reply.
pub struct ReplyStruct<'a> {
    call: &'a Call,
    handle: *mut c_void,
}

impl Call {
    /// # Safety
    /// The arguments the core passed to an RPC handler, for the call's duration.
    pub unsafe fn from_raw(rpc: *mut sys::rpc_t, ctx: *mut c_void) -> Option<Self> {
        (!rpc.is_null()).then_some(Call { rpc, ctx })
    }

    fn api(&self) -> &sys::rpc_t {
        // SAFETY: from_raw's contract.
        unsafe { &*self.rpc }
    }

    /// The optional first string parameter.
    pub fn optional_string(&self) -> Option<String> {
        let scan = self.api().scan?;
        let mut p: *mut c_char = std::ptr::null_mut();
        // SAFETY: "*s" stores a char* the core owns for the call's duration.
        let n = unsafe { scan(self.ctx, c"*s".as_ptr() as *mut c_char, &mut p as *mut *mut c_char) };
        if n < 1 || p.is_null() {
            return None;
        }
        // SAFETY: a 0-terminated string from the core.
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    /// The next parameter, an integer. On `None` (missing or not a number)
    /// the core has already answered the call with an error.
    pub fn int_param(&self) -> Option<i32> {
        let scan = self.api().scan?;
        let mut v: libc::c_int = 0;
        // SAFETY: "d" stores an int.
        let n = unsafe { scan(self.ctx, c"d".as_ptr() as *mut c_char, &mut v as *mut libc::c_int) };
        (n >= 1).then_some(v)
    }

    /// The next parameter, a string. On `None` (missing) the core has already
    /// answered the call with an error.
    pub fn string_param(&self) -> Option<String> {
        let scan = self.api().scan?;
        let mut p: *mut c_char = std::ptr::null_mut();
        // SAFETY: "s" stores a char* the core owns for the call's duration.
        let n = unsafe { scan(self.ctx, c"s".as_ptr() as *mut c_char, &mut p as *mut *mut c_char) };
        if n < 1 || p.is_null() {
            return None;
        }
        // SAFETY: a 0-terminated string from the core.
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    /// Fails the call with `code` and a message.
    pub fn fault(&self, code: i32, msg: &str) {
        let Some(fault) = self.api().fault else { return };
        let m = CString::new(msg.replace('\0', " ")).unwrap_or_default();
        // SAFETY: "%s" with one 0-terminated string.
        unsafe { fault(self.ctx, code, c"%s".as_ptr() as *mut c_char, m.as_ptr()) };
    }

    /// Adds a structure to the reply.
    pub fn add_struct(&self) -> Option<ReplyStruct<'_>> {
        let add = self.api().add?;
        let mut h: *mut c_void = std::ptr::null_mut();
        // SAFETY: "{" stores the new structure's handle.
        let r = unsafe { add(self.ctx, c"{".as_ptr() as *mut c_char, &mut h as *mut *mut c_void) };
        (r >= 0 && !h.is_null()).then_some(ReplyStruct { call: self, handle: h })
    }
}

impl ReplyStruct<'_> {
    /// Adds an integer member.
    pub fn int(&self, name: &CStr, v: i32) {
        let Some(sa) = self.call.api().struct_add else { return };
        // SAFETY: "d" takes a member name (char*) and an int.
        unsafe { sa(self.handle, c"d".as_ptr() as *mut c_char, name.as_ptr(), v as libc::c_int) };
    }

    /// Adds a string member.
    pub fn str(&self, name: &CStr, v: &str) {
        let Some(sa) = self.call.api().struct_add else { return };
        let v = CString::new(v.replace('\0', " ")).unwrap_or_default();
        // SAFETY: "s" takes a member name and a 0-terminated string, which the
        // core copies before returning.
        unsafe { sa(self.handle, c"s".as_ptr() as *mut c_char, name.as_ptr(), v.as_ptr()) };
    }

    /// Adds a member holding a list of structures: add each with
    /// [`ReplyStruct::member_struct`] on the returned handle, under one name
    /// (as the core's own modules list their items for kamcmd).
    pub fn member_list(&self, name: &CStr) -> Option<ReplyStruct<'_>> {
        self.member(c"[", name)
    }

    /// Adds a member that is a structure.
    pub fn member_struct(&self, name: &CStr) -> Option<ReplyStruct<'_>> {
        self.member(c"{", name)
    }

    fn member(&self, kind: &CStr, name: &CStr) -> Option<ReplyStruct<'_>> {
        let sa = self.call.api().struct_add?;
        let mut h: *mut c_void = std::ptr::null_mut();
        // SAFETY: "{" and "[" take a member name and store the new
        // structure's handle, which lives as long as the reply.
        let r = unsafe { sa(self.handle, kind.as_ptr() as *mut c_char, name.as_ptr(), &mut h as *mut *mut c_void) };
        (r >= 0 && !h.is_null()).then_some(ReplyStruct { call: self.call, handle: h })
    }
}
