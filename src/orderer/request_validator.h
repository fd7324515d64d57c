#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/common.pb.h"
#include "config/network_config.h"
#include "crypto/msp.h"
#include "gossip/crypto.h"
#include "orderer/ab.pb.h"

namespace fabnet::orderer {

// Wall-clock time for the timestamp window (the scheduler's clock is monotonic).
using WallClock = std::function<std::chrono::system_clock::time_point()>;

// A verdict on a Broadcast envelope: SUCCESS means "may be ordered on `channel`".
struct BroadcastVerdict {
  common::Status status = common::SUCCESS;
  std::string info;
  std::string channel;  // set once the channel header parsed
  common::HeaderType type = common::MESSAGE;
};

// A verdict on a Deliver request: SUCCESS means seek_info holds the request.
struct DeliverVerdict {
  common::Status status = common::SUCCESS;
  std::string info;
  std::string channel;
  ::orderer::SeekInfo seek_info;
  // Who asked, and when their certificate stops being valid: a stream that outlives
  // it ends with FORBIDDEN (Fabric re-evaluates a Deliver session's access per block).
  std::string creator;
  std::chrono::system_clock::time_point identity_expires =
      std::chrono::system_clock::time_point::max();
};

// The stateless checks of Broadcast and Deliver (issue 9 §2, protocol.md §10.1):
// parse, header type, size, timestamp window, channel, and that the creator is a
// member of one of the channel's orgs (certificate chains to that org's CA, within
// validity) whose signature over the payload bytes verifies. Immutable after
// construction and thread-safe, so gRPC threads run it in parallel before handing
// envelopes to the orderer's loop.
class RequestValidator {
 public:
  // Throws crypto::CryptoError when a channel org's CA certificates do not parse.
  RequestValidator(const config::ChannelDefinitions& channels,
                   const std::map<std::string, config::BatchSettings>& batch_by_channel,
                   const gossip::CryptoService& crypto, WallClock clock,
                   std::chrono::nanoseconds time_window);

  BroadcastVerdict check_broadcast(std::string_view envelope_bytes) const;
  DeliverVerdict check_deliver(std::string_view envelope_bytes) const;

  bool has_channel(std::string_view channel) const { return channels_.contains(channel); }
  // "" when `creator` (a serialized identity whose request was already checked) may
  // still read `channel` now: its org is a channel member and its certificate chains
  // to that org's CA and is within validity. Else why not. For re-evaluating a
  // Deliver session's access; not cached.
  std::string access_problem(std::string_view channel, std::string_view creator) const;

 private:
  struct Channel {
    std::unique_ptr<crypto::IdentityValidator> members;  // the channel's orgs and their CAs
    std::uint64_t absolute_max_bytes = 0;
  };
  struct Parsed {
    common::Status status = common::SUCCESS;
    std::string info;
    common::Payload payload;
    common::ChannelHeader channel_header;
    common::SignatureHeader signature_header;
    std::string payload_bytes;  // as received: signatures cover these bytes
    std::string signature;
  };
  Parsed parse(std::string_view envelope_bytes) const;
  // "" when the timestamp is within the window, else why not.
  std::string timestamp_problem(const common::ChannelHeader& header) const;
  // "" when the creator may write/read the channel, else why not.
  std::string creator_problem(const Channel& channel, const Parsed& parsed) const;

  std::map<std::string, Channel, std::less<>> channels_;
  // (channel, creator) pairs found members, and when: a chain check costs more than
  // the signature check, and a client sends many envelopes with one identity.
  // Re-checked after kMembershipRecheck so an expiring certificate is noticed.
  static constexpr std::chrono::seconds kMembershipRecheck{60};
  static constexpr std::size_t kMaxCachedMembers = 4096;
  mutable std::mutex members_mutex_;
  mutable std::unordered_map<std::string, std::chrono::system_clock::time_point> members_seen_;
  const gossip::CryptoService& crypto_;
  WallClock clock_;
  std::chrono::nanoseconds time_window_;
};

}  // namespace fabnet::orderer
