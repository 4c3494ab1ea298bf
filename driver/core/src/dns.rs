//! Passive DNS: the addresses a DNS response gives for the name that was asked, so connections
//! to those addresses can be shown with the name (the daemon's DNS name feature).
//!
//! [`parse_dns_answers`] reads one DNS message (RFC 1035) — the UDP payload of a response from
//! port 53, or one message of the TCP form via [`parse_dns_answers_tcp`] — and yields one
//! [`DnsRecord`] per A or AAAA answer reachable from the question name through CNAME records.
//! The whole message (every section) is validated before anything is emitted, so a malformed or
//! truncated message gives an error and no records. Nothing here panics on any input.

use alloc::string::String;
use alloc::vec::Vec;

use crate::flow::IpAddress;

/// The length of the DNS message header.
pub const HEADER_LEN: usize = 12;
/// The most compression pointers followed while reading one name.
pub const MAX_POINTER_JUMPS: usize = 64;
/// The longest label (the 6-bit length of a label byte).
pub const MAX_LABEL_LEN: usize = 63;
/// The longest name in wire form (length bytes and the final zero included).
pub const MAX_NAME_LEN: usize = 255;
/// The most CNAME records followed from the question name.
pub const MAX_CNAME_CHAIN: usize = 16;

/// DNS record types used here.
pub mod record_type {
    /// An IPv4 address.
    pub const A: u16 = 1;
    /// A canonical name (alias).
    pub const CNAME: u16 = 5;
    /// An IPv6 address.
    pub const AAAA: u16 = 28;
}

/// The Internet class.
pub const CLASS_IN: u16 = 1;

/// One address the response gives for the name that was asked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DnsRecord {
    /// The question name: ASCII-lowercased, labels joined by `.`, no trailing dot (the root is
    /// the empty string). Bytes outside `!`..=`~`, and `.` and `\` inside a label, are escaped
    /// as in zone files (`\DDD` decimal, `\.`, `\\`).
    pub name: String,
    /// The address of an A or AAAA answer.
    pub address: IpAddress,
    /// Seconds the mapping may be kept: the smallest TTL along the CNAME chain and the address
    /// record (a TTL with the top bit set counts as 0, RFC 2181).
    pub ttl_s: u32,
}

/// Why a DNS message was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DnsError {
    /// The message ends inside the header, a question, a record or a name (or, in the TCP
    /// form, before the length the prefix announces).
    Truncated,
    /// The QR bit is clear: the message is a query, not a response.
    NotResponse,
    /// The QR bit is set, or the opcode is not 0: the message is not a standard query.
    NotQuery,
    /// The message does not carry exactly one question.
    NotOneQuestion,
    /// A label byte uses the reserved 0b01 or 0b10 prefix.
    BadLabelType,
    /// A compression pointer points past the end of the message.
    BadPointer,
    /// More than [`MAX_POINTER_JUMPS`] compression pointers in one name (a pointer loop).
    PointerLoop,
    /// A name longer than [`MAX_NAME_LEN`] bytes in wire form.
    NameTooLong,
    /// An A or AAAA record whose data is not 4 or 16 bytes, or a CNAME whose name overruns
    /// its data.
    BadRdata,
}

impl core::fmt::Display for DnsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            DnsError::Truncated => "DNS message truncated",
            DnsError::NotResponse => "DNS message is not a response",
            DnsError::NotQuery => "DNS message is not a standard query",
            DnsError::NotOneQuestion => "DNS message does not carry exactly one question",
            DnsError::BadLabelType => "reserved DNS label type",
            DnsError::BadPointer => "DNS compression pointer past the message end",
            DnsError::PointerLoop => "too many DNS compression pointers",
            DnsError::NameTooLong => "DNS name longer than 255 bytes",
            DnsError::BadRdata => "malformed DNS record data",
        })
    }
}

/// A checked view of the DNS message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DnsHeader<'a> {
    fixed: &'a [u8; HEADER_LEN],
}

impl<'a> DnsHeader<'a> {
    /// Reads the header at the start of `message`.
    pub fn new_checked(message: &'a [u8]) -> Result<Self, DnsError> {
        let fixed = message
            .first_chunk::<HEADER_LEN>()
            .ok_or(DnsError::Truncated)?;
        Ok(DnsHeader { fixed })
    }

    /// The message ID.
    pub fn id(&self) -> u16 {
        u16::from_be_bytes([self.fixed[0], self.fixed[1]])
    }

    /// The flags field (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE).
    pub fn flags(&self) -> u16 {
        u16::from_be_bytes([self.fixed[2], self.fixed[3]])
    }

