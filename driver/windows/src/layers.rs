//! The filtering layers ZenithFence registers at: their `FWPM_LAYER_*` GUIDs, the
//! `FWPS_FIELD_*` indices of the values each classify reads, and the driver's own objects (our
//! sublayer, one callout and one filter per layer, all with our own GUIDs).
//!
//! Layer GUIDs are the `DEFINE_GUID` values of fwpmu.h (cross-checked against the Windows SDK
//! metadata and windows-sys). Field indices are the positions in the `FWPS_FIELDS_<LAYER>`
//! enumerations of fwpsk.h, as listed on learn.microsoft.com ("FWPS_FIELDS_ALE_AUTH_CONNECT_V4
//! enumeration" and siblings). The V6 enumerations list the same members in the same order.

use crate::bindings::{action, FWP_ACTION_TYPE, GUID};

/// `FWPM_LAYER_*` GUIDs (fwpmu.h).
pub mod layer_guid {
    use crate::bindings::GUID;
    /// FWPM_LAYER_ALE_AUTH_CONNECT_V4.
    pub const ALE_AUTH_CONNECT_V4: GUID = GUID::from_u128(0xc38d57d1_05a7_4c33_904f_7fbceee60e82);
    /// FWPM_LAYER_ALE_AUTH_CONNECT_V6.
    pub const ALE_AUTH_CONNECT_V6: GUID = GUID::from_u128(0x4a72393b_319f_44bc_84c3_ba54dcb3b6b4);
    /// FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4.
    pub const ALE_AUTH_RECV_ACCEPT_V4: GUID =
        GUID::from_u128(0xe1cd9fe7_f4b5_4273_96c0_592e487b8650);
    /// FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6.
    pub const ALE_AUTH_RECV_ACCEPT_V6: GUID =
        GUID::from_u128(0xa3b42c97_9f04_4672_b87e_cee9c483257f);
    /// FWPM_LAYER_ALE_ENDPOINT_CLOSURE_V4.
    pub const ALE_ENDPOINT_CLOSURE_V4: GUID =
        GUID::from_u128(0xb4766427_e2a2_467a_bd7e_dbcd1bd85a09);
    /// FWPM_LAYER_ALE_ENDPOINT_CLOSURE_V6.
    pub const ALE_ENDPOINT_CLOSURE_V6: GUID =
        GUID::from_u128(0xbb536ccd_4755_4ba9_9ff7_f9edf8699c7b);
    /// FWPM_LAYER_ALE_RESOURCE_ASSIGNMENT_V4.
    pub const ALE_RESOURCE_ASSIGNMENT_V4: GUID =
        GUID::from_u128(0x1247d66d_0b60_4a15_8d44_7155d0f53a0c);
    /// FWPM_LAYER_ALE_RESOURCE_ASSIGNMENT_V6.
    pub const ALE_RESOURCE_ASSIGNMENT_V6: GUID =
        GUID::from_u128(0x55a650e1_5f0a_4eca_a653_88f53b26aa8c);
    /// FWPM_LAYER_ALE_RESOURCE_RELEASE_V4.
    pub const ALE_RESOURCE_RELEASE_V4: GUID =
        GUID::from_u128(0x74365cce_ccb0_401a_bfc1_b89934ad7e15);
    /// FWPM_LAYER_ALE_RESOURCE_RELEASE_V6.
    pub const ALE_RESOURCE_RELEASE_V6: GUID =
        GUID::from_u128(0xf4e5ce80_edcc_4e13_8a2f_b91454bb057b);
    /// FWPM_LAYER_STREAM_V4.
    pub const STREAM_V4: GUID = GUID::from_u128(0x3b89653c_c170_49e4_b1cd_e0eeeee19a3e);
    /// FWPM_LAYER_STREAM_V6.
    pub const STREAM_V6: GUID = GUID::from_u128(0x47c9137a_7ec4_46b3_b6e4_48e926b1eda4);
    /// FWPM_LAYER_DATAGRAM_DATA_V4.
    pub const DATAGRAM_DATA_V4: GUID = GUID::from_u128(0x3d08bf4e_45f6_4930_a922_417098e20027);
    /// FWPM_LAYER_DATAGRAM_DATA_V6.
    pub const DATAGRAM_DATA_V6: GUID = GUID::from_u128(0xfa45fe2f_3cba_4427_87fc_57b9a4b10d00);
    /// FWPM_LAYER_INBOUND_IPPACKET_V4.
    pub const INBOUND_IPPACKET_V4: GUID = GUID::from_u128(0xc86fd1bf_21cd_497e_a0bb_17425c885c58);
    /// FWPM_LAYER_INBOUND_IPPACKET_V6.
    pub const INBOUND_IPPACKET_V6: GUID = GUID::from_u128(0xf52032cb_991c_46e7_971d_2601459a91ca);
    /// FWPM_LAYER_OUTBOUND_IPPACKET_V4.
    pub const OUTBOUND_IPPACKET_V4: GUID = GUID::from_u128(0x1e5c9fae_8a84_4135_a331_950b54229ecd);
    /// FWPM_LAYER_OUTBOUND_IPPACKET_V6.
    pub const OUTBOUND_IPPACKET_V6: GUID = GUID::from_u128(0xa3b3ab6b_3564_488c_9117_f34e82142763);
}

