#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/common.pb.h"
#include "config/network_config.h"
#include "ledger/block_builder.h"
#include "ledger/ledger.h"
#include "orderer/block_cutter.h"
#include "orderer/request_validator.h"
#include "runtime/scheduler.h"

namespace fabnet::orderer {

// Where a Deliver session's output goes (a gRPC stream, or a test's recorder).
// Called on the orderer's loop only.
class DeliverSink {
 public:
  virtual ~DeliverSink() = default;
  // Queues a block's bytes as stored. False when the sink is full: the session
  // stops until Orderer::deliver_ready() says there is room again.
  virtual bool send_block(std::uint64_t number, const std::string& block_bytes) = 0;
  // Ends a seek. Anything but SUCCESS also ends the stream (protocol.md §1.2).
  virtual void send_status(common::Status status, const std::string& info) = 0;
};

// What the orderer reports, for logs and metrics. Called on the loop.
class OrdererObserver {
 public:
  virtual ~OrdererObserver() = default;
  virtual void on_block_appended(const std::string& /*channel*/, std::uint64_t /*number*/,
                                 std::size_t /*envelopes*/) {}
  virtual void on_append_failed(const std::string& /*channel*/, const std::string& /*why*/) {}
  virtual void on_blocks_sent(const std::string& /*channel*/, std::size_t /*count*/) {}
  virtual void on_deliver_done(const std::string& /*channel*/, common::Status /*status*/) {}
};

struct OrdererIdentity {
  std::string serialized;  // the orderer's msp.SerializedIdentity
  ledger::SignFunction sign;
};

// The ordering service's state, owned by one loop (the role of Fabric's solo
// consenter plus its broadcast and deliver handlers). Envelopes already passed
// RequestValidator; each channel cuts blocks in arrival order, signs them
// (protocol.md §3.5), appends them to its ledger and only then acknowledges the
// envelopes in it: an acknowledged envelope is durable (issue 9: a restart loses
// none). Group commit: blocks cut while the loop is busy are staged in the ledger
// and made durable by one commit (one sync), run after the work already queued on
// the loop; their envelopes are acknowledged, and their blocks delivered, only after
// it. Deliver sessions read the ledgers and wait for new blocks.
class Orderer {
 public:
  using OpenLedger = std::function<std::unique_ptr<ledger::Ledger>(const std::string& channel)>;
  using Reply = std::function<void(common::Status, const std::string& info)>;
  using SessionId = std::uint64_t;

  struct Channel {
    std::string name;
    config::BatchSettings batch;
    // Block 0's payload data: the daemon puts the channel's common.ConfigEnvelope
    // here, as Fabric's genesis block carries it; opaque to the orderer.
    std::string genesis_data;
  };

  // Opens every channel's ledger; an empty one gets its genesis block (block 0: a
  // CONFIG envelope signed by the orderer whose data is `genesis_data`). Throws
  // std::runtime_error if that block cannot be appended.
  Orderer(std::vector<Channel> channels, runtime::Scheduler& scheduler, OpenLedger open_ledger,
          OrdererIdentity identity, WallClock clock, OrdererObserver* observer = nullptr);
  ~Orderer();
  Orderer(const Orderer&) = delete;
  Orderer& operator=(const Orderer&) = delete;

  // Orders a validated envelope; `reply` is called once: SUCCESS after its block
  // is appended, SERVICE_UNAVAILABLE if that failed or the orderer stopped.
  void order(const std::string& channel, std::string envelope_bytes, Reply reply);
  // Validates then orders (single-threaded callers, tests). Refusals reply at once.
  void broadcast(const RequestValidator& validator, std::string_view envelope_bytes, Reply reply);

  SessionId open_deliver(std::shared_ptr<DeliverSink> sink);
  // A request checked by RequestValidator::check_deliver. Requests queue behind
  // the session's current seek, as Fabric reads the next only after a status.
  void deliver_request(SessionId session, DeliverVerdict request);
  // The sink has room again.
  void deliver_ready(SessionId session);
  void close_deliver(SessionId session);

  // Deliver sessions re-evaluate their requester's access before each block, as
  // Fabric's do: the certificate's expiry always, and `check` (channel, creator ->
  // "" or why not) once after each access_changed() of their channel (Fabric: a new
  // config sequence). Without a check, only expiry is re-evaluated.
  using AccessCheck =
      std::function<std::string(const std::string& channel, const std::string& creator)>;
  void set_access_check(AccessCheck check) { access_check_ = std::move(check); }
  // The channel's members or their CAs changed: sessions re-check before their next block.
  void access_changed(std::string_view channel);

  // Cuts pending batches, refuses further envelopes with SERVICE_UNAVAILABLE.
  void stop();

  const ledger::Ledger* ledger(std::string_view channel) const;
  std::vector<std::string> channel_names() const;
  std::size_t open_sessions() const { return sessions_.size(); }
  std::size_t awaiting_ack() const { return replies_.size(); }

 private:
  struct ChannelState;
  struct Session;
  void append_batch(ChannelState& channel, Batch batch);
  void commit(ChannelState& channel);
  void committed(ChannelState& channel);
  void answer(const std::vector<std::uint64_t>& tickets, common::Status status,
              const std::string& info);
  void create_genesis(ChannelState& channel, const std::string& data);
  void start_seek(Session& session);
  void pump(Session& session);
  void finish_seek(Session& session, common::Status status, const std::string& info);
  // "" while the session's requester may still read its channel, else why not.
  std::string access_problem(Session& session);

  runtime::Scheduler& scheduler_;
  OrdererIdentity identity_;
  WallClock clock_;
  OrdererObserver* observer_;
  std::map<std::string, std::unique_ptr<ChannelState>, std::less<>> channels_;
  std::unordered_map<std::uint64_t, Reply> replies_;  // by ticket
  std::uint64_t next_ticket_ = 1;
  std::map<SessionId, std::unique_ptr<Session>> sessions_;
  SessionId next_session_ = 1;
  AccessCheck access_check_;
  bool stopped_ = false;
};

// The marshaled common.Envelope of block 0: a CONFIG-type payload for `channel`
// whose data is `data`, signed by the orderer.
std::string genesis_envelope(const std::string& channel, const std::string& data,
                             const OrdererIdentity& identity,
                             std::chrono::system_clock::time_point now);

}  // namespace fabnet::orderer