    /// Whether the QR bit is set (a response).
    pub fn is_response(&self) -> bool {
        self.fixed[2] & 0x80 != 0
    }

    /// The opcode (0 for a standard query).
    pub fn opcode(&self) -> u8 {
        (self.fixed[2] >> 3) & 0x0f
    }

    /// Whether the TC (truncated) bit is set.
    pub fn is_truncated(&self) -> bool {
        self.fixed[2] & 0x02 != 0
    }

    /// The response code (0 for no error).
    pub fn rcode(&self) -> u8 {
        self.fixed[3] & 0x0f
    }

    /// The number of questions.
    pub fn question_count(&self) -> u16 {
        u16::from_be_bytes([self.fixed[4], self.fixed[5]])
    }

    /// The number of answer records.
    pub fn answer_count(&self) -> u16 {
        u16::from_be_bytes([self.fixed[6], self.fixed[7]])
    }

    /// The number of authority records.
    pub fn authority_count(&self) -> u16 {
        u16::from_be_bytes([self.fixed[8], self.fixed[9]])
    }

    /// The number of additional records.
    pub fn additional_count(&self) -> u16 {
        u16::from_be_bytes([self.fixed[10], self.fixed[11]])
    }
}

/// Parses a DNS response and pushes to `out` one record per A/AAAA answer of class IN reachable
/// from the question name (directly or through CNAME answers), named with the question name.
///
/// Only standard queries (opcode 0) with exactly one question and RCODE 0 give records; other
/// responses give none once validated. Other record types and classes are ignored. On error
/// nothing is pushed.
pub fn parse_dns_answers(message: &[u8], out: &mut Vec<DnsRecord>) -> Result<(), DnsError> {
    let header = DnsHeader::new_checked(message)?;
    if !header.is_response() {
        return Err(DnsError::NotResponse);
    }
    let mut reader = Reader {
        message,
        pos: HEADER_LEN,
    };

    let mut question = None;
    for _ in 0..header.question_count() {
        let mut name = String::new();
        reader.name(Some(&mut name))?;
        reader.take(4)?; // QTYPE, QCLASS
        question.get_or_insert(name);
    }

    let mut answers = Vec::new();
    for _ in 0..header.answer_count() {
        if let Some(answer) = reader.record(true)? {
            answers.push(answer);
        }
    }
    let others = u32::from(header.authority_count()) + u32::from(header.additional_count());
    for _ in 0..others {
        reader.record(false)?;
    }

    let usable = header.opcode() == 0 && header.rcode() == 0 && header.question_count() == 1;
    if let (true, Some(question)) = (usable, question) {
        resolve(question, &answers, out);
    }
    Ok(())
}

/// The question of a message that carries exactly one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsQuestion {
    /// The name asked for, in the form of [`DnsRecord::name`] (ASCII-lowercased, so names that
    /// differ only in case, as with 0x20 randomisation, compare equal).
    pub name: String,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

/// Reads the header and the only question of a message (query or response); the sections after
/// the question are not read.
pub fn parse_question(message: &[u8]) -> Result<(DnsHeader<'_>, DnsQuestion), DnsError> {
    let header = DnsHeader::new_checked(message)?;
    if header.question_count() != 1 {
        return Err(DnsError::NotOneQuestion);
    }
    let mut reader = Reader {
        message,
        pos: HEADER_LEN,
    };
    let mut name = String::new();
    reader.name(Some(&mut name))?;
    let qtype = reader.u16()?;
    let qclass = reader.u16()?;
    Ok((
        header,
        DnsQuestion {
            name,
            qtype,
            qclass,
        },
    ))
}

/// Splits the first message off a DNS-over-TCP stream (a 2-byte big-endian length, then the
/// message); returns the message and the bytes after it.
pub fn split_tcp_message(stream: &[u8]) -> Result<(&[u8], &[u8]), DnsError> {
    let (len, rest) = stream.split_first_chunk::<2>().ok_or(DnsError::Truncated)?;
    let len = usize::from(u16::from_be_bytes(*len));
    rest.split_at_checked(len).ok_or(DnsError::Truncated)
}

/// [`parse_dns_answers`] for the TCP form: parses the first length-prefixed message of `stream`
/// and returns the bytes it took (2 + the length), so the caller can go on with the next one.
pub fn parse_dns_answers_tcp(stream: &[u8], out: &mut Vec<DnsRecord>) -> Result<usize, DnsError> {
    let (message, _) = split_tcp_message(stream)?;
    parse_dns_answers(message, out)?;
    Ok(2 + message.len())
}

