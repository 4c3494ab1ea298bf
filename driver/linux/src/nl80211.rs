//! nl80211 over generic netlink, as bytes: the two requests the SSID lookup sends and the
//! parsers of their replies. Pure byte logic, no sockets (`ssid_lookup.rs` asks the kernel).
//!
//! 1. `CTRL_CMD_GETFAMILY` with `CTRL_ATTR_FAMILY_NAME` "nl80211" to the generic netlink
//!    controller (`GENL_ID_CTRL`): the reply (`CTRL_CMD_NEWFAMILY`) carries the family's id,
//!    which is the `nlmsg_type` of every nl80211 message. A kernel without cfg80211 answers
//!    `ENOENT`.
//! 2. `NL80211_CMD_GET_INTERFACE` with `NL80211_ATTR_IFINDEX`: the reply
//!    (`NL80211_CMD_NEW_INTERFACE`) carries `NL80211_ATTR_SSID` while the interface is connected
//!    (a station) or beaconing (an access point); an interface that is not Wi-Fi gets an error.
//!
//! Every message starts with `struct genlmsghdr` (cmd u8, version u8, reserved u16), then the
//! attributes. Attribute integers are in host order, as for rtnetlink.

use crate::netlink::{attrs, find_attr, MessageBuilder, NLM_F_REQUEST};

/// `NETLINK_GENERIC` (linux/netlink.h).
pub(crate) const NETLINK_GENERIC: i32 = 16;
/// `GENL_ID_CTRL` (linux/genetlink.h: `NLMSG_MIN_TYPE`): the controller's family id.
pub(crate) const GENL_ID_CTRL: u16 = 16;
/// `GENL_HDRLEN` (linux/genetlink.h): `struct genlmsghdr`, 4 bytes, already aligned.
const GENL_HDRLEN: usize = 4;
/// `CTRL_CMD_NEWFAMILY` (linux/genetlink.h, enum 1): the controller's answer.
const CTRL_CMD_NEWFAMILY: u8 = 1;
/// `CTRL_CMD_GETFAMILY` (linux/genetlink.h, enum 3).
const CTRL_CMD_GETFAMILY: u8 = 3;
/// `CTRL_ATTR_FAMILY_ID` (linux/genetlink.h, enum 1): u16.
const CTRL_ATTR_FAMILY_ID: u16 = 1;
/// `CTRL_ATTR_FAMILY_NAME` (linux/genetlink.h, enum 2): NUL-terminated string.
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
/// `NL80211_GENL_NAME` (linux/nl80211.h), with the NUL the kernel's string policy expects.
const NL80211_GENL_NAME: &[u8] = b"nl80211\0";
/// `NL80211_CMD_GET_INTERFACE` (linux/nl80211.h, enum 5).
const NL80211_CMD_GET_INTERFACE: u8 = 5;
/// `NL80211_CMD_NEW_INTERFACE` (linux/nl80211.h, enum 7): the answer to GET_INTERFACE.
const NL80211_CMD_NEW_INTERFACE: u8 = 7;
/// `NL80211_ATTR_IFINDEX` (linux/nl80211.h, enum 3): u32.
const NL80211_ATTR_IFINDEX: u16 = 3;
/// `NL80211_ATTR_SSID` (linux/nl80211.h, enum 52): "binary attribute, 0..32 octets".
const NL80211_ATTR_SSID: u16 = 52;
/// `IEEE80211_MAX_SSID_LEN` (linux/ieee80211.h), which the protocol's SSID field also keeps.
pub(crate) const MAX_SSID_LEN: usize = 32;

/// A generic netlink request: the header with `cmd` (version 0 is what both families accept),
/// then `attr` of `kind`.
fn request(family: u16, seq: u32, cmd: u8, kind: u16, attr: &[u8]) -> Vec<u8> {
    MessageBuilder::new(family, NLM_F_REQUEST, seq)
        .raw(&[cmd, 0, 0, 0])
        .attr(kind, attr)
        .finish()
}

/// `CTRL_CMD_GETFAMILY` for "nl80211"; the reply has `nlmsg_type` [`GENL_ID_CTRL`].
pub(crate) fn family_request(seq: u32) -> Vec<u8> {
    request(
        GENL_ID_CTRL,
        seq,
        CTRL_CMD_GETFAMILY,
        CTRL_ATTR_FAMILY_NAME,
        NL80211_GENL_NAME,
    )
}

/// `NL80211_CMD_GET_INTERFACE` for `if_index`; the reply has `nlmsg_type` `family`.
pub(crate) fn interface_request(family: u16, seq: u32, if_index: u32) -> Vec<u8> {
    request(
        family,
        seq,
        NL80211_CMD_GET_INTERFACE,
        NL80211_ATTR_IFINDEX,
        &if_index.to_ne_bytes(),
    )
}

