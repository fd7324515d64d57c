#include "deliver/deliver_client.h"

#include <fmt/format.h>

#include <cassert>

#include "deliver/backoff.h"
#include "deliver/seek.h"
#include "ledger/chain.h"

namespace fabnet::deliver {

namespace {

std::string_view status_name(common::Status status) {
  const std::string& name = common::Status_Name(status);
  return name.empty() ? std::string_view("unknown status") : std::string_view(name);
}

std::string format_ms(runtime::Duration d) {
  return fmt::format("{}ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

DeliverClient::DeliverClient(DeliverSettings settings, DeliverDependencies deps)
    : settings_(std::move(settings)),
      deps_(std::move(deps)),
      retry_timer_(deps_.scheduler),
      random_(settings_.seed) {
  assert(deps_.check_block);
  assert(deps_.unix_seconds);
}

DeliverClient::~DeliverClient() {
  stop();
}

void DeliverClient::start() {
  if (running_) return;
  running_ = true;
  failures_ = 0;
  total_backoff_ = runtime::Duration::zero();
  connect();
}

void DeliverClient::stop() {
  if (!running_) return;
  running_ = false;
  retry_timer_.cancel();
  close_stream();
}

void DeliverClient::set_endpoints(std::vector<std::string> endpoints) {
  settings_.endpoints = std::move(endpoints);
}

void DeliverClient::connect() {
  assert(running_ && !stream_);
  if (settings_.endpoints.empty()) {
    fail("no orderer endpoint configured for the channel");
    return;
  }
  std::uniform_int_distribution<std::size_t> pick(0, settings_.endpoints.size() - 1);
  endpoint_ = settings_.endpoints[pick(random_)];

  SeekRequest request;
  request.channel = settings_.channel;
  request.start = deps_.ledger.height();
  request.unix_seconds = deps_.unix_seconds();
  request.creator = settings_.identity;
  request.tls_cert_hash = settings_.tls_cert_hash;
  if (deps_.nonce) {
    request.nonce = deps_.nonce();
  } else {
    request.nonce.resize(24);
    for (char& c : request.nonce) c = static_cast<char>(random_() & 0xff);
  }
  std::string envelope = make_seek_envelope(
      request, [this](std::string_view payload) { return deps_.crypto.sign(payload); });

  const std::uint64_t session = ++session_;
  ++counters_.connect_attempts;
  stream_ = deps_.connector.open(endpoint_, std::move(envelope), [this, session](OrdererEvent e) {
    on_event(session, std::move(e));
  });
}

void DeliverClient::on_event(std::uint64_t session, OrdererEvent event) {
  if (!running_ || session != session_ || !stream_) return;
  switch (event.kind) {
    case OrdererEvent::Kind::kConnected:
      if (!connected_) ++counters_.connects;
      connected_ = true;
      return;
    case OrdererEvent::Kind::kBlock:
      on_block(event.block);
      return;
    case OrdererEvent::Kind::kStatus:
      // The seek never ends, so even SUCCESS means the orderer stopped serving us.
      fail(fmt::format("orderer {} answered with status {} ({})", endpoint_,
                       status_name(event.status), static_cast<int>(event.status)));
      return;
    case OrdererEvent::Kind::kFailed:
      fail(fmt::format("deliver stream to {} failed: {}", endpoint_, event.detail));
      return;
  }
  fail(fmt::format("deliver stream to {}: unknown response", endpoint_));
}

void DeliverClient::on_block(const std::string& bytes) {
  if (!connected_) {
    ++counters_.connects;
    connected_ = true;
  }
  common::Block block;
  ledger::AppendResult result;
  if (!block.ParseFromString(bytes)) {
    result = ledger::AppendResult{false, ledger::RefusalReason::kMalformed,
                                  "the block does not parse as common.Block"};
  } else {
    result = deps_.check_block(block);
    // The org may get the block before the append, so it must chain here first.
    if (result.ok && on_verified_) {
      result =
          ledger::check_chain_link(block, deps_.ledger.height(), deps_.ledger.last_header_hash());
      if (result.ok) on_verified_(block.header().number(), bytes);
    }
    if (result.ok) result = deps_.ledger.append(block, bytes);
  }
  if (!result.ok) {
    ++counters_.refused[std::string(ledger::refusal_name(result.reason))];
    fail(fmt::format("refused block {} from {}: {}: {}",
                     block.has_header() ? block.header().number() : 0, endpoint_,
                     ledger::refusal_name(result.reason), result.detail));
    return;
  }
  ++counters_.blocks_received;
  failures_ = 0;
  // Newer Fabric (protocol.md §12.4); v2.4.9 summed the backoff for the client's life.
  total_backoff_ = runtime::Duration::zero();
  if (on_block_) on_block_(block.header().number(), bytes);
}

void DeliverClient::fail(std::string_view why) {
  ++failures_;
  ++counters_.failures;
  close_stream();
  const runtime::Duration delay = reconnect_delay(failures_, settings_.reconnect_backoff_threshold);
  total_backoff_ += delay;
  if (total_backoff_ > settings_.reconnect_total_time_threshold) {
    if (!settings_.static_leader) {
      warn(fmt::format("[{}] {}; retried block delivery for more than {}, giving up",
                       settings_.channel, why,
                       format_ms(settings_.reconnect_total_time_threshold)));
      running_ = false;
      ++counters_.give_ups;
      // Last: the callback may stop or even restart this client.
      if (on_give_up_) on_give_up_();
      return;
    }
    warn(fmt::format(
        "[{}] {}; static leader, ignoring peer.deliveryclient.reconnectTotalTimeThreshold",
        settings_.channel, why));
  } else {
    warn(fmt::format("[{}] {}; reconnecting in {} (failure {})", settings_.channel, why,
                     format_ms(delay), failures_));
  }
  retry_timer_.arm(delay, [this] { connect(); });
}

void DeliverClient::close_stream() {
  if (connected_) ++counters_.disconnects;
  connected_ = false;
  ++session_;  // late events of the old stream no longer match
  stream_.reset();
}

void DeliverClient::warn(std::string_view message) {
  if (on_warning_) on_warning_(message);
}

}  // namespace fabnet::deliver
