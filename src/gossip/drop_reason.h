#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace fabnet::gossip {

// Why an inbound message, an outbound message or a connection was refused. Each
// name is the `reason` label value of gossip_comm_messages_dropped; the table in
// docs/operations.md lists exactly these (a test compares them).
enum class DropReason : std::uint8_t {
  // Inbound gossip, refused by the node (protocol.md §5.2, §7, §8).
  kIllegalTag,
  kUnsupported,
  kChannelNotJoined,
  kMalformed,
  kMalformedSnapshotElement,
  kUnknownIdentity,
  kBadSignature,
  kBadMac,
  kSenderNotInChannel,
  kSenderNotInView,
  kSenderOtherOrg,
  kCreatorOtherOrg,
  kOwnerNotInChannel,
  kAboutSelf,
  kStale,
  kOversizeList,
  // Inbound membership, refused by discovery (protocol.md §6).
  kSenderMismatch,
  kBootstrapOtherOrg,
  kNotDisclosable,
  // Blocks among the peers of an org (protocol.md §10.2–§10.4).
  kBlockNoLedger,
  kBlockTooOld,
  kBlockDuplicate,
  kBlockTooFarAhead,
  kBlockRefused,
  kPullNotEligible,
  kPullUnknownNonce,
  kPullRejectedUpdate,
  kStateBadRange,
  kStateNotReader,
  kStateUnrequested,
  // Outbound, not sent by comm.
  kQueueFull,
  kDialFailed,
  kConnectionClosed,
  kNoEndpoint,
  kToSelf,
  kStopped,
  kDialRefused,  // max_outbound_streams dial threads already
  // Frames comm could not parse.
  kMalformedPayload,
  // Refused handshakes (protocol.md §4.2).
  kHandshakeWrongType,
  kHandshakeNoPkiId,
  kHandshakeIdentityRejected,
  kHandshakePkiIdMismatch,
  kHandshakeBadSignature,
  kHandshakeTimeout,
  kHandshakeCheckTimeout,
  kHandshakeStreamClosed,
  kHandshakeWrongPkiId,
  kHandshakeStopped,
  // Refused by comm's resource limits (docs/operations.md, "Resource limits").
  kHandshakeRateLimited,
  kHandshakeTooManyStreams,
  // TLS binding of the handshake (protocol.md §3.4, §4.2).
  kHandshakeNoTlsCertificate,
  kHandshakeTlsCertHashMismatch,
};

// The metric label value, e.g. "bad_signature".
std::string_view drop_reason_name(DropReason reason);
// Every reason, in declaration order.
std::span<const DropReason> all_drop_reasons();
std::optional<DropReason> drop_reason_from_name(std::string_view name);
// True for input a correct peer never sends (forgery, another org's message, a
// bad MAC, a malformed or oversize message): such drops are logged at warning,
// rate-limited per peer and reason. Staleness, joins in progress and full queues
// are normal and only counted.
bool is_rejection(DropReason reason);

}  // namespace fabnet::gossip
