#include "orderer/request_validator.h"

#include <fmt/format.h>

#include "crypto/identity.h"

namespace fabnet::orderer {

namespace {

std::string describe(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  const auto s = duration_cast<seconds>(d).count();
  if (s % 60 == 0 && s != 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

}  // namespace

RequestValidator::RequestValidator(
    const config::ChannelDefinitions& channels,
    const std::map<std::string, config::BatchSettings>& batch_by_channel,
    const gossip::CryptoService& crypto, WallClock clock, std::chrono::nanoseconds time_window)
    : crypto_(crypto), clock_(std::move(clock)), time_window_(time_window) {
  for (const config::ChannelDefinition& def : channels.channels) {
    crypto::IdentityValidator::CaCertificates cas;
    for (const config::ChannelOrg& org : def.orgs) cas[org.msp_id].push_back(org.ca_cert_pem);
    Channel channel;
    channel.members = std::make_unique<crypto::IdentityValidator>(cas);
    auto batch = batch_by_channel.find(def.name);
    channel.absolute_max_bytes = batch != batch_by_channel.end()
                                     ? batch->second.absolute_max_bytes
                                     : config::BatchSettings{}.absolute_max_bytes;
    channels_.emplace(def.name, std::move(channel));
  }
}

RequestValidator::Parsed RequestValidator::parse(std::string_view envelope_bytes) const {
  Parsed p;
  const auto bad = [&p](std::string info) {
    p.status = common::BAD_REQUEST;
    p.info = std::move(info);
    return p;
  };
  common::Envelope envelope;
  if (!envelope.ParseFromArray(envelope_bytes.data(), static_cast<int>(envelope_bytes.size()))) {
    return bad("envelope does not parse as common.Envelope");
  }
  if (envelope.payload().empty()) return bad("envelope has no payload");
  if (!p.payload.ParseFromString(envelope.payload())) {
    return bad("payload does not parse as common.Payload");
  }
  if (!p.payload.has_header()) return bad("payload has no header");
  if (!p.channel_header.ParseFromString(p.payload.header().channel_header())) {
    return bad("channel header does not parse as common.ChannelHeader");
  }
  if (!p.signature_header.ParseFromString(p.payload.header().signature_header())) {
    return bad("signature header does not parse as common.SignatureHeader");
  }
  p.payload_bytes = std::move(*envelope.mutable_payload());
  p.signature = std::move(*envelope.mutable_signature());
  return p;
}

std::string RequestValidator::timestamp_problem(const common::ChannelHeader& header) const {
  if (!header.has_timestamp()) return "channel header has no timestamp";
  const auto stamped = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(header.timestamp().seconds()) +
          std::chrono::nanoseconds(header.timestamp().nanos())));
  const auto now = clock_();
  const auto apart = stamped > now ? stamped - now : now - stamped;
  if (apart > time_window_) {
    return fmt::format("envelope timestamp is {} apart from the orderer's time; allowed: {}",
                       describe(std::chrono::duration_cast<std::chrono::nanoseconds>(apart)),
                       describe(time_window_));
  }
  return {};
}

std::string RequestValidator::creator_problem(const Channel& channel, const Parsed& p) const {
  const std::string& creator = p.signature_header.creator();
  if (creator.empty()) return "signature header has no creator";
  if (p.signature.empty()) return "envelope is not signed";
  auto identity = crypto::parse_identity(creator);
  if (!identity) return "creator is not a serialized identity: " + identity.error();
  if (!channel.members->knows(identity->msp_id)) {
    return fmt::format("creator's org {} is not a member of channel {}", identity->msp_id,
                       p.channel_header.channel_id());
  }
  const auto now = clock_();
  const std::string key = p.channel_header.channel_id() + '\0' + creator;
  bool known = false;
  {
    std::lock_guard lock(members_mutex_);
    auto it = members_seen_.find(key);
    known = it != members_seen_.end() && now >= it->second && now - it->second < kMembershipRecheck;
  }
  if (!known) {
    // Writers and Readers of fabric-samples' configtx.yaml: client, admin, peer (NodeOUs).
    if (auto valid = channel.members->validate(creator, now, crypto::kBroadcastRoles); !valid) {
      return "creator is not a valid identity of its org: " + valid.error();
    }
    std::lock_guard lock(members_mutex_);
    if (members_seen_.size() >= kMaxCachedMembers) members_seen_.clear();
    members_seen_[key] = now;
  }
  if (!crypto_.verify(creator, p.payload_bytes, p.signature)) {
    return "signature does not verify over the payload with the creator's key";
  }
  return {};
}

BroadcastVerdict RequestValidator::check_broadcast(std::string_view envelope_bytes) const {
  BroadcastVerdict v;
  Parsed p = parse(envelope_bytes);
  if (p.status != common::SUCCESS) return {p.status, std::move(p.info), {}, common::MESSAGE};
  v.channel = p.channel_header.channel_id();
  v.type = static_cast<common::HeaderType>(p.channel_header.type());
  const auto refuse = [&v](common::Status status, std::string info) {
    v.status = status;
    v.info = std::move(info);
    return v;
  };
  switch (p.channel_header.type()) {
    case common::ENDORSER_TRANSACTION:
    case common::MESSAGE:
      break;
    case common::CONFIG_UPDATE:
      return refuse(common::BAD_REQUEST,
                    "CONFIG_UPDATE is not implemented: channels come from the channel "
                    "definitions file");
    default:
      return refuse(common::BAD_REQUEST,
                    fmt::format("header type {} is not accepted; expected ENDORSER_TRANSACTION "
                                "(3) or MESSAGE (0)",
                                p.channel_header.type()));
  }
  if (std::string why = timestamp_problem(p.channel_header); !why.empty()) {
    return refuse(common::BAD_REQUEST, std::move(why));
  }
  auto channel = channels_.find(v.channel);
  if (channel == channels_.end()) {
    return refuse(common::NOT_FOUND, fmt::format("channel {:?} does not exist", v.channel));
  }
  if (envelope_bytes.size() > channel->second.absolute_max_bytes) {
    return refuse(
        common::BAD_REQUEST,
        fmt::format("envelope is {} bytes; AbsoluteMaxBytes of channel {} is {}",
                    envelope_bytes.size(), v.channel, channel->second.absolute_max_bytes));
  }
  if (std::string why = creator_problem(channel->second, p); !why.empty()) {
    return refuse(common::FORBIDDEN, std::move(why));
  }
  return v;
}

DeliverVerdict RequestValidator::check_deliver(std::string_view envelope_bytes) const {
  DeliverVerdict v;
  Parsed p = parse(envelope_bytes);
  const auto refuse = [&v](common::Status status, std::string info) {
    v.status = status;
    v.info = std::move(info);
    return std::move(v);
  };
  if (p.status != common::SUCCESS) return refuse(p.status, std::move(p.info));
  v.channel = p.channel_header.channel_id();
  if (p.channel_header.type() != common::DELIVER_SEEK_INFO) {
    return refuse(common::BAD_REQUEST, fmt::format("header type {} is not DELIVER_SEEK_INFO (5)",
                                                   p.channel_header.type()));
  }
  if (std::string why = timestamp_problem(p.channel_header); !why.empty()) {
    return refuse(common::BAD_REQUEST, std::move(why));
  }
  auto channel = channels_.find(v.channel);
  if (channel == channels_.end()) {
    return refuse(common::NOT_FOUND, fmt::format("channel {:?} does not exist", v.channel));
  }
  if (!v.seek_info.ParseFromString(p.payload.data())) {
    return refuse(common::BAD_REQUEST, "payload data does not parse as orderer.SeekInfo");
  }
  if (std::string why = creator_problem(channel->second, p); !why.empty()) {
    return refuse(common::FORBIDDEN, std::move(why));
  }
  v.creator = p.signature_header.creator();
  if (auto identity = crypto::parse_identity(v.creator)) {
    if (auto certificate = crypto::certificate_of(*identity)) {
      v.identity_expires = certificate->not_after();
    }
  }
  return v;
}

std::string RequestValidator::access_problem(std::string_view channel_name,
                                             std::string_view creator) const {
  auto channel = channels_.find(channel_name);
  if (channel == channels_.end()) {
    return fmt::format("channel {:?} no longer exists", channel_name);
  }
  auto identity = crypto::parse_identity(creator);
  if (!identity) return "creator is not a serialized identity: " + identity.error();
  if (!channel->second.members->knows(identity->msp_id)) {
    return fmt::format("creator's org {} is no longer a member of channel {}", identity->msp_id,
                       channel_name);
  }
  if (auto valid = channel->second.members->validate(creator, clock_()); !valid) {
    return "creator is no longer a valid identity of its org: " + valid.error();
  }
  return {};
}

}  // namespace fabnet::orderer
