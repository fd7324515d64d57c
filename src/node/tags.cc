#include "node/tags.h"

namespace fabnet::node {

namespace {

using M = ::gossip::GossipMessage;

// Pull messages carry their own type: block pull is channel-and-org, identity pull empty.
bool pull_tag_legal(::gossip::PullMsgType type, M::Tag tag) {
  switch (type) {
    case ::gossip::BLOCK_MSG:
      return tag == M::CHAN_AND_ORG;
    case ::gossip::IDENTITY_MSG:
      return tag == M::EMPTY;
    default:
      return false;
  }
}

}  // namespace

bool is_channel_restricted(M::Tag tag) {
  return tag == M::CHAN_AND_ORG || tag == M::CHAN_ONLY || tag == M::CHAN_OR_ORG;
}

bool is_tag_legal(const M& m) {
  switch (m.content_case()) {
    case M::kAck:
    case M::kConn:
    case M::kEmpty:
    case M::kPrivateReq:
    case M::kPrivateRes:
    case M::kPrivateData:
      return true;
    default:
      break;
  }
  const M::Tag tag = m.tag();
  if (tag == M::UNDEFINED) return false;
  switch (m.content_case()) {
    case M::kDataMsg:
    case M::kLeadershipMsg:
      return tag == M::CHAN_AND_ORG;
    case M::kAliveMsg:
    case M::kMemReq:
    case M::kMemRes:
      return tag == M::EMPTY;
    case M::kPeerIdentity:
      return tag == M::ORG_ONLY;
    case M::kHello:
      return pull_tag_legal(m.hello().msg_type(), tag);
    case M::kDataDig:
      return pull_tag_legal(m.data_dig().msg_type(), tag);
    case M::kDataReq:
      return pull_tag_legal(m.data_req().msg_type(), tag);
    case M::kDataUpdate:
      return pull_tag_legal(m.data_update().msg_type(), tag);
    case M::kStateInfo:
    case M::kStateInfoPullReq:
    case M::kStateSnapshot:
    case M::kStateRequest:
    case M::kStateResponse:
      return tag == M::CHAN_OR_ORG;
    default:
      return false;
  }
}

}  // namespace fabnet::node