/// The attributes after a `genlmsghdr` whose command is `cmd`, when they fill the rest of the
/// payload: a walk that stopped at a truncated or garbled attribute (`netlink::attrs` stops
/// there) refuses the whole reply rather than read it as one without the later attributes.
fn body(payload: &[u8], cmd: u8) -> Option<&[u8]> {
    let (&got, _) = payload.split_first()?;
    (got == cmd).then_some(())?;
    let rest = payload.get(GENL_HDRLEN..)?;
    // Each attribute takes its length padded to 4 (the last one's padding may be cut off).
    let walked: usize = attrs(rest).map(|a| (4 + a.data.len() + 3) & !3).sum();
    (walked >= rest.len()).then_some(rest)
}

/// The nl80211 family id from a `CTRL_CMD_NEWFAMILY` payload; None when it is not the answer
/// about "nl80211" or is malformed (an id below the controller's own is not a family's).
pub(crate) fn parse_family(payload: &[u8]) -> Option<u16> {
    let rest = body(payload, CTRL_CMD_NEWFAMILY)?;
    let name = find_attr(rest, CTRL_ATTR_FAMILY_NAME)?;
    // The name as the kernel writes it, NUL included; a shorter or longer one is another family.
    (name.data == NL80211_GENL_NAME).then_some(())?;
    let id = find_attr(rest, CTRL_ATTR_FAMILY_ID)?.data;
    let id = u16::from_ne_bytes(id.try_into().ok()?);
    (id > GENL_ID_CTRL).then_some(id)
}

