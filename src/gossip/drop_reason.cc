#include "gossip/drop_reason.h"

#include <array>

namespace fabnet::gossip {

namespace {

struct Row {
  DropReason reason;
  std::string_view name;
  bool rejection;
};

// In enum order: drop_reason_name indexes it.
constexpr std::array kTable{
    Row{DropReason::kIllegalTag, "illegal_tag", true},
    Row{DropReason::kUnsupported, "unsupported", false},
    Row{DropReason::kChannelNotJoined, "channel_not_joined", false},
    Row{DropReason::kMalformed, "malformed", true},
    Row{DropReason::kMalformedSnapshotElement, "malformed_snapshot_element", true},
    Row{DropReason::kUnknownIdentity, "unknown_identity", true},
    Row{DropReason::kBadSignature, "bad_signature", true},
    Row{DropReason::kBadMac, "bad_mac", true},
    Row{DropReason::kSenderNotInChannel, "sender_not_in_channel", true},
    Row{DropReason::kSenderNotInView, "sender_not_in_view", false},
    Row{DropReason::kSenderOtherOrg, "sender_other_org", true},
    Row{DropReason::kCreatorOtherOrg, "creator_other_org", true},
    Row{DropReason::kOwnerNotInChannel, "owner_not_in_channel", true},
    Row{DropReason::kAboutSelf, "about_self", false},
    Row{DropReason::kStale, "stale", false},
    Row{DropReason::kOversizeList, "oversize_list", true},
    Row{DropReason::kSenderMismatch, "sender_mismatch", true},
    Row{DropReason::kBootstrapOtherOrg, "bootstrap_other_org", true},
    Row{DropReason::kNotDisclosable, "not_disclosable", true},
    Row{DropReason::kBlockNoLedger, "block_no_ledger", false},
    Row{DropReason::kBlockTooOld, "block_too_old", false},
    Row{DropReason::kBlockDuplicate, "block_duplicate", false},
    Row{DropReason::kBlockTooFarAhead, "block_too_far_ahead", false},
    Row{DropReason::kBlockRefused, "block_refused", true},
    Row{DropReason::kPullNotEligible, "pull_not_eligible", false},
    Row{DropReason::kPullUnknownNonce, "pull_unknown_nonce", false},
    Row{DropReason::kPullRejectedUpdate, "pull_rejected_update", true},
    Row{DropReason::kStateBadRange, "state_bad_range", true},
    Row{DropReason::kStateNotReader, "state_not_reader", true},
    Row{DropReason::kStateUnrequested, "state_unrequested", false},
    Row{DropReason::kQueueFull, "queue_full", false},
    Row{DropReason::kDialFailed, "dial_failed", false},
    Row{DropReason::kConnectionClosed, "connection_closed", false},
    Row{DropReason::kNoEndpoint, "no_endpoint", false},
    Row{DropReason::kToSelf, "to_self", false},
    Row{DropReason::kStopped, "stopped", false},
    Row{DropReason::kDialRefused, "dial_refused", false},
    Row{DropReason::kMalformedPayload, "malformed_payload", true},
    Row{DropReason::kHandshakeWrongType, "handshake_wrong_type", true},
    Row{DropReason::kHandshakeNoPkiId, "handshake_no_pki_id", true},
    Row{DropReason::kHandshakeIdentityRejected, "handshake_identity_rejected", true},
    Row{DropReason::kHandshakePkiIdMismatch, "handshake_pki_id_mismatch", true},
    Row{DropReason::kHandshakeBadSignature, "handshake_bad_signature", true},
    Row{DropReason::kHandshakeTimeout, "handshake_timeout", false},
    Row{DropReason::kHandshakeCheckTimeout, "handshake_check_timeout", false},
    Row{DropReason::kHandshakeStreamClosed, "handshake_stream_closed", false},
    Row{DropReason::kHandshakeWrongPkiId, "handshake_wrong_pki_id", true},
    Row{DropReason::kHandshakeStopped, "handshake_stopped", false},
    // A flood is hostile, but an honest peer can meet these limits under load too.
    Row{DropReason::kHandshakeRateLimited, "handshake_rate_limited", false},
    Row{DropReason::kHandshakeTooManyStreams, "handshake_too_many_streams", false},
    Row{DropReason::kHandshakeNoTlsCertificate, "handshake_no_tls_certificate", true},
    Row{DropReason::kHandshakeTlsCertHashMismatch, "handshake_tls_cert_hash_mismatch", true},
};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<std::size_t>(kTable[i].reason) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kTable rows must follow the enum's order");
static_assert(kTable.back().reason == DropReason::kHandshakeTlsCertHashMismatch,
              "a reason added to the enum needs its row in kTable");

constexpr std::array<DropReason, kTable.size()> all_reasons() {
  std::array<DropReason, kTable.size()> out{};
  for (std::size_t i = 0; i < kTable.size(); ++i) out[i] = kTable[i].reason;
  return out;
}
constexpr auto kAll = all_reasons();

const Row& row(DropReason reason) {
  return kTable[static_cast<std::size_t>(reason)];
}

}  // namespace

std::string_view drop_reason_name(DropReason reason) {
  return row(reason).name;
}

std::span<const DropReason> all_drop_reasons() {
  return kAll;
}

std::optional<DropReason> drop_reason_from_name(std::string_view name) {
  for (const Row& r : kTable)
    if (r.name == name) return r.reason;
  return std::nullopt;
}

bool is_rejection(DropReason reason) {
  return row(reason).rejection;
}

}  // namespace fabnet::gossip
