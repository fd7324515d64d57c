#pragma once

#include "gossip/message.pb.h"

namespace fabnet::node {

// Fabric's tag legality (protocol.md §5.1): each content type travels with one
// tag; anything else is dropped. Acks, ConnEstablish, Empty and private-data
// messages are exempt.
bool is_tag_legal(const ::gossip::GossipMessage& message);

// Tags that restrict a message to a channel (CHAN_AND_ORG, CHAN_ONLY, CHAN_OR_ORG).
bool is_channel_restricted(::gossip::GossipMessage::Tag tag);

}  // namespace fabnet::node
