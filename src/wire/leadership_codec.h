#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "election/message.h"
#include "gossip/message.pb.h"

namespace fabnet::wire {

// GossipMessage{nonce 0, channel, tag CHAN_AND_ORG, leadership_msg} (election.md §6).
::gossip::GossipMessage to_gossip_message(const election::LeadershipMessage& message,
                                          std::string_view channel);

// The leadership content of a GossipMessage, or nullopt when it carries none or has
// an empty pki_id (protocol.md §9.4 rule 3).
std::optional<election::LeadershipMessage> leadership_from(const ::gossip::GossipMessage& message);

// Deterministic serialisation in field-number order, as Go's marshaller emits.
std::string serialize(const ::gossip::GossipMessage& message);

}  // namespace fabnet::wire
