//! The little of SIP framing the receive path needs to tell a whole message
//! from a piece of one the kernel cut (RFC 3261 sections 7.1, 7.2, 20.14):
//! whether bytes begin with a start line, and where a message ends.

/// Whether `bytes` begin with a SIP start line, complete with its CRLF: a
/// status line (`SIP/2.0 200 ...`) or a request line (`METHOD URI SIP/2.0`).
/// CRLFs before it (keep-alives) are skipped. A later piece of a cut message
/// starts at a chunk boundary, anywhere in the message, and so (but for a
/// body that holds a SIP message at exactly that byte) does not.
#[inline(always)]
pub fn starts_with_start_line(bytes: &[u8]) -> bool {
    let bytes = skip_crlfs(bytes);
    if bytes.len() >= 8 && eq_ignore_case_8(&bytes[..8], b"sip/2.0 ") {
        let Some(end) = find_crlf(bytes) else { return false };
        let rest = &bytes[8..end];
        return rest.len() >= 4 && rest[..3].iter().all(u8::is_ascii_digit) && rest[3] == b' ';
    }
    // METHOD SP Request-URI SP SIP/2.0 CRLF: a token, a URI without spaces
    // (nor a CRLF: the line would end there), the version, in one pass
    let method = bytes.iter().take_while(|&&b| is_token_char(b)).count();
    if method == 0 || bytes.get(method) != Some(&b' ') {
        return false;
    }
    let uri = method + 1;
    let mut at = uri;
    let sp = loop {
        let Some(i) = find_any(&bytes[at..], [b' ', b'\r']) else { return false };
        let i = at + i;
        match (bytes[i], bytes.get(i + 1)) {
            (b' ', _) => break i,
            (_, Some(b'\n')) => return false,
            _ => at = i + 1,
        }
    };
    sp > uri
        && bytes.len() >= sp + 10
        && eq_ignore_case_8(&bytes[sp + 1..sp + 9], b"sip/2.0\r")
        && bytes[sp + 9] == b'\n'
}