/// What an answer record of interest says.
#[derive(Debug)]
enum AnswerData {
    Address(IpAddress),
    Cname(String),
}

/// An A, AAAA or CNAME answer of class IN.
#[derive(Debug)]
struct Answer {
    owner: String,
    ttl_s: u32,
    data: AnswerData,
}

/// Follows the CNAME chain from `question` and pushes the addresses found along it. Each name
/// is visited once, and at most [`MAX_CNAME_CHAIN`] CNAME records are followed.
fn resolve(question: String, answers: &[Answer], out: &mut Vec<DnsRecord>) {
    let mut visited: Vec<&str> = Vec::new();
    let mut current: &str = &question;
    let mut chain_ttl = u32::MAX;
    loop {
        visited.push(current);
        let mut next = None;
        for answer in answers.iter().filter(|a| a.owner == current) {
            match &answer.data {
                AnswerData::Address(address) => out.push(DnsRecord {
                    name: question.clone(),
                    address: *address,
                    ttl_s: chain_ttl.min(answer.ttl_s),
                }),
                // A name has at most one CNAME; the first one wins.
                AnswerData::Cname(target) => {
                    next = next.or(Some((target.as_str(), answer.ttl_s)));
                }
            }
        }
        match next {
            Some((target, ttl))
                if visited.len() <= MAX_CNAME_CHAIN && !visited.contains(&target) =>
            {
                current = target;
                chain_ttl = chain_ttl.min(ttl);
            }
            _ => return,
        }
    }
}

/// A bounds-checked cursor over a DNS message.
struct Reader<'a> {
    message: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Takes the next `len` bytes.
    fn take(&mut self, len: usize) -> Result<&'a [u8], DnsError> {
        let end = self.pos.checked_add(len).ok_or(DnsError::Truncated)?;
        let bytes = self.message.get(self.pos..end).ok_or(DnsError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn u16(&mut self) -> Result<u16, DnsError> {
        match *self.take(2)? {
            [a, b] => Ok(u16::from_be_bytes([a, b])),
            _ => Err(DnsError::Truncated),
        }
    }

    fn u32(&mut self) -> Result<u32, DnsError> {
        match *self.take(4)? {
            [a, b, c, d] => Ok(u32::from_be_bytes([a, b, c, d])),
            _ => Err(DnsError::Truncated),
        }
    }

    /// Reads the name at the cursor (following compression pointers) and moves past its
    /// in-place part; appends its text to `text` when given.
    fn name(&mut self, text: Option<&mut String>) -> Result<(), DnsError> {
        self.pos = read_name(self.message, self.pos, text)?;
        Ok(())
    }

    /// Reads one resource record; returns it when it is an A, AAAA or CNAME record of class IN
    /// and `keep` is set.
    fn record(&mut self, keep: bool) -> Result<Option<Answer>, DnsError> {
        let mut owner = String::new();
        self.name(keep.then_some(&mut owner))?;
        let rtype = self.u16()?;
        let class = self.u16()?;
        let ttl = self.u32()?;
        let rdlength = usize::from(self.u16()?);
        let rdata_start = self.pos;
        let rdata = self.take(rdlength)?;
        let ttl_s = if ttl > i32::MAX as u32 { 0 } else { ttl };
        if !keep || class != CLASS_IN {
            return Ok(None);
        }
        let data = match rtype {
            record_type::A => {
                let octets: [u8; 4] = rdata.try_into().map_err(|_| DnsError::BadRdata)?;
                AnswerData::Address(IpAddress::V4(octets))
            }
            record_type::AAAA => {
                let octets: [u8; 16] = rdata.try_into().map_err(|_| DnsError::BadRdata)?;
                AnswerData::Address(IpAddress::V6(octets))
            }
            record_type::CNAME => {
                // The name must lie within the data, and its pointers before the record end.
                let upto_rdata_end = self.message.get(..self.pos).ok_or(DnsError::Truncated)?;
                let mut target = String::new();
                read_name(upto_rdata_end, rdata_start, Some(&mut target)).map_err(|e| match e {
                    DnsError::Truncated => DnsError::BadRdata,
                    e => e,
                })?;
                AnswerData::Cname(target)
            }
            _ => return Ok(None),
        };
        Ok(Some(Answer { owner, ttl_s, data }))
    }
}

