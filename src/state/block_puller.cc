#include "state/block_puller.h"

#include <charconv>

#include "gossip/envelope.h"

namespace fabnet::state {

std::string digest_item(std::uint64_t number) {
  return std::to_string(number);
}

std::optional<std::uint64_t> parse_digest_item(std::string_view item) {
  if (item.empty() || item.size() > 20) return std::nullopt;
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), number);
  if (error != std::errc() || end != item.data() + item.size()) return std::nullopt;
  return number;
}

BlockPuller::BlockPuller(std::string channel, PullSettings settings, runtime::Scheduler& scheduler,
                         PullHost& host)
    : channel_(std::move(channel)),
      settings_(settings),
      scheduler_(scheduler),
      host_(host),
      round_timer_(scheduler),
      digest_timer_(scheduler) {}

void BlockPuller::start() {
  if (running_) return;
  running_ = true;
  schedule_round();
}

void BlockPuller::stop() {
  running_ = false;
  round_timer_.cancel();
  digest_timer_.cancel();
  hellos_.clear();
  offered_.clear();
  requests_.clear();
  answered_.clear();
}

void BlockPuller::schedule_round() {
  round_timer_.arm(settings_.pull_interval, [this] {
    round();
    schedule_round();
  });
}

void BlockPuller::add(std::uint64_t number, MessagePtr data_message) {
  store_.emplace(number, std::move(data_message));
  while (store_.size() > settings_.max_block_count_to_store) store_.erase(store_.begin());
}

void BlockPuller::forget_expired() {
  const runtime::TimePoint now = scheduler_.now();
  for (auto* table : {&hellos_, &requests_, &answered_})
    std::erase_if(*table, [&](const auto& entry) { return entry.second.until < now; });
}

void BlockPuller::round() {
  forget_expired();
  ++counters_.rounds;
  hellos_.clear();
  offered_.clear();
  for (const PeerId& peer : host_.pull_targets(settings_.pull_peer_num)) {
    const std::uint64_t nonce = host_.new_nonce();
    hellos_[nonce] = Expiring{peer, scheduler_.now() + settings_.digest_wait_time};
    ::gossip::GossipMessage hello;
    hello.mutable_hello()->set_nonce(nonce);
    hello.mutable_hello()->set_msg_type(::gossip::BLOCK_MSG);
    host_.send_pull_message(peer, std::move(hello));
    ++counters_.hellos_sent;
  }
  if (!hellos_.empty()) digest_timer_.arm(settings_.digest_wait_time, [this] { send_requests(); });
}

PullDrop BlockPuller::on_digest(const PeerId& from, const ::gossip::DataDigest& digest) {
  const auto hello = hellos_.find(digest.nonce());
  if (hello == hellos_.end() || hello->second.peer != from ||
      hello->second.until < scheduler_.now()) {
    ++counters_.unknown_nonce;
    return PullDrop::kUnknownNonce;
  }
  if (static_cast<std::size_t>(digest.digests_size()) > settings_.max_list_entries) {
    ++counters_.oversize_list;
    return PullDrop::kOversizeList;
  }
  const std::uint64_t height = host_.ledger_height();
  for (const std::string& item : digest.digests()) {
    const auto number = parse_digest_item(item);
    if (!number) {
      ++counters_.bad_digest_item;
      continue;
    }
    if (*number < height || holds(*number)) continue;
    std::vector<PeerId>& holders = offered_[*number];
    if (std::find(holders.begin(), holders.end(), from) == holders.end()) holders.push_back(from);
  }
  return PullDrop::kNone;
}