/// Whether 8 bytes equal `lower` (lowercase ASCII) ignoring the case of its
/// letters, one word compared at once: a letter's byte with 0x20 set is its
/// lowercase, and no other byte becomes a lowercase letter that way.
fn eq_ignore_case_8(bytes: &[u8], lower: &[u8; 8]) -> bool {
    let (Ok(b), want) = (<[u8; 8]>::try_from(bytes), u64::from_le_bytes(*lower)) else { return false };
    let case = u64::from_le_bytes(lower.map(|c| if c.is_ascii_lowercase() { 0x20 } else { 0 }));
    u64::from_le_bytes(b) | case == want
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
    while let Some(i) = find_byte(&hay[from..], b'\r') {
        let at = from + i;
        if hay.get(at + 1) == Some(&b'\n') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The first `b` in `hay`.
fn find_byte(hay: &[u8], b: u8) -> Option<usize> {
    find_any(hay, [b])
}

/// The first of `bytes` in `hay`, eight bytes a step: a word is compared at
/// once (the bytes equal to one sought become zero, and the lowest zero byte
/// is the first), the tail one byte at a time. Under the emulated CPU of the
/// test VM a byte loop over the start line cost a tenth of the module's time.
fn find_any<const N: usize>(hay: &[u8], bytes: [u8; N]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let patterns = bytes.map(|b| ONES * u64::from(b));
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("chunks of 8"));
        // a high bit set in every byte of w that is zero, and maybe in bytes
        // above one (the borrow): the lowest set bit is the first zero byte
        let zeros = patterns.iter().fold(0, |z, p| {
            let w = word ^ p;
            z | (w.wrapping_sub(ONES) & !w & HIGHS)
        });
        if zeros != 0 {
            return Some(at + (zeros.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words.remainder().iter().position(|x| bytes.contains(x)).map(|i| at + i)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
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
    TOKEN_CHARS[usize::from(b)]
}

/// `is_token_char` as a table: one load a byte of every method read.
const TOKEN_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~');
        b += 1;
    }
    t
};

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
    fn find_byte_finds_the_first_as_a_byte_loop_does() {
        // every length up to 40, the byte at each place (and twice), among
        // neighbours that trip a word-at-a-time search: b ± 1, 0x80, 0xff, 0
        for len in 0..40 {
            for fill in [0u8, b'a', 0x0c, 0x0e, 0x80, 0xff, b'\n'] {
                let mut hay = vec![fill; len];
                for b in [b'\r', b' ', 0u8, 0xff] {
                    assert_eq!(find_byte(&hay, b), hay.iter().position(|&x| x == b), "{hay:?} {b}");
                    let either = hay.iter().position(|&x| x == b || x == b'\n');
                    assert_eq!(find_any(&hay, [b, b'\n']), either, "{hay:?} {b} or LF");
                }
                for at in 0..len {
                    hay[at] = b'\r';
                    assert_eq!(find_byte(&hay, b'\r'), hay.iter().position(|&x| x == b'\r'), "{hay:?}");
                    if at + 3 < len {
                        hay[at + 3] = b'\r';
                        assert_eq!(find_byte(&hay, b'\r'), Some(at), "{hay:?}");
                        hay[at + 3] = fill;
                    }
                    hay[at] = fill;
                }
            }
        }
    }

    fn strip_prefix_ignore_case<'a>(bytes: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
        (bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix))
            .then(|| &bytes[prefix.len()..])
    }

    /// The start-line check as a plain split, to hold the fast one to.
    fn start_line_by_split(bytes: &[u8]) -> bool {
        let bytes = skip_crlfs(bytes);
        let Some(end) = find(bytes, b"\r\n") else { return false };
        let line = &bytes[..end];
        if let Some(rest) = strip_prefix_ignore_case(line, b"SIP/2.0 ") {
            return rest.len() >= 4 && rest[..3].iter().all(u8::is_ascii_digit) && rest[3] == b' ';
        }
        let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let [method, uri, version] = parts[..] else { return false };
        !method.is_empty()
            && method.iter().all(|&b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
            && !uri.is_empty()
            && version.eq_ignore_ascii_case(b"SIP/2.0")
    }

    #[test]
    fn start_line_check_agrees_with_a_plain_split() {
        let lines: [&[u8]; 15] = [
            b"INVITE sip:x\rfoo SIP/2.0\r\n",
            b"INVITE sip:x\r\nfoo SIP/2.0\r\n",
            b"INVITE sip:x SIP/2.0\r\r\n",
            INVITE,
            b"SIP/2.0 200 OK\r\n",
            b"INVITE  sip:x SIP/2.0\r\n",
            b"INVITE sip:x  SIP/2.0\r\n",
            b"INVITE sip:x SIP/2.0 \r\n",
            b" INVITE sip:x SIP/2.0\r\n",
            b"INVITE sip:x\r\n",
            b"INVITE sip:a b SIP/2.0\r\n",
            b"REGISTER sip:registrar.example.com;transport=sctp SIP/2.0\r\nVia: x\r\n",
            b"\r\nOPTIONS sip:x SIP/2.0\r\n",
            b"OPTIONS sip:x sip/2.0\r\n",
            b"OPT\rIONS sip:x SIP/2.0\r\n",
        ];
        for line in lines {
            for cut in 0..line.len() {
                for bytes in [&line[cut..], &line[..cut]] {
                    assert_eq!(
                        starts_with_start_line(bytes),
                        start_line_by_split(bytes),
                        "{:?}",
                        String::from_utf8_lossy(bytes)
                    );
                }
            }
        }
    }

    #[test]
    fn start_line_check_agrees_with_a_plain_split_on_random_lines() {
        // bytes near the version's letters and digits in case and in bit 0x20
        // (0x13 | 0x20 is '3', 0x0f | 0x20 is '/'), spaces, CR, LF, tokens
        const ALPHABET: &[u8] = b"SIPsip/20.1 \r\n\x13\x0f\x10\x12\x00\x7fINVTEsa:@-~,";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let stems: [&[u8]; 4] = [b"SIP/2.0 ", b"INVITE sip:a SIP/2.0", b"sip/2.0 180 x", b"ACK x sIp/2.0"];
        for _ in 0..if cfg!(miri) { 2_000 } else { 200_000 } {
            let mut line = stems[next(stems.len())].to_vec();
            // a few random edits, then a line end most of the time
            for _ in 0..next(4) {
                let at = next(line.len() + 1);
                match next(3) {
                    0 if at < line.len() => line[at] = ALPHABET[next(ALPHABET.len())],
                    1 if at < line.len() => drop(line.remove(at)),
                    _ => line.insert(at, ALPHABET[next(ALPHABET.len())]),
                }
            }
            if next(4) != 0 {
                line.extend_from_slice(b"\r\n");
            }
            assert_eq!(
                starts_with_start_line(&line),
                start_line_by_split(&line),
                "{:?}",
                String::from_utf8_lossy(&line)
            );
        }
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
