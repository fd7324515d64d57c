#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/common.pb.h"
#include "deliver/orderer_connector.h"
#include "orderer/ab.pb.h"
#include "runtime/scheduler.h"

namespace fabnet::deliver::testing {

// An ordering service in virtual time holding one channel's chain: answers a seek with
// the blocks from its start on, one per `latency`, then streams blocks as they are
// added. Faults: down (dials fail), a status or hang-up on the open streams, and a
// tamper hook that rewrites the next block sent.
class FakeOrderer final : public OrdererConnector {
 public:
  struct Seek {
    std::string endpoint;
    std::uint64_t start = 0;
    orderer::SeekInfo info;
    common::ChannelHeader channel_header;
    common::Envelope envelope;
  };

  explicit FakeOrderer(runtime::Scheduler& scheduler,
                       runtime::Duration latency = std::chrono::milliseconds(1))
      : scheduler_(scheduler), latency_(latency) {}

  void add_block(std::string bytes) {
    chain_.push_back(std::move(bytes));
    for (const auto& [id, stream] : streams_) pump(stream);
  }
  const std::vector<std::string>& chain() const { return chain_; }

  // While down, dials fail after `latency`; going down also cuts open streams.
  void set_down(bool down) {
    down_ = down;
    if (down) hang_up_all();
  }
  // Every open stream gets `status` and ends.
  void send_status(common::Status status) {
    for (auto& [id, stream] : streams_) post(stream, {OrdererEvent::Kind::kStatus, {}, status, {}});
    streams_.clear();
  }
  void hang_up_all() {
    for (auto& [id, stream] : streams_) {
      post(stream, {OrdererEvent::Kind::kFailed, {}, common::UNKNOWN, "stream closed"});
    }
    streams_.clear();
  }
  // The next block sent (on any stream) is passed through `tamper` first, once.
  void tamper_next(std::function<void(common::Block&)> tamper) { tamper_ = std::move(tamper); }

  const std::vector<Seek>& seeks() const { return seeks_; }
  std::size_t open_streams() const { return streams_.size(); }
  std::size_t blocks_sent() const { return blocks_sent_; }

  std::unique_ptr<OrdererStream> open(const std::string& endpoint, std::string seek_envelope,
                                      EventHandler on_event) override {
    auto stream = std::make_shared<StreamState>();
    stream->on_event = std::move(on_event);
    stream->id = next_id_++;
    Seek seek;
    seek.endpoint = endpoint;
    common::Payload payload;
    if (seek.envelope.ParseFromString(seek_envelope) &&
        payload.ParseFromString(seek.envelope.payload()) &&
        seek.channel_header.ParseFromString(payload.header().channel_header()) &&
        seek.info.ParseFromString(payload.data())) {
      seek.start = seek.info.start().specified().number();
    }
    seeks_.push_back(seek);
    if (down_) {
      post(stream, {OrdererEvent::Kind::kFailed, {}, common::UNKNOWN, "connection refused"});
    } else if (seek.start > chain_.size()) {
      post(stream, {OrdererEvent::Kind::kStatus, {}, common::NOT_FOUND, {}});
    } else {
      post(stream, {OrdererEvent::Kind::kConnected, {}, common::UNKNOWN, {}});
      stream->next = seek.start;
      streams_[stream->id] = stream;
      pump(stream);
    }
    return std::make_unique<Handle>(*this, stream);
  }

 private:
  struct StreamState {
    std::uint64_t id = 0;
    EventHandler on_event;
    std::uint64_t next = 0;          // next block number to send
    bool closed = false;             // by the client: nothing more runs
    runtime::TimePoint last_due{0};  // events of one stream arrive in order, `latency` apart
  };
  struct Handle final : OrdererStream {
    Handle(FakeOrderer& o, std::shared_ptr<StreamState> s) : orderer(o), state(std::move(s)) {}
    ~Handle() override {
      state->closed = true;
      orderer.streams_.erase(state->id);
    }
    FakeOrderer& orderer;
    std::shared_ptr<StreamState> state;
  };

  void post(const std::shared_ptr<StreamState>& stream, OrdererEvent event) {
    const runtime::TimePoint due = std::max(scheduler_.now(), stream->last_due) + latency_;
    stream->last_due = due;
    scheduler_.schedule(due - scheduler_.now(), [stream, event = std::move(event)]() mutable {
      if (!stream->closed) stream->on_event(std::move(event));
    });
  }
  void pump(const std::shared_ptr<StreamState>& stream) {
    while (stream->next < chain_.size()) {
      std::string bytes = chain_[stream->next++];
      if (tamper_) {
        common::Block block;
        block.ParseFromString(bytes);
        tamper_(block);
        tamper_ = nullptr;
        bytes = block.SerializeAsString();
      }
      ++blocks_sent_;
      post(stream, {OrdererEvent::Kind::kBlock, std::move(bytes), common::UNKNOWN, {}});
    }
  }

  runtime::Scheduler& scheduler_;
  runtime::Duration latency_;
  std::vector<std::string> chain_;
  bool down_ = false;
  std::function<void(common::Block&)> tamper_;
  std::map<std::uint64_t, std::shared_ptr<StreamState>> streams_;
  std::uint64_t next_id_ = 1;
  std::vector<Seek> seeks_;
  std::size_t blocks_sent_ = 0;
};

}  // namespace fabnet::deliver::testing