/// Reads the name at `start` of `message`, following compression pointers; returns the offset
/// just past its in-place part (after the final zero or the first pointer) and appends the text
/// to `text` when given.
fn read_name(
    message: &[u8],
    start: usize,
    mut text: Option<&mut String>,
) -> Result<usize, DnsError> {
    let mut pos = start;
    let mut end = None;
    let mut jumps = 0;
    let mut wire_len = 0;
    loop {
        let len_byte = *message.get(pos).ok_or(DnsError::Truncated)?;
        match len_byte & 0xc0 {
            0x00 => {}
            0xc0 => {
                let low = *message.get(pos + 1).ok_or(DnsError::Truncated)?;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                jumps += 1;
                if jumps > MAX_POINTER_JUMPS {
                    return Err(DnsError::PointerLoop);
                }
                pos = usize::from(u16::from_be_bytes([len_byte & 0x3f, low]));
                if pos >= message.len() {
                    return Err(DnsError::BadPointer);
                }
                continue;
            }
            _ => return Err(DnsError::BadLabelType),
        }
        let len = usize::from(len_byte);
        wire_len += len + 1;
        if wire_len > MAX_NAME_LEN {
            return Err(DnsError::NameTooLong);
        }
        if len == 0 {
            return Ok(end.unwrap_or(pos + 1));
        }
        let label = message
            .get(pos + 1..pos + 1 + len)
            .ok_or(DnsError::Truncated)?;
        if let Some(text) = text.as_deref_mut() {
            if wire_len != len + 1 {
                text.push('.');
            }
            push_label(text, label);
        }
        pos += 1 + len;
    }
}

