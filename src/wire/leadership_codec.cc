#include "wire/leadership_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace fabnet::wire {

::gossip::GossipMessage to_gossip_message(const election::LeadershipMessage& message,
                                          std::string_view channel) {
  ::gossip::GossipMessage out;
  out.set_nonce(0);
  out.set_channel(std::string(channel));
  out.set_tag(::gossip::GossipMessage::CHAN_AND_ORG);
  ::gossip::LeadershipMessage* leadership = out.mutable_leadership_msg();
  leadership->set_pki_id(message.pki_id);
  leadership->mutable_timestamp()->set_inc_num(message.timestamp.inc_num);
  leadership->mutable_timestamp()->set_seq_num(message.timestamp.seq_num);
  leadership->set_is_declaration(message.is_declaration);
  return out;
}

std::optional<election::LeadershipMessage> leadership_from(const ::gossip::GossipMessage& message) {
  if (!message.has_leadership_msg()) return std::nullopt;
  const ::gossip::LeadershipMessage& leadership = message.leadership_msg();
  if (leadership.pki_id().empty()) return std::nullopt;
  return election::LeadershipMessage{
      leadership.pki_id(),
      {leadership.timestamp().inc_num(), leadership.timestamp().seq_num()},
      leadership.is_declaration()};
}

std::string serialize(const ::gossip::GossipMessage& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

}  // namespace fabnet::wire
