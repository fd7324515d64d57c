#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gossip/crypto.h"
#include "gossip/message.pb.h"
#include "gossip/peer_id.h"

namespace fabnet::gossip {

using gossip::PeerId;

struct HeldMembershipResponse;

// A gossip message as it travels: the parsed content together with the exact
// bytes that were signed, so signatures are checked over what arrived, never over
// a re-serialisation (protocol.md §2.5). Immutable once built; one instance is
// shared by every receiver in the simulator.
struct SignedGossip {
  ::gossip::GossipMessage message;
  std::string payload;    // marshaled `message` (Envelope.payload)
  std::string signature;  // Envelope.signature; empty for unsigned types
  // Envelope.secret_envelope (alive messages only): a marshaled Secret carrying the
  // internal endpoint, and its signature. Empty when absent or stripped for
  // foreign orgs (protocol.md §6.1).
  std::string secret_payload;
  std::string secret_signature;
  // Set on membership responses built in this process: the nested alive messages
  // as the responder holds them, while `message.mem_res()` lists none. Receivers
  // here then share those instances instead of each holding parsed copies of
  // them (with hundreds of peers, the copies of responses in flight dominate
  // memory); `payload` still carries every envelope, as on the wire.
  std::shared_ptr<const HeldMembershipResponse> held_mem_res;
  // Likewise for StateInfo snapshots built here: their elements as the sender
  // holds them, while `message.state_snapshot()` lists none.
  std::shared_ptr<const std::vector<std::shared_ptr<const SignedGossip>>> held_snapshot_elements;

  bool has_secret() const { return !secret_payload.empty(); }
  // Bytes on the wire for accounting: the Envelope's fields with their keys and lengths.
  std::size_t wire_size() const {
    std::size_t size = payload.size() + signature.size() + 6;
    if (has_secret()) size += secret_payload.size() + secret_signature.size() + 9;
    return size;
  }
};
using MessagePtr = std::shared_ptr<const SignedGossip>;

// MembershipResponse.alive and .dead, in order.
struct HeldMembershipResponse {
  std::vector<MessagePtr> alive;
  std::vector<MessagePtr> dead;
};

// Who is on the other end of a connection, as the handshake established it
// (protocol.md §4.2): the authenticated PKI-ID and serialized identity.
struct ConnectionInfo {
  PeerId pki_id;
  std::string identity;  // serialized msp.SerializedIdentity
  std::string endpoint;
};

// `message`'s bytes, serialised deterministically (field-number order, as Go's
// marshaller emits).
std::string marshal(const ::gossip::GossipMessage& message);

// marshal()s `message` and, with a signer, signs those exact bytes.
MessagePtr seal(::gossip::GossipMessage message, const CryptoService* signer);

// Short name of a message's content for counters and reports ("alive_msg", "leadership_msg", ...).
std::string_view content_name(const ::gossip::GossipMessage& message);

}  // namespace fabnet::gossip
