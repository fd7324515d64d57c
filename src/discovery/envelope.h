#pragma once

#include "gossip/message.pb.h"
#include "node/message.h"

namespace fabnet::discovery {

// Alive messages travel nested in membership requests and responses as Envelopes
// (protocol.md §6.3). These convert between that form and a MessagePtr, keeping
// the signed bytes as they are: nothing is re-serialised (protocol.md §2.5).

gossip::Envelope to_envelope(const node::SignedGossip& message);

// nullptr if the payload does not parse as a GossipMessage.
node::MessagePtr from_envelope(const gossip::Envelope& envelope);

// The same message without its SecretEnvelope: what foreign orgs may see of an
// alive message (protocol.md §6.1). Returns `message` itself when it has none.
node::MessagePtr without_secret(const node::MessagePtr& message);

}  // namespace fabnet::discovery