/// The SSID in an `NL80211_CMD_NEW_INTERFACE` payload about `if_index`: empty when it has none
/// (not connected); None when the payload is malformed, about another interface, or its SSID
/// is longer than 802.11 allows.
pub(crate) fn parse_interface_ssid(payload: &[u8], if_index: u32) -> Option<Vec<u8>> {
    let rest = body(payload, NL80211_CMD_NEW_INTERFACE)?;
    let mut index = None;
    let mut ssid: &[u8] = &[];
    for attr in attrs(rest) {
        match attr.kind {
            NL80211_ATTR_IFINDEX => index = attr.ne_u32(),
            NL80211_ATTR_SSID => ssid = attr.data,
            _ => {}
        }
    }
    (index == Some(if_index) && ssid.len() <= MAX_SSID_LEN).then(|| ssid.to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::netlink::{messages, NLMSG_HDRLEN};

    /// A reply payload: `genlmsghdr` with `cmd`, then the attributes (built as the kernel
    /// lays them out: length, type, data padded to 4).
    fn payload(cmd: u8, attributes: &[(u16, &[u8])]) -> Vec<u8> {
        let mut builder = MessageBuilder::new(0, 0, 0).raw(&[cmd, 1, 0, 0]);
        for (kind, data) in attributes {
            builder = builder.attr(*kind, data);
        }
        builder.finish()[NLMSG_HDRLEN..].to_vec()
    }

    /// The controller's answer about "nl80211", as the kernel sends it (with more attributes
    /// than we read: version, header size, max attribute). The numbers are linux/genetlink.h's,
    /// written out: CTRL_CMD_NEWFAMILY 1, CTRL_ATTR_FAMILY_NAME 2, CTRL_ATTR_FAMILY_ID 1.
    fn family_reply(id: u16) -> Vec<u8> {
        payload(
            1,
            &[
                (2, b"nl80211\0"),
                (1, &id.to_ne_bytes()),
                (3, &1u32.to_ne_bytes()),
                (4, &0u32.to_ne_bytes()),
                (5, &330u32.to_ne_bytes()),
            ],
        )
    }

    /// An interface reply for `if_index`: wiphy, index, name, type station, then the SSID if
    /// any. The numbers are linux/nl80211.h's, written out: NL80211_CMD_NEW_INTERFACE 7,
    /// NL80211_ATTR_WIPHY 1, _IFINDEX 3, _IFNAME 4, _IFTYPE 5 (NL80211_IFTYPE_STATION 2),
    /// _SSID 52.
    fn interface_reply(if_index: u32, ssid: Option<&[u8]>) -> Vec<u8> {
        let index = if_index.to_ne_bytes();
        let mut attributes: Vec<(u16, &[u8])> = vec![
            (1, &[0, 0, 0, 0]),
            (3, &index),
            (4, b"wlan0\0"),
            (5, &[2, 0, 0, 0]),
        ];
        if let Some(ssid) = ssid {
            attributes.push((52, ssid));
        }
        payload(7, &attributes)
    }

    #[test]
    fn the_requests_carry_the_uapi_headers_numbers() {
        // Literal values from linux/genetlink.h and linux/nl80211.h, not our constants.
        let family = family_request(9);
        let message = messages(&family).next().unwrap();
        assert_eq!((message.kind, message.seq), (16, 9), "GENL_ID_CTRL");
        assert_eq!(&family[6..8], &1u16.to_ne_bytes(), "NLM_F_REQUEST");
        assert_eq!(&message.payload[..4], &[3, 0, 0, 0], "CTRL_CMD_GETFAMILY");
        let name = find_attr(&message.payload[4..], 2).unwrap();
        assert_eq!(name.data, b"nl80211\0", "CTRL_ATTR_FAMILY_NAME");

        let interface = interface_request(0x1c, 10, 3);
        let message = messages(&interface).next().unwrap();
        assert_eq!((message.kind, message.seq), (0x1c, 10));
        assert_eq!(
            &message.payload[..4],
            &[5, 0, 0, 0],
            "NL80211_CMD_GET_INTERFACE"
        );
        let index = find_attr(&message.payload[4..], 3).unwrap();
        assert_eq!(index.ne_u32(), Some(3), "NL80211_ATTR_IFINDEX");
        assert_eq!(message.payload.len(), 12, "nothing else");
    }

    #[test]
    fn the_family_reply_gives_nl80211s_id() {
        assert_eq!(parse_family(&family_reply(0x1c)), Some(0x1c));
        // Another family's answer, or another command: not nl80211's id.
        let other = payload(
            CTRL_CMD_NEWFAMILY,
            &[
                (CTRL_ATTR_FAMILY_NAME, b"nl802\0"),
                (CTRL_ATTR_FAMILY_ID, &0x1cu16.to_ne_bytes()),
            ],
        );
        assert_eq!(parse_family(&other), None);
        let mut wrong_cmd = family_reply(0x1c);
        wrong_cmd[0] = CTRL_CMD_GETFAMILY;
        assert_eq!(parse_family(&wrong_cmd), None);
        // No id, an id of the wrong size, the controller's own id.
        let no_id = payload(CTRL_CMD_NEWFAMILY, &[(CTRL_ATTR_FAMILY_NAME, b"nl80211\0")]);
        assert_eq!(parse_family(&no_id), None);
        let wide_id = payload(
            CTRL_CMD_NEWFAMILY,
            &[
                (CTRL_ATTR_FAMILY_NAME, b"nl80211\0"),
                (CTRL_ATTR_FAMILY_ID, &0x1cu32.to_ne_bytes()),
            ],
        );
        assert_eq!(parse_family(&wide_id), None);
        assert_eq!(parse_family(&family_reply(GENL_ID_CTRL)), None);
    }

    #[test]
    fn an_interface_reply_gives_its_ssid_or_none() {
        let cafe = [b'C', b'a', b'f', 0xE9];
        assert_eq!(
            parse_interface_ssid(&interface_reply(3, Some(&cafe)), 3),
            Some(cafe.to_vec())
        );
        // Not connected: no SSID attribute.
        assert_eq!(
            parse_interface_ssid(&interface_reply(3, None), 3),
            Some(vec![])
        );
        // The longest SSID is kept whole; a longer one is not an SSID.
        let longest = [7u8; MAX_SSID_LEN];
        assert_eq!(
            parse_interface_ssid(&interface_reply(3, Some(&longest)), 3),
            Some(longest.to_vec())
        );
        let too_long = [7u8; MAX_SSID_LEN + 1];
        assert_eq!(
            parse_interface_ssid(&interface_reply(3, Some(&too_long)), 3),
            None
        );
        // About another interface, or not the interface answer.
        assert_eq!(
            parse_interface_ssid(&interface_reply(4, Some(&cafe)), 3),
            None
        );
        let mut wrong_cmd = interface_reply(3, Some(&cafe));
        wrong_cmd[0] = NL80211_CMD_GET_INTERFACE;
        assert_eq!(parse_interface_ssid(&wrong_cmd, 3), None);
    }

    #[test]
    fn truncated_or_garbage_replies_give_none_without_panicking() {
        // Header 0..4, wiphy 4..12, index 12..20, name 20..30 (padded to 32), type 32..40,
        // SSID 40..48.
        let good = interface_reply(3, Some(b"home"));
        assert_eq!(good.len(), 48);
        for cut in 0..good.len() {
            // Cut at the end of an attribute after the index (its padding may be cut too): a
            // whole reply without an SSID.
            let expected = [20, 30, 31, 32, 40].contains(&cut).then(Vec::new);
            assert_eq!(parse_interface_ssid(&good[..cut], 3), expected, "cut {cut}");
        }
        // Header 0..4, name 4..16, id 16..22 (padded to 24), then three u32 attributes.
        let family = family_reply(0x1c);
        for cut in 0..family.len() {
            let expected = [22, 23, 24, 32, 40].contains(&cut).then_some(0x1c);
            assert_eq!(parse_family(&family[..cut]), expected, "cut {cut}");
        }
        // An attribute claiming more bytes than there are, or fewer than its own header.
        let mut lying = interface_reply(3, Some(b"home"));
        for claimed in [200u16, 9, 2, 0] {
            lying[40..42].copy_from_slice(&claimed.to_ne_bytes());
            assert_eq!(parse_interface_ssid(&lying, 3), None, "length {claimed}");
        }
        // Random bytes after a plausible header.
        let mut state = 0x9e37_79b9u32;
        for _ in 0..20_000 {
            let mut bytes: Vec<u8> = (0..(state % 80) as usize)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            if let Some(first) = bytes.first_mut() {
                *first = if state & 1 == 0 {
                    NL80211_CMD_NEW_INTERFACE
                } else {
                    CTRL_CMD_NEWFAMILY
                };
            }
            if let Some(ssid) = parse_interface_ssid(&bytes, 3) {
                assert!(ssid.len() <= MAX_SSID_LEN);
            }
            let _ = parse_family(&bytes);
        }
    }
}
