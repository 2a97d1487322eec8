//! The little of SIP framing the receive path needs to tell a whole message
//! from a piece of one the kernel cut (RFC 3261 sections 7.1, 7.2, 20.14):
//! whether bytes begin with a start line, and where a message ends.

/// Whether `bytes` begin with a SIP start line, complete with its CRLF: a
/// status line (`SIP/2.0 200 ...`) or a request line (`METHOD URI SIP/2.0`).
/// CRLFs before it (keep-alives) are skipped. A later piece of a cut message
/// starts at a chunk boundary, anywhere in the message, and so (but for a
/// body that holds a SIP message at exactly that byte) does not.
pub fn starts_with_start_line(bytes: &[u8]) -> bool {
    let bytes = skip_crlfs(bytes);
    let Some(end) = find_crlf(bytes) else { return false };
    let line = &bytes[..end];
    if let Some(rest) = strip_prefix_ignore_case(line, b"SIP/2.0 ") {
        return rest.len() >= 4 && rest[..3].iter().all(u8::is_ascii_digit) && rest[3] == b' ';
    }
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(uri), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !method.is_empty()
        && method.iter().all(|&b| is_token_char(b))
        && !uri.is_empty()
        && version.eq_ignore_ascii_case(b"SIP/2.0")
}

/// Where a message that starts at `bytes[0]` ends, as far as its start can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extent {
    /// The headers do not end within `bytes` yet.
    HeadersIncomplete,
    /// The headers end and say the whole message is this many bytes long.
    Length(usize),
    /// The headers end without a Content-Length: the length is unknown.
    NoContentLength,
}

/// The extent of the message at the start of `bytes` (after any CRLFs).
pub fn extent(bytes: &[u8]) -> Extent {
    let skipped = bytes.len() - skip_crlfs(bytes).len();
    let msg = &bytes[skipped..];
    let Some(head_end) = find(msg, b"\r\n\r\n").map(|i| i + 4) else { return Extent::HeadersIncomplete };
    let mut length = None;
    // the start line, then one header field per line
    for line in msg[..head_end - 4].split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let name = trim(&line[..colon]);
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            length = parse_decimal(trim(&line[colon + 1..]));
            if length.is_none() {
                return Extent::NoContentLength;
            }
        }
    }
    match length {
        Some(body) => skipped
            .checked_add(head_end)
            .and_then(|h| h.checked_add(body))
            .map_or(Extent::NoContentLength, Extent::Length),
        None => Extent::NoContentLength,
    }
}

fn skip_crlfs(mut bytes: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

/// The first CRLF: `find(hay, b"\r\n")` in fewer steps (every message
/// received goes through it).
fn find_crlf(hay: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = hay[from..].iter().position(|&b| b == b'\r') {
        let at = from + i;
        if hay.get(at + 1) == Some(&b'\n') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn strip_prefix_ignore_case<'a>(bytes: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    (bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)).then(|| &bytes[prefix.len()..])
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

fn parse_decimal(b: &[u8]) -> Option<usize> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0usize, |n, &d| n * 10 + usize::from(d - b'0')))
}

/// RFC 3261's token characters (method names).
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] =
        b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/SCTP 1.2.3.4\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn start_lines_are_recognised() {
        assert!(starts_with_start_line(INVITE));
        assert!(starts_with_start_line(b"SIP/2.0 200 OK\r\n"));
        assert!(starts_with_start_line(b"\r\n\r\nOPTIONS sip:x SIP/2.0\r\n"));
        assert!(starts_with_start_line(b"sip/2.0 180 Ringing\r\n"));
    }

    #[test]
    fn pieces_of_a_message_do_not_look_like_one() {
        // the kernel cuts at chunk boundaries, never inside a start line
        let first_line = INVITE.iter().position(|&b| b == b'\n').unwrap() + 1;
        for cut in first_line..INVITE.len() {
            assert!(
                !starts_with_start_line(&INVITE[cut..]),
                "cut at {cut}: {:?}",
                String::from_utf8_lossy(&INVITE[cut..])
            );
        }
        assert!(!starts_with_start_line(b"INVITE sip:bob@example.com SIP/2.0"), "no CRLF yet");
        assert!(!starts_with_start_line(b"SIP/2.0 20 OK\r\n"));
        assert!(!starts_with_start_line(b"a=rtpmap:0 PCMU/8000\r\n"));
        assert!(!starts_with_start_line(b"INVITE  sip:x SIP/2.0\r\n"));
        assert!(!starts_with_start_line(b""));
    }

    #[test]
    fn the_first_crlf_is_found() {
        for hay in [&b""[..], b"\r", b"\n", b"\r\n", b"a\r\rb\r\n", b"\r\r\n", b"x\n\r", b"ab\rc\n", b"abc\r\nd\r\n"] {
            assert_eq!(find_crlf(hay), find(hay, b"\r\n"), "{hay:?}");
        }
    }

    #[test]
    fn the_extent_comes_from_content_length() {
        assert_eq!(extent(INVITE), Extent::Length(INVITE.len()));
        assert_eq!(extent(&INVITE[..40]), Extent::HeadersIncomplete);
        assert_eq!(extent(b"\r\nSIP/2.0 200 OK\r\nl : 0\r\n\r\n"), Extent::Length(27));
        assert_eq!(extent(b"SIP/2.0 200 OK\r\nTo: x\r\n\r\n"), Extent::NoContentLength);
        assert_eq!(extent(b"SIP/2.0 200 OK\r\nContent-Length: x\r\n\r\n"), Extent::NoContentLength);
        assert_eq!(extent(b"SIP/2.0 200 OK\r\nContent-Length: 99999999999\r\n\r\n"), Extent::NoContentLength);
    }
}
