#include "gossip/message.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace fabnet::gossip {

// Exactly as long as the message: StringOutputStream would grow the buffer by
// doubling, leaving up to half of it unused for as long as the message lives.
std::string marshal(const ::gossip::GossipMessage& message) {
  std::string bytes(message.ByteSizeLong(), '\0');
  google::protobuf::io::ArrayOutputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&coded);
  return bytes;
}

MessagePtr seal(::gossip::GossipMessage message, const CryptoService* signer) {
  auto sealed = std::make_shared<SignedGossip>();
  sealed->payload = marshal(message);
  if (signer != nullptr) sealed->signature = signer->sign(sealed->payload);
  sealed->message = std::move(message);
  return sealed;
}

std::string_view content_name(const ::gossip::GossipMessage& message) {
  using M = ::gossip::GossipMessage;
  switch (message.content_case()) {
    case M::kAliveMsg:
      return "alive_msg";
    case M::kMemReq:
      return "mem_req";
    case M::kMemRes:
      return "mem_res";
    case M::kDataMsg:
      return "data_msg";
    case M::kHello:
      return "hello";
    case M::kDataDig:
      return "data_dig";
    case M::kDataReq:
      return "data_req";
    case M::kDataUpdate:
      return "data_update";
    case M::kEmpty:
      return "empty";
    case M::kConn:
      return "conn";
    case M::kStateInfo:
      return "state_info";
    case M::kStateSnapshot:
      return "state_snapshot";
    case M::kStateInfoPullReq:
      return "state_info_pull_req";
    case M::kStateRequest:
      return "state_request";
    case M::kStateResponse:
      return "state_response";
    case M::kLeadershipMsg:
      return "leadership_msg";
    case M::kPeerIdentity:
      return "peer_identity";
    case M::kAck:
      return "ack";
    case M::kPrivateReq:
      return "private_req";
    case M::kPrivateRes:
      return "private_res";
    case M::kPrivateData:
      return "private_data";
    case M::CONTENT_NOT_SET:
      return "none";
  }
  return "unknown";
}

}  // namespace fabnet::gossip