/// `FWPS_FIELD_*` indices (fwpsk.h enumerations; V4 and V6 share them).
pub mod field {
    /// FWPS_FIELDS_ALE_AUTH_CONNECT_V4/V6.
    pub mod ale_auth_connect {
        /// ALE_APP_ID: the application's NT path, an `FWP_BYTE_BLOB` of UTF-16.
        pub const ALE_APP_ID: usize = 0;
        /// IP_LOCAL_ADDRESS.
        pub const IP_LOCAL_ADDRESS: usize = 2;
        /// IP_LOCAL_PORT.
        pub const IP_LOCAL_PORT: usize = 4;
        /// IP_PROTOCOL.
        pub const IP_PROTOCOL: usize = 5;
        /// IP_REMOTE_ADDRESS.
        pub const IP_REMOTE_ADDRESS: usize = 6;
        /// IP_REMOTE_PORT.
        pub const IP_REMOTE_PORT: usize = 7;
        /// FLAGS.
        pub const FLAGS: usize = 12;
        /// INTERFACE_INDEX.
        pub const INTERFACE_INDEX: usize = 15;
        /// SUB_INTERFACE_INDEX.
        pub const SUB_INTERFACE_INDEX: usize = 16;
    }
    /// FWPS_FIELDS_ALE_AUTH_RECV_ACCEPT_V4/V6.
    pub mod ale_auth_recv_accept {
        /// ALE_APP_ID: the application's NT path, an `FWP_BYTE_BLOB` of UTF-16.
        pub const ALE_APP_ID: usize = 0;
        /// IP_LOCAL_ADDRESS.
        pub const IP_LOCAL_ADDRESS: usize = 2;
        /// IP_LOCAL_PORT.
        pub const IP_LOCAL_PORT: usize = 4;
        /// IP_PROTOCOL.
        pub const IP_PROTOCOL: usize = 5;
        /// IP_REMOTE_ADDRESS.
        pub const IP_REMOTE_ADDRESS: usize = 6;
        /// IP_REMOTE_PORT.
        pub const IP_REMOTE_PORT: usize = 7;
        /// FLAGS.
        pub const FLAGS: usize = 11;
        /// INTERFACE_INDEX.
        pub const INTERFACE_INDEX: usize = 16;
        /// SUB_INTERFACE_INDEX.
        pub const SUB_INTERFACE_INDEX: usize = 17;
    }
    /// FWPS_FIELDS_ALE_ENDPOINT_CLOSURE_V4/V6.
    pub mod ale_endpoint_closure {
        /// IP_LOCAL_ADDRESS.
        pub const IP_LOCAL_ADDRESS: usize = 2;
        /// IP_LOCAL_PORT.
        pub const IP_LOCAL_PORT: usize = 4;
        /// IP_PROTOCOL.
        pub const IP_PROTOCOL: usize = 5;
        /// IP_REMOTE_ADDRESS.
        pub const IP_REMOTE_ADDRESS: usize = 6;
        /// IP_REMOTE_PORT.
        pub const IP_REMOTE_PORT: usize = 7;
    }
    /// FWPS_FIELDS_ALE_RESOURCE_ASSIGNMENT_V4/V6 and FWPS_FIELDS_ALE_RESOURCE_RELEASE_V4/V6
    /// (the first six members are the same in both).
    pub mod ale_resource {
        /// IP_LOCAL_ADDRESS.
        pub const IP_LOCAL_ADDRESS: usize = 2;
        /// IP_LOCAL_PORT.
        pub const IP_LOCAL_PORT: usize = 4;
        /// IP_PROTOCOL.
        pub const IP_PROTOCOL: usize = 5;
    }
    /// FWPS_FIELDS_STREAM_V4/V6.
    pub mod stream {
        /// IP_LOCAL_ADDRESS.
        pub const IP_LOCAL_ADDRESS: usize = 0;
        /// IP_REMOTE_ADDRESS.
        pub const IP_REMOTE_ADDRESS: usize = 2;
        /// IP_LOCAL_PORT.
        pub const IP_LOCAL_PORT: usize = 3;
        /// IP_REMOTE_PORT.
        pub const IP_REMOTE_PORT: usize = 4;
        /// DIRECTION.
        pub const DIRECTION: usize = 5;
    }
    /// FWPS_FIELDS_DATAGRAM_DATA_V4/V6.
    pub mod datagram_data {
        /// IP_PROTOCOL.
        pub const IP_PROTOCOL: usize = 0;
        /// IP_LOCAL_ADDRESS.
        pub const IP_LOCAL_ADDRESS: usize = 1;
        /// IP_REMOTE_ADDRESS.
        pub const IP_REMOTE_ADDRESS: usize = 2;
        /// IP_LOCAL_PORT.
        pub const IP_LOCAL_PORT: usize = 4;
        /// IP_REMOTE_PORT.
        pub const IP_REMOTE_PORT: usize = 5;
        /// DIRECTION.
        pub const DIRECTION: usize = 9;
    }
    /// FWPS_FIELDS_INBOUND_IPPACKET_V4/V6.
    pub mod inbound_ippacket {
        /// INTERFACE_INDEX.
        pub const INTERFACE_INDEX: usize = 4;
        /// SUB_INTERFACE_INDEX.
        pub const SUB_INTERFACE_INDEX: usize = 5;
    }
}