void BlockPuller::send_requests() {
  const std::uint64_t height = host_.ledger_height();
  std::map<PeerId, std::vector<std::uint64_t>> wanted_from;
  for (const auto& [number, holders] : offered_)
    if (number >= height && !holds(number))
      wanted_from[host_.pick_holder(holders)].push_back(number);
  for (auto& [peer, numbers] : wanted_from) {
    // The request carries the nonce of the hello this peer answered (§10.3).
    std::uint64_t nonce = 0;
    for (const auto& [hello_nonce, hello] : hellos_)
      if (hello.peer == peer) nonce = hello_nonce;
    requests_[nonce] = Expiring{peer, scheduler_.now() + settings_.response_wait_time};
    ::gossip::GossipMessage request;
    ::gossip::DataRequest& body = *request.mutable_data_req();
    body.set_nonce(nonce);
    body.set_msg_type(::gossip::BLOCK_MSG);
    for (std::uint64_t number : numbers) body.add_digests(digest_item(number));
    host_.send_pull_message(peer, std::move(request));
    ++counters_.requests_sent;
  }
  hellos_.clear();
  offered_.clear();
}

PullDrop BlockPuller::on_hello(const PeerId& from, const ::gossip::GossipHello& hello) {
  if (!host_.may_pull_from_me(from)) {
    ++counters_.hello_not_eligible;
    return PullDrop::kNotEligible;
  }
  if (store_.empty()) return PullDrop::kNone;  // nothing to offer: no digest at all (§10.3)
  forget_expired();
  answered_[hello.nonce()] = Expiring{from, scheduler_.now() + settings_.request_wait_time};
  ::gossip::GossipMessage reply;
  ::gossip::DataDigest& digest = *reply.mutable_data_dig();
  digest.set_nonce(hello.nonce());
  digest.set_msg_type(::gossip::BLOCK_MSG);
  for (const auto& [number, message] : store_) digest.add_digests(digest_item(number));
  host_.send_pull_message(from, std::move(reply));
  ++counters_.digests_sent;
  return PullDrop::kNone;
}

PullDrop BlockPuller::on_request(const PeerId& from, const ::gossip::DataRequest& request) {
  const auto answered = answered_.find(request.nonce());
  if (answered == answered_.end() || answered->second.peer != from ||
      answered->second.until < scheduler_.now()) {
    ++counters_.unknown_nonce;
    return PullDrop::kUnknownNonce;
  }
  answered_.erase(answered);
  if (static_cast<std::size_t>(request.digests_size()) > settings_.max_list_entries) {
    ++counters_.oversize_list;
    return PullDrop::kOversizeList;
  }
  ::gossip::GossipMessage reply;
  ::gossip::DataUpdate& update = *reply.mutable_data_update();
  update.set_nonce(request.nonce());
  update.set_msg_type(::gossip::BLOCK_MSG);
  for (const std::string& item : request.digests()) {
    const auto number = parse_digest_item(item);
    if (!number) {
      ++counters_.bad_digest_item;
      continue;
    }
    const auto held = store_.find(*number);
    if (held != store_.end()) *update.add_data() = gossip::to_envelope(*held->second);
  }
  if (update.data_size() != 0) {
    host_.send_pull_message(from, std::move(reply));
    ++counters_.updates_sent;
  }
  return PullDrop::kNone;
}

PullDrop BlockPuller::on_update(const PeerId& from, const ::gossip::DataUpdate& update) {
  const auto request = requests_.find(update.nonce());
  if (request == requests_.end() || request->second.peer != from ||
      request->second.until < scheduler_.now()) {
    ++counters_.unknown_nonce;
    return PullDrop::kUnknownNonce;
  }
  requests_.erase(request);
  if (static_cast<std::size_t>(update.data_size()) > settings_.max_list_entries) {
    ++counters_.oversize_list;
    return PullDrop::kOversizeList;
  }
  std::vector<MessagePtr> blocks;
  blocks.reserve(update.data_size());
  for (const ::gossip::Envelope& envelope : update.data()) {
    MessagePtr message = gossip::from_envelope(envelope);
    // One element of the wrong kind or channel spoils the whole update (§10.3).
    if (!message || !message->message.has_data_msg() || message->message.channel() != channel_) {
      ++counters_.update_rejected;
      return PullDrop::kRejectedUpdate;
    }
    blocks.push_back(std::move(message));
  }
  if (!host_.take_pulled_blocks(from, blocks)) {
    ++counters_.update_rejected;
    return PullDrop::kRejectedUpdate;
  }
  counters_.blocks_pulled += blocks.size();
  return PullDrop::kNone;
}

}  // namespace fabnet::state