/// Appends a label in presentation form: ASCII lowercased, unprintable bytes, `.` and `\`
/// escaped.
fn push_label(text: &mut String, label: &[u8]) {
    for &b in label {
        match b {
            b'.' | b'\\' => {
                text.push('\\');
                text.push(char::from(b));
            }
            0x21..=0x7e => text.push(char::from(b.to_ascii_lowercase())),
            _ => {
                text.push('\\');
                for digit in [b / 100, b / 10 % 10, b % 10] {
                    text.push(char::from(b'0' + digit));
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    extern crate std;

    use super::*;
    use crate::test_rng::Rng;
    use alloc::string::ToString;
    use alloc::vec;

    const RESPONSE: u16 = 0x8180; // QR, RD, RA, NOERROR
    const PTR_QNAME: [u8; 2] = [0xc0, 12];

    fn header(flags: u16, qd: u16, an: u16, ns: u16, ar: u16) -> Vec<u8> {
        let mut v = vec![0xbe, 0xef];
        for field in [flags, qd, an, ns, ar] {
            v.extend_from_slice(&field.to_be_bytes());
        }
        v
    }

    /// A name in wire form from its labels, ending with `tail` (a zero byte or a pointer).
    fn name_with(labels: &[&[u8]], tail: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        for label in labels {
            v.push(label.len() as u8);
            v.extend_from_slice(label);
        }
        v.extend_from_slice(tail);
        v
    }

    fn name(dotted: &str) -> Vec<u8> {
        let labels: Vec<&[u8]> = dotted.split('.').map(str::as_bytes).collect();
        name_with(&labels, &[0])
    }

    fn pointer(offset: usize) -> [u8; 2] {
        [0xc0 | (offset >> 8) as u8, offset as u8]
    }

    fn question(msg: &mut Vec<u8>, qname: &str, qtype: u16) {
        msg.extend(name(qname));
        msg.extend_from_slice(&qtype.to_be_bytes());
        msg.extend_from_slice(&CLASS_IN.to_be_bytes());
    }

    /// Appends a record; returns the offset of its data.
    fn rr(
        msg: &mut Vec<u8>,
        owner: &[u8],
        rtype: u16,
        class: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> usize {
        msg.extend_from_slice(owner);
        msg.extend_from_slice(&rtype.to_be_bytes());
        msg.extend_from_slice(&class.to_be_bytes());
        msg.extend_from_slice(&ttl.to_be_bytes());
        msg.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        let at = msg.len();
        msg.extend_from_slice(rdata);
        at
    }

    fn record(name: &str, address: IpAddress, ttl_s: u32) -> DnsRecord {
        DnsRecord {
            name: name.to_string(),
            address,
            ttl_s,
        }
    }

    fn parse(msg: &[u8]) -> Result<Vec<DnsRecord>, DnsError> {
        let mut out = Vec::new();
        parse_dns_answers(msg, &mut out).map(|()| out)
    }

    const V6: [u8; 16] = [
        0x26, 0x06, 0x28, 0, 0x02, 0x20, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x68,
    ];

    fn a_response() -> Vec<u8> {
        let mut m = header(RESPONSE, 1, 1, 0, 0);
        question(&mut m, "www.example.org", record_type::A);
        rr(
            &mut m,
            &PTR_QNAME,
            record_type::A,
            CLASS_IN,
            300,
            &[93, 184, 216, 34],
        );
        m
    }

    fn aaaa_response() -> Vec<u8> {
        let mut m = header(RESPONSE, 1, 2, 0, 0);
        question(&mut m, "example.org", record_type::AAAA);
        rr(&mut m, &PTR_QNAME, record_type::AAAA, CLASS_IN, 3600, &V6);
        let mut second = V6;
        second[15] = 0x69;
        rr(
            &mut m,
            &name("example.org"),
            record_type::AAAA,
            CLASS_IN,
            1800,
            &second,
        );
        m
    }

    /// www.example.org CNAME edge.cdn.net; edge.cdn.net CNAME e1.cdn.net (compressed into the
    /// first CNAME's data); e1.cdn.net A 1.2.3.4 (owner a pointer to a pointer).
    fn cname_response() -> Vec<u8> {
        let mut m = header(RESPONSE, 1, 3, 0, 0);
        question(&mut m, "WWW.Example.ORG", record_type::A);
        let edge = rr(
            &mut m,
            &PTR_QNAME,
            record_type::CNAME,
            CLASS_IN,
            300,
            &name("edge.cdn.net"),
        );
        let e1 = name_with(&[b"e1"], &pointer(edge + 5));
        let e1_at = rr(
            &mut m,
            &pointer(edge),
            record_type::CNAME,
            CLASS_IN,
            60,
            &e1,
        );
        rr(
            &mut m,
            &pointer(e1_at),
            record_type::A,
            CLASS_IN,
            120,
            &[1, 2, 3, 4],
        );
        m
    }

    /// Answers the question does not reach, types and classes that do not count, and records
    /// in the authority and additional sections (including an EDNS OPT record).
    fn noisy_response() -> Vec<u8> {
        let mut m = header(RESPONSE, 1, 5, 1, 2);
        question(&mut m, "mail.example.org", record_type::A);
        let mx = name_with(&[], &PTR_QNAME);
        rr(
            &mut m,
            &PTR_QNAME,
            15,
            CLASS_IN,
            300,
            &[&[0, 10][..], &mx].concat(),
        );
        rr(&mut m, &PTR_QNAME, record_type::A, 3, 300, &[10, 0, 0, 1]);
        rr(
            &mut m,
            &name("other.example.org"),
            record_type::A,
            CLASS_IN,
            300,
            &[10, 0, 0, 2],
        );
        rr(&mut m, &PTR_QNAME, 16, CLASS_IN, 300, b"\x05hello");
        rr(
            &mut m,
            &PTR_QNAME,
            record_type::A,
            CLASS_IN,
            0x8000_0000,
            &[10, 0, 0, 3],
        );
        rr(
            &mut m,
            &pointer(17),
            2,
            CLASS_IN,
            300,
            &name("ns1.example.org"),
        );
        rr(
            &mut m,
            &name("ns1.example.org"),
            record_type::A,
            CLASS_IN,
            300,
            &[10, 0, 0, 53],
        );
        rr(&mut m, &[0], 41, 1232, 0, &[]);
        m
    }

    fn fixtures() -> Vec<(&'static str, Vec<u8>, Vec<DnsRecord>)> {
        vec![
            (
                "a",
                a_response(),
                vec![record(
                    "www.example.org",
                    IpAddress::V4([93, 184, 216, 34]),
                    300,
                )],
            ),
            (
                "aaaa",
                aaaa_response(),
                vec![record("example.org", IpAddress::V6(V6), 3600), {
                    let mut second = V6;
                    second[15] = 0x69;
                    record("example.org", IpAddress::V6(second), 1800)
                }],
            ),
            (
                "cname chain",
                cname_response(),
                vec![record("www.example.org", IpAddress::V4([1, 2, 3, 4]), 60)],
            ),
            (
                "noisy",
                noisy_response(),
                vec![record("mail.example.org", IpAddress::V4([10, 0, 0, 3]), 0)],
            ),
        ]
    }

    #[test]
    fn fixtures_parse() {
        for (name, msg, expected) in fixtures() {
            assert_eq!(parse(&msg), Ok(expected), "{name}");
        }
    }

    #[test]
    fn header_fields() {
        let m = a_response();
        let h = DnsHeader::new_checked(&m).unwrap();
        assert_eq!(
            (h.id(), h.flags(), h.opcode(), h.rcode()),
            (0xbeef, RESPONSE, 0, 0)
        );
        assert!(h.is_response() && !h.is_truncated());
        assert_eq!(
            (
                h.question_count(),
                h.answer_count(),
                h.authority_count(),
                h.additional_count()
            ),
            (1, 1, 0, 0)
        );
    }

    #[test]
    fn the_question_is_read_from_queries_and_responses() {
        let m = cname_response();
        let (h, q) = parse_question(&m).unwrap();
        assert_eq!(h.id(), 0xbeef);
        assert_eq!(
            q,
            DnsQuestion {
                name: "www.example.org".into(),
                qtype: record_type::A,
                qclass: CLASS_IN
            }
        );
        let mut query = header(0x0100, 1, 0, 0, 0);
        question(&mut query, "Example.ORG", record_type::AAAA);
        assert_eq!(parse_question(&query).unwrap().1.name, "example.org");
        assert_eq!(
            parse_question(&header(0x0100, 0, 0, 0, 0)),
            Err(DnsError::NotOneQuestion)
        );
        assert_eq!(
            parse_question(&header(0x0100, 2, 0, 0, 0)),
            Err(DnsError::NotOneQuestion)
        );
        for cut in 0..query.len() {
            assert!(parse_question(&query[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn out_is_appended_to() {
        let mut out = vec![record("kept", IpAddress::V4([0; 4]), 1)];
        parse_dns_answers(&a_response(), &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].name, "kept");
    }

    #[test]
    fn queries_and_errors_give_nothing() {
        let mut m = a_response();
        m[2] &= 0x7f; // a query
        assert_eq!(parse(&m), Err(DnsError::NotResponse));
        let mut m = a_response();
        m[3] |= 3; // NXDOMAIN
        assert_eq!(parse(&m), Ok(vec![]));
        let mut m = a_response();
        m[2] |= 2 << 3; // opcode STATUS
        assert_eq!(parse(&m), Ok(vec![]));
        // Two questions: valid, but whose name the answers belong to is unclear.
        let mut m = header(RESPONSE, 2, 1, 0, 0);
        question(&mut m, "a.example", record_type::A);
        question(&mut m, "b.example", record_type::A);
        rr(
            &mut m,
            &PTR_QNAME,
            record_type::A,
            CLASS_IN,
            5,
            &[1, 1, 1, 1],
        );
        assert_eq!(parse(&m), Ok(vec![]));
        // No question.
        let mut m = header(RESPONSE, 0, 1, 0, 0);
        rr(
            &mut m,
            &name("a.example"),
            record_type::A,
            CLASS_IN,
            5,
            &[1, 1, 1, 1],
        );
        assert_eq!(parse(&m), Ok(vec![]));
    }

    #[test]
    fn names_are_lowercased_and_escaped() {
        let mut m = header(RESPONSE, 1, 1, 0, 0);
        m.extend(name_with(&[b"A.b", b"C\\d", b"\x00\xff ", b"Org"], &[0]));
        m.extend_from_slice(&[0, 1, 0, 1]);
        rr(
            &mut m,
            &PTR_QNAME,
            record_type::A,
            CLASS_IN,
            7,
            &[9, 9, 9, 9],
        );
        let got = parse(&m).unwrap();
        assert_eq!(
            got,
            vec![record(
                r"a\.b.c\\d.\000\255\032.org",
                IpAddress::V4([9; 4]),
                7
            )]
        );
        // The root name.
        let mut m = header(RESPONSE, 1, 1, 0, 0);
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        rr(&mut m, &[0], record_type::A, CLASS_IN, 7, &[9, 9, 9, 9]);
        assert_eq!(parse(&m).unwrap()[0].name, "");
    }

    #[test]
    fn cname_loops_end() {
        let mut m = header(RESPONSE, 1, 3, 0, 0);
        question(&mut m, "a.example", record_type::A);
        let b = rr(
            &mut m,
            &PTR_QNAME,
            record_type::CNAME,
            CLASS_IN,
            50,
            &name("b.example"),
        );
        rr(
            &mut m,
            &pointer(b),
            record_type::CNAME,
            CLASS_IN,
            50,
            &PTR_QNAME,
        );
        rr(
            &mut m,
            &pointer(b),
            record_type::A,
            CLASS_IN,
            100,
            &[5, 5, 5, 5],
        );
        assert_eq!(
            parse(&m),
            Ok(vec![record("a.example", IpAddress::V4([5; 4]), 50)])
        );

        // At most MAX_CNAME_CHAIN CNAME records are followed.
        for (hops, reached) in [(MAX_CNAME_CHAIN, true), (MAX_CNAME_CHAIN + 1, false)] {
            let mut m = header(RESPONSE, 1, hops as u16 + 1, 0, 0);
            question(&mut m, "c0.example", record_type::A);
            for i in 0..hops {
                let owner = name(&std::format!("c{i}.example"));
                let target = name(&std::format!("c{}.example", i + 1));
                rr(&mut m, &owner, record_type::CNAME, CLASS_IN, 9, &target);
            }
            let last = name(&std::format!("c{hops}.example"));
            rr(&mut m, &last, record_type::A, CLASS_IN, 9, &[1; 4]);
            let records = parse(&m).unwrap();
            assert_eq!(records.len(), usize::from(reached), "{hops} CNAME records");
        }
    }

    #[test]
    fn malformed_names() {
        // The answer's owner points at itself.
        let mut m = header(RESPONSE, 1, 1, 0, 0);
        question(&mut m, "x.example", record_type::A);
        let at = m.len();
        rr(&mut m, &pointer(at), record_type::A, CLASS_IN, 1, &[1; 4]);
        assert_eq!(parse(&m), Err(DnsError::PointerLoop));
        // Two pointers pointing at each other (in a TXT record's data).
        let mut m = header(RESPONSE, 1, 2, 0, 0);
        question(&mut m, "x.example", record_type::A);
        let p1 = m.len() + 2 + 10;
        let pair = [pointer(p1 + 2), pointer(p1)].concat();
        rr(&mut m, &PTR_QNAME, 16, CLASS_IN, 1, &pair);
        rr(&mut m, &pointer(p1), record_type::A, CLASS_IN, 1, &[1; 4]);
        assert_eq!(parse(&m), Err(DnsError::PointerLoop));
        // Pointer past the end.
        let mut m = a_response();
        let at = m.len() - 16;
        m[at..at + 2].copy_from_slice(&pointer(0x3fff));
        assert_eq!(parse(&m), Err(DnsError::BadPointer));
        // Reserved label types.
        for prefix in [0x40, 0x80] {
            let mut m = a_response();
            m[12] = prefix | 3;
            assert_eq!(parse(&m), Err(DnsError::BadLabelType));
        }
        // 3 × 63-byte labels + a 61-byte one is 255 bytes; one more byte is too long.
        let long = [b'x'; 63];
        for (last, expected) in [(61, Ok(())), (62, Err(DnsError::NameTooLong))] {
            let tail = [b'y'; 62];
            let mut m = header(RESPONSE, 1, 0, 0, 0);
            m.extend(name_with(&[&long, &long, &long, &tail[..last]], &[0]));
            m.extend_from_slice(&[0, 1, 0, 1]);
            assert_eq!(parse(&m).map(|_| ()), expected, "{last}");
        }
    }

    #[test]
    fn pointer_jumps_are_bounded() {
        for (jumps, ok) in [(MAX_POINTER_JUMPS, true), (MAX_POINTER_JUMPS + 1, false)] {
            // A TXT answer whose data is a chain of `jumps - 1` pointers, each pointing at the
            // one before (the first at the question name), then an A answer whose owner points
            // at the last: `jumps` pointers to reach the name.
            let mut m = header(RESPONSE, 1, 2, 0, 0);
            question(&mut m, "z.example", record_type::A);
            let txt_at = m.len() + 2 + 10;
            let mut chain = Vec::new();
            for i in 0..jumps - 1 {
                let target = if i == 0 { 12 } else { txt_at + 2 * (i - 1) };
                chain.extend_from_slice(&pointer(target));
            }
            assert_eq!(rr(&mut m, &PTR_QNAME, 16, CLASS_IN, 1, &chain), txt_at);
            let owner = pointer(txt_at + 2 * (jumps - 2));
            rr(&mut m, &owner, record_type::A, CLASS_IN, 1, &[3; 4]);
            let expected = if ok {
                Ok(vec![record("z.example", IpAddress::V4([3; 4]), 1)])
            } else {
                Err(DnsError::PointerLoop)
            };
            assert_eq!(parse(&m), expected, "{jumps} jumps");
        }
    }

    #[test]
    fn bad_rdata() {
        let mut m = header(RESPONSE, 1, 1, 0, 0);
        question(&mut m, "x.example", record_type::A);
        rr(&mut m, &PTR_QNAME, record_type::A, CLASS_IN, 1, &[1; 5]);
        assert_eq!(parse(&m), Err(DnsError::BadRdata));
        let mut m = header(RESPONSE, 1, 1, 0, 0);
        question(&mut m, "x.example", record_type::AAAA);
        rr(&mut m, &PTR_QNAME, record_type::AAAA, CLASS_IN, 1, &[1; 4]);
        assert_eq!(parse(&m), Err(DnsError::BadRdata));
        // A CNAME whose name runs past its data (rdlength 3 for a longer name).
        let mut m = header(RESPONSE, 1, 1, 0, 0);
        question(&mut m, "x.example", record_type::A);
        let at = rr(
            &mut m,
            &PTR_QNAME,
            record_type::CNAME,
            CLASS_IN,
            1,
            &name("y.example"),
        );
        m[at - 1] = 3;
        m.truncate(at + 3);
        assert_eq!(parse(&m), Err(DnsError::BadRdata));
        // The same record in the additional section is only skipped.
        m[7] = 0;
        m[11] = 1;
        assert_eq!(parse(&m), Ok(vec![]));
    }

    #[test]
    fn tcp_form() {
        let a = a_response();
        let c = cname_response();
        let mut stream = Vec::new();
        for msg in [&a, &c] {
            stream.extend_from_slice(&(msg.len() as u16).to_be_bytes());
            stream.extend_from_slice(msg);
        }
        let mut out = Vec::new();
        let first = parse_dns_answers_tcp(&stream, &mut out).unwrap();
        assert_eq!(first, 2 + a.len());
        let second = parse_dns_answers_tcp(&stream[first..], &mut out).unwrap();
        assert_eq!(first + second, stream.len());
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].address, IpAddress::V4([1, 2, 3, 4]));
        let (msg, rest) = split_tcp_message(&stream).unwrap();
        assert_eq!((msg, rest.len()), (&a[..], 2 + c.len()));
        for cut in 0..first {
            assert_eq!(
                parse_dns_answers_tcp(&stream[..cut], &mut out),
                Err(DnsError::Truncated)
            );
        }
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn every_truncation_is_an_error() {
        for (name, msg, _) in fixtures() {
            for cut in 0..msg.len() {
                let mut out = vec![record("sentinel", IpAddress::V4([0; 4]), 0)];
                let got = parse_dns_answers(&msg[..cut], &mut out);
                assert!(got.is_err(), "{name} cut at {cut} parsed");
                assert_eq!(out.len(), 1, "{name} cut at {cut} pushed records");
            }
        }
    }

    /// A random message: random bytes behind a plausible header, or a fixture with a few bytes
    /// changed (often length and pointer bytes), cut or extended.
    fn random_message(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
        if rng.below(3) == 0 {
            let len = rng.below(120);
            let mut m: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            if m.len() >= 12 {
                m[2] |= 0x80;
                m[3] &= 0xf0;
                m[4] = 0;
                m[5] = 1;
                m[6] = 0;
                m[7] = rng.below(4) as u8;
                m[8..12].fill(0);
            }
            for b in m.iter_mut().skip(12) {
                // Bias towards small lengths, pointers and record types that matter.
                match rng.below(8) {
                    0 => *b = 0xc0,
                    1 => *b = rng.below(20) as u8,
                    2 => *b = [0, 1, 5, 28][rng.below(4)],
                    _ => {}
                }
            }
            return m;
        }
        let mut m = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(3) {
            let i = rng.below(m.len());
            m[i] = match rng.below(4) {
                0 => 0xc0 | rng.byte() & 0x01,
                1 => rng.below(64) as u8,
                _ => rng.byte(),
            };
        }
        match rng.below(4) {
            0 => m.truncate(rng.below(m.len() + 1)),
            1 => m.extend((0..rng.below(16)).map(|_| rng.byte())),
            _ => {}
        }
        m
    }

    #[test]
    fn random_messages_never_panic() {
        let seeds: Vec<Vec<u8>> = fixtures().into_iter().map(|(_, m, _)| m).collect();
        let mut rng = Rng::from_env();
        let (mut ok, mut with_records) = (0usize, 0usize);
        for _ in 0..100_000 {
            let msg = random_message(&mut rng, &seeds);
            let mut out = Vec::new();
            match parse_dns_answers(&msg, &mut out) {
                Ok(()) => {
                    ok += 1;
                    if !out.is_empty() {
                        with_records += 1;
                        let h = DnsHeader::new_checked(&msg).unwrap();
                        assert_eq!((h.rcode(), h.question_count()), (0, 1));
                    }
                    for r in &out {
                        assert!(r.name.len() <= 4 * MAX_NAME_LEN);
                        assert_eq!(r.name, out[0].name);
                        assert!(r.ttl_s <= i32::MAX as u32);
                    }
                }
                Err(_) => assert!(out.is_empty()),
            }
        }
        std::println!("of 100000 random messages: {ok} parsed, {with_records} gave records");
        assert!(with_records > 100);
    }
}