/// What a callout does, independent of the IP version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalloutKind {
    /// ALE_AUTH_CONNECT: outbound connections; pends the first authorization.
    AleConnect,
    /// ALE_AUTH_RECV_ACCEPT: inbound connections; pends the first authorization.
    AleRecvAccept,
    /// ALE_ENDPOINT_CLOSURE: a connection ended.
    AleEndpointClosure,
    /// ALE_RESOURCE_ASSIGNMENT: a port was bound (logged).
    AleResourceAssignment,
    /// ALE_RESOURCE_RELEASE: a port was released; its connections ended.
    AleResourceRelease,
    /// STREAM: TCP byte counting.
    Stream,
    /// DATAGRAM_DATA: UDP byte counting.
    DatagramData,
    /// INBOUND_IPPACKET: per-packet verdicts for arriving packets.
    InboundPacket,
    /// OUTBOUND_IPPACKET: per-packet verdicts for leaving packets.
    OutboundPacket,
}

impl CalloutKind {
    /// Whether the callout decides (terminating) or only observes (inspection, `CONTINUE`).
    pub fn filter_action(self) -> FWP_ACTION_TYPE {
        match self {
            CalloutKind::AleConnect
            | CalloutKind::AleRecvAccept
            | CalloutKind::InboundPacket
            | CalloutKind::OutboundPacket => action::CALLOUT_TERMINATING,
            CalloutKind::AleEndpointClosure
            | CalloutKind::AleResourceAssignment
            | CalloutKind::AleResourceRelease
            | CalloutKind::Stream
            | CalloutKind::DatagramData => action::CALLOUT_INSPECTION,
        }
    }
}

