#pragma once

#include <string_view>

#include "gossip/message.h"
#include "gossip/message.pb.h"

namespace fabnet::gossip {

// Alive messages travel nested in membership requests and responses as Envelopes
// (protocol.md §6.3). These convert between that form and a MessagePtr, keeping
// the signed bytes as they are: nothing is re-serialised (protocol.md §2.5).

::gossip::Envelope to_envelope(const gossip::SignedGossip& message);

// nullptr if the payload does not parse as a GossipMessage.
gossip::MessagePtr from_envelope(const ::gossip::Envelope& envelope);

// The same message without its SecretEnvelope: what foreign orgs may see of an
// alive message (protocol.md §6.1). Returns `message` itself when it has none.
gossip::MessagePtr without_secret(const gossip::MessagePtr& message);

// The message as received nested in another (membership responses, StateInfo
// snapshots, identity updates); nullptr if `payload` does not parse. Identical
// bytes yield one shared instance per process while anyone holds it: in the
// simulator every peer would otherwise keep its own copy of every peer's messages.
gossip::MessagePtr parse_shared(std::string_view payload, std::string_view signature,
                                std::string_view secret_payload = {},
                                std::string_view secret_signature = {});
// `message` without its SecretEnvelope, shared like parse_shared's results.
gossip::MessagePtr shared_without_secret(const gossip::SignedGossip& message);

}  // namespace fabnet::gossip