/// One callout the driver registers, with its filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalloutSpec {
    /// What it does.
    pub kind: CalloutKind,
    /// IPv6 (else IPv4).
    pub v6: bool,
    /// The layer it runs at.
    pub layer: GUID,
    /// Our callout GUID (`FWPS_CALLOUT0.calloutKey` and `FWPM_CALLOUT0.calloutKey`).
    pub key: GUID,
    /// Display name (ASCII; widened to UTF-16 at registration).
    pub name: &'static str,
}

/// Our sublayer: every filter lives here, with the highest sublayer weight.
pub const SUBLAYER_KEY: GUID = GUID::from_u128(0x2265326f_d74c_4e45_8385_257a1ddbc9ee);
/// The sublayer's weight (`UINT16`, the maximum, like upstream).
pub const SUBLAYER_WEIGHT: u16 = 0xFFFF;
/// The device class GUID passed to `IoCreateDeviceSecure` (a registry class key of this GUID
/// may override the default SDDL; none is installed).
pub const DEVICE_CLASS_GUID: GUID = GUID::from_u128(0x0ca753ab_8a7f_446a_83cf_526158893395);

/// Every callout, in registration order (also the index passed to the classify trampolines).
pub const CALLOUTS: [CalloutSpec; 18] = [
    spec(
        CalloutKind::AleConnect,
        false,
        layer_guid::ALE_AUTH_CONNECT_V4,
        0xdc4be4a5_c22d_42de_af90_098d89b6ac0e,
        "ZenithFence ALE connect v4",
    ),
    spec(
        CalloutKind::AleConnect,
        true,
        layer_guid::ALE_AUTH_CONNECT_V6,
        0x7464dcee_2c8c_415a_ab01_094c0aa14e5a,
        "ZenithFence ALE connect v6",
    ),
    spec(
        CalloutKind::AleRecvAccept,
        false,
        layer_guid::ALE_AUTH_RECV_ACCEPT_V4,
        0xe367a8ac_8b81_412e_a35e_b4685ce79d7a,
        "ZenithFence ALE recv-accept v4",
    ),
    spec(
        CalloutKind::AleRecvAccept,
        true,
        layer_guid::ALE_AUTH_RECV_ACCEPT_V6,
        0x9fea18ad_f880_4ab9_836e_c2900a79b075,
        "ZenithFence ALE recv-accept v6",
    ),
    spec(
        CalloutKind::AleEndpointClosure,
        false,
        layer_guid::ALE_ENDPOINT_CLOSURE_V4,
        0x456b53c8_50b7_404f_ab56_a54ef854eb2e,
        "ZenithFence endpoint closure v4",
    ),
    spec(
        CalloutKind::AleEndpointClosure,
        true,
        layer_guid::ALE_ENDPOINT_CLOSURE_V6,
        0x017c0c89_2b64_41d6_9c4b_a27e2308cf29,
        "ZenithFence endpoint closure v6",
    ),
    spec(
        CalloutKind::AleResourceAssignment,
        false,
        layer_guid::ALE_RESOURCE_ASSIGNMENT_V4,
        0x36d536b1_4748_4ff8_a498_027522a36bbd,
        "ZenithFence resource assignment v4",
    ),
    spec(
        CalloutKind::AleResourceAssignment,
        true,
        layer_guid::ALE_RESOURCE_ASSIGNMENT_V6,
        0x8c3a5e29_21ac_4c62_8f40_15600a824e59,
        "ZenithFence resource assignment v6",
    ),
    spec(
        CalloutKind::AleResourceRelease,
        false,
        layer_guid::ALE_RESOURCE_RELEASE_V4,
        0xb249074d_220f_4830_b7a4_5abd435f015b,
        "ZenithFence resource release v4",
    ),
    spec(
        CalloutKind::AleResourceRelease,
        true,
        layer_guid::ALE_RESOURCE_RELEASE_V6,
        0xd508190d_f422_4038_8ced_b3efab24c219,
        "ZenithFence resource release v6",
    ),
    spec(
        CalloutKind::Stream,
        false,
        layer_guid::STREAM_V4,
        0x4ef805f7_cd58_4b3a_bb24_9c1d079320cf,
        "ZenithFence stream v4",
    ),
    spec(
        CalloutKind::Stream,
        true,
        layer_guid::STREAM_V6,
        0x69c7f08f_e70e_4795_baa6_9f870b5711f8,
        "ZenithFence stream v6",
    ),
    spec(
        CalloutKind::DatagramData,
        false,
        layer_guid::DATAGRAM_DATA_V4,
        0xfd1b1364_d0d2_477a_93dc_9c2284cee459,
        "ZenithFence datagram v4",
    ),
    spec(
        CalloutKind::DatagramData,
        true,
        layer_guid::DATAGRAM_DATA_V6,
        0x8fd61b2b_dacd_4946_83ad_ad318c4c8969,
        "ZenithFence datagram v6",
    ),
    spec(
        CalloutKind::InboundPacket,
        false,
        layer_guid::INBOUND_IPPACKET_V4,
        0xde4e2424_28ff_441e_b6dd_3f657fef3725,
        "ZenithFence inbound packet v4",
    ),
    spec(
        CalloutKind::InboundPacket,
        true,
        layer_guid::INBOUND_IPPACKET_V6,
        0xa2ca62ae_cf4b_474a_bacd_798d711b590d,
        "ZenithFence inbound packet v6",
    ),
    spec(
        CalloutKind::OutboundPacket,
        false,
        layer_guid::OUTBOUND_IPPACKET_V4,
        0xe5321655_62cd_45be_a895_5a63fdc256b1,
        "ZenithFence outbound packet v4",
    ),
    spec(
        CalloutKind::OutboundPacket,
        true,
        layer_guid::OUTBOUND_IPPACKET_V6,
        0x51885739_79f4_4e85_b409_1b0adf290256,
        "ZenithFence outbound packet v6",
    ),
];

const fn spec(
    kind: CalloutKind,
    v6: bool,
    layer: GUID,
    key: u128,
    name: &'static str,
) -> CalloutSpec {
    CalloutSpec {
        kind,
        v6,
        layer,
        key: GUID::from_u128(key),
        name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_callout_has_its_own_guid_and_layer() {
        for (i, a) in CALLOUTS.iter().enumerate() {
            assert_ne!(a.key, SUBLAYER_KEY);
            for b in CALLOUTS.iter().skip(i + 1) {
                assert_ne!(a.key, b.key, "{} and {}", a.name, b.name);
                assert_ne!(a.layer, b.layer, "{} and {}", a.name, b.name);
            }
        }
        // One v4 and one v6 callout of every kind.
        for spec in CALLOUTS {
            let twins = CALLOUTS.iter().filter(|s| s.kind == spec.kind).count();
            assert_eq!(twins, 2, "{:?}", spec.kind);
        }
    }

    #[test]
    fn our_guids_are_not_upstreams() {
        // The Portmaster kext's sublayer and first callout (research report, section 4.1).
        let upstream_sublayer = GUID::from_u128(0x7dab1057_8e2b_40c4_9b85_693e381d7896);
        let upstream_connect = GUID::from_u128(0x58545073_f893_454c_bbea_a57bc964f46d);
        assert_ne!(SUBLAYER_KEY, upstream_sublayer);
        assert!(CALLOUTS.iter().all(|s| s.key != upstream_connect));
    }

    #[test]
    fn deciding_callouts_are_terminating() {
        assert_eq!(
            CalloutKind::AleConnect.filter_action(),
            action::CALLOUT_TERMINATING
        );
        assert_eq!(
            CalloutKind::Stream.filter_action(),
            action::CALLOUT_INSPECTION
        );
    }
}
