#include "orderer_daemon/orderer_daemon.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/config_block.h"
#include "crypto/msp.h"
#include "crypto/x509_crypto_service.h"
#include "ledger/block_store.h"
#include "logging/logger.h"
#include "ops/metrics.h"
#include "ops/operations_server.h"
#include "orderer/ab.grpc.pb.h"
#include "orderer/envelopes.h"
#include "orderer/ordered_workers.h"
#include "orderer/orderer.h"
#include "orderer/request_validator.h"
#include "orderer_daemon/orderer_tls.h"
#include "runtime/asio_scheduler.h"

namespace fabnet::orderer {

namespace {

// Fabric's orderer metric names (orderer/common/broadcast, deliver, ledger).
struct OrdererMetrics {
  explicit OrdererMetrics(ops::MetricsRegistry& r)
      : broadcast_processed(r.counter("broadcast_processed_count",
                                      "The number of transactions processed.",
                                      {"channel", "type", "status"})),
        deliver_blocks_sent(r.counter("deliver_blocks_sent", "The number of blocks sent.",
                                      {"channel", "filtered", "data_type"})),
        deliver_requests_completed(r.counter("deliver_requests_completed",
                                             "The number of deliver requests that completed.",
                                             {"channel", "filtered", "data_type", "success"})),
        deliver_streams_opened(
            r.counter("deliver_streams_opened", "The number of GRPC streams opened.")),
        deliver_streams_closed(
            r.counter("deliver_streams_closed", "The number of GRPC streams closed.")),
        broadcast_streams_opened(
            r.counter("broadcast_streams_opened", "The number of GRPC streams opened.")),
        height(r.gauge("ledger_blockchain_height", "Height of the chain in blocks.", {"channel"})) {
  }
  ops::CounterFamily& broadcast_processed;
  ops::CounterFamily& deliver_blocks_sent;
  ops::CounterFamily& deliver_requests_completed;
  ops::CounterFamily& deliver_streams_opened;
  ops::CounterFamily& deliver_streams_closed;
  ops::CounterFamily& broadcast_streams_opened;
  ops::GaugeFamily& height;
};

// Responses of one Broadcast stream, written in the order their envelopes came,
// whichever is answered first (a refusal is immediate, a SUCCESS waits for the block).
class OrderedReplies {
 public:
  std::uint64_t reserve() {
    std::lock_guard lock(mutex_);
    return next_slot_++;
  }
  void fill(std::uint64_t slot, ::orderer::BroadcastResponse response) {
    std::lock_guard lock(mutex_);
    ready_.emplace(slot, std::move(response));
    // A block answers many envelopes at once: wake the writer only for the one it awaits.
    if (slot == next_write_) changed_.notify_all();
  }
  // Waits until fewer than `limit` replies are outstanding (back-pressure on reads).
  void wait_room(std::size_t limit) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return next_slot_ - next_write_ < limit || closed_; });
  }
  // Every response ready in order from the next one on (at least one); empty once
  // `finish()` ran and all were written, or the stream closed.
  std::vector<::orderer::BroadcastResponse> next_run() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] {
      return ready_.contains(next_write_) || (finished_ && next_write_ == next_slot_) || closed_;
    });
    std::vector<::orderer::BroadcastResponse> run;
    if (closed_) return run;
    for (auto it = ready_.begin(); it != ready_.end() && it->first == next_write_;
         it = ready_.erase(it), ++next_write_) {
      run.push_back(std::move(it->second));
    }
    if (!run.empty()) changed_.notify_all();  // room for the reader (wait_room)
    return run;
  }
  void finish() {
    std::lock_guard lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::uint64_t, ::orderer::BroadcastResponse> ready_;
  std::uint64_t next_slot_ = 0;
  std::uint64_t next_write_ = 0;
  bool finished_ = false;
  bool closed_ = false;
};

// A Deliver stream's bounded outbox, filled on the loop, drained by the gRPC thread.
class StreamSink final : public DeliverSink {
 public:
  static constexpr std::size_t kCapacity = 64;
  struct Item {
    bool is_status = false;
    common::Status status = common::UNKNOWN;
    std::string block_bytes;
  };

  bool send_block(std::uint64_t, const std::string& bytes) override {
    std::lock_guard lock(mutex_);
    items_.push_back({false, common::UNKNOWN, bytes});
    changed_.notify_all();
    full_ = items_.size() >= kCapacity;
    return !full_;
  }
  void send_status(common::Status status, const std::string&) override {
    std::lock_guard lock(mutex_);
    items_.push_back({true, status, {}});
    changed_.notify_all();
  }
  // The next item, or nullopt after `timeout` (the caller checks for cancellation).
  // `became_ready` is set when the loop must be told there is room again.
  std::optional<Item> pop(std::chrono::milliseconds timeout, bool& became_ready) {
    std::unique_lock lock(mutex_);
    became_ready = false;
    if (!changed_.wait_for(lock, timeout, [&] { return !items_.empty(); })) return std::nullopt;
    Item item = std::move(items_.front());
    items_.pop_front();
    if (full_ && items_.size() <= kCapacity / 2) {
      full_ = false;
      became_ready = true;
    }
    return item;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Item> items_;
  bool full_ = false;
};

// Block 0's payload data: the channel's Fabric configuration (common.ConfigEnvelope:
// orgs with their CAs and anchor peers, the orderer org, its endpoints and batch
// settings), so that the genesis block reads as a Fabric config block
// (config::channel_from_config_block, `fabnet peer channel join -b`, a Fabric peer).
std::string genesis_config(const config::ChannelDefinition& channel,
                           const std::optional<config::OrdererDefinition>& orderer,
                           const config::BatchSettings& batch, const std::string& local_msp_id) {
  config::OrdererDefinition definition = orderer.value_or(config::OrdererDefinition{});
  if (definition.msp_id.empty()) definition.msp_id = local_msp_id;
  definition.batch = batch;
  common::Block block;
  common::Envelope envelope;
  common::Payload payload;
  if (!block.ParseFromString(config::make_config_block(channel, definition)) ||
      block.data().data_size() != 1 || !envelope.ParseFromString(block.data().data(0)) ||
      !payload.ParseFromString(envelope.payload())) {
    throw OrdererStartError(
        fmt::format("channel {}: cannot build its genesis config block", channel.name));
  }
  return payload.data();
}

// DeliverResponse{block} from the stored bytes: field 2 carried as an unknown
// length-delimited field, so the block is copied once, never re-marshalled.
::orderer::DeliverResponse block_response(std::string bytes) {
  ::orderer::DeliverResponse response;
  response.GetReflection()->MutableUnknownFields(&response)->AddLengthDelimited(2)->swap(bytes);
  return response;
}

}  // namespace

struct OrdererDaemon::Impl final : OrdererObserver, ::orderer::AtomicBroadcast::Service {
  explicit Impl(OrdererDaemonOptions o) : options(std::move(o)), scheduler(loop), signals(loop) {}

  void load();
  void stop_on_loop();
  template <typename Result>
  std::optional<Result> on_loop(std::function<Result()> work) {
    auto task = std::make_shared<std::packaged_task<Result()>>(std::move(work));
    auto future = task->get_future();
    asio::post(loop, [task] { (*task)(); });
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return std::nullopt;
    return future.get();
  }
  std::string channel_label(const std::string& channel) const {
    return validator->has_channel(channel) ? channel : std::string("unknown");
  }

  // OrdererObserver (loop thread)
  void on_block_appended(const std::string& channel, std::uint64_t number,
                         std::size_t envelopes) override {
    metrics->height.with({channel}).set(static_cast<double>(number + 1));
    log->debug("[channel: {}] wrote block [{}] with {} envelope(s)", channel, number, envelopes);
  }
  void on_append_failed(const std::string& channel, const std::string& why) override {
    log->error("[channel: {}] {}", channel, why);
  }
  void on_blocks_sent(const std::string& channel, std::size_t count) override {
    metrics->deliver_blocks_sent.with({channel, "false", "block"}).inc(static_cast<double>(count));
  }
  void on_deliver_done(const std::string& channel, common::Status status) override {
    metrics->deliver_requests_completed
        .with({channel, "false", "block", status == common::SUCCESS ? "true" : "false"})
        .inc();
  }

  // AtomicBroadcast (gRPC threads)
  grpc::Status Broadcast(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<::orderer::BroadcastResponse, common::Envelope>* stream) override;
  grpc::Status Deliver(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<::orderer::DeliverResponse, common::Envelope>* stream) override;

  // Hands a valid envelope to the loop, in release order. Envelopes released while
  // the loop has not yet taken the previous ones go in the same hand-off: one wake
  // of the loop per run instead of one per envelope.
  void to_order(std::string channel, std::string envelope, Orderer::Reply answer) {
    {
      std::lock_guard lock(order_mutex);
      order_queue.push_back({std::move(channel), std::move(envelope), std::move(answer)});
      if (order_drain_posted) return;
      order_drain_posted = true;
    }
    asio::post(loop, [this] {
      std::vector<ToOrder> run;
      {
        std::lock_guard lock(order_mutex);
        run.swap(order_queue);
        order_drain_posted = false;
      }
      for (ToOrder& item : run) {
        orderer->order(item.channel, std::move(item.envelope), std::move(item.answer));
      }
    });
  }

  bool admit() {
    if (stopping.load()) return false;
    if (streams.fetch_add(1) >= options.max_streams) {
      streams.fetch_sub(1);
      return false;
    }
    return true;
  }

  OrdererDaemonOptions options;
  std::shared_ptr<spdlog::logger> log = logging::get_logger("orderer");
  config::ChannelDefinitions channels;
  std::optional<crypto::LocalMsp> msp;
  std::unique_ptr<crypto::X509CryptoService> crypto;
  std::unique_ptr<RequestValidator> validator;
  OrdererTls tls;  // General.TLS.*

  asio::io_context loop;
  runtime::AsioScheduler scheduler;
  asio::signal_set signals;
  std::unique_ptr<Orderer> orderer;
  std::unique_ptr<grpc::Server> server;
  ops::MetricsRegistry registry;
  std::unique_ptr<OrdererMetrics> metrics = std::make_unique<OrdererMetrics>(registry);
  std::unique_ptr<ops::OperationsServer> operations;
  std::atomic<int> streams{0};
  std::atomic<bool> stopping{false};
  std::thread shutdown_thread;
  struct ToOrder {
    std::string channel;
    std::string envelope;
    Orderer::Reply answer;
  };
  std::mutex order_mutex;
  std::vector<ToOrder> order_queue;  // valid envelopes on their way to the loop
  bool order_drain_posted = false;
  // Broadcast's signature checks, one worker per core. Declared last: destroyed (and
  // joined) first, before anything its jobs use.
  std::unique_ptr<OrderedWorkers> workers =
      std::make_unique<OrderedWorkers>(std::max(1u, std::thread::hardware_concurrency()));
};

void OrdererDaemon::Impl::load() {
  const config::OrdererConfig& c = options.config;
  channels = config::load_channel_definitions_file(options.channels_file);
  if (channels.channels.empty()) {
    throw OrdererStartError(
        fmt::format("{}: no channels defined; expected at least one channel to order for",
                    options.channels_file.string()));
  }
  try {
    msp = crypto::load_local_msp(c.msp_dir(), c.local_msp_id);
  } catch (const std::exception& e) {
    throw OrdererStartError(
        fmt::format("General.LocalMSPDir {}: {}", c.msp_dir().string(), e.what()));
  }
  if (channels.orderer && channels.orderer->msp_id != c.local_msp_id) {
    log->warn(
        "General.LocalMSPID {} differs from the orderer org {} in {}: peers will refuse "
        "these blocks",
        c.local_msp_id, channels.orderer->msp_id, options.channels_file.string());
  }
  crypto = std::make_unique<crypto::X509CryptoService>(*msp);
  try {
    tls = load_orderer_tls(c);
  } catch (const std::exception& e) {
    throw OrdererStartError(fmt::format(
        "TLS is requested (General.TLS.Enabled true) but cannot be set up: {}; the orderer "
        "does not fall back to plaintext",
        e.what()));
  }
  const config::BatchSettings batch =
      channels.orderer ? channels.orderer->batch : config::BatchSettings{};
  std::map<std::string, config::BatchSettings> batches;
  std::vector<Orderer::Channel> defs;
  for (const config::ChannelDefinition& channel : channels.channels) {
    batches[channel.name] = batch;
    defs.push_back(
        {channel.name, batch, genesis_config(channel, channels.orderer, batch, c.local_msp_id)});
  }
  validator = std::make_unique<RequestValidator>(
      channels, batches, *crypto, [] { return std::chrono::system_clock::now(); }, c.time_window);
  const std::filesystem::path root = c.ledger_dir();
  try {
    orderer = std::make_unique<Orderer>(
        defs, scheduler,
        [&root, this](const std::string& name) -> std::unique_ptr<ledger::Ledger> {
          auto store =
              std::make_unique<ledger::BlockStore>(root / "chains" / name, root / "index" / name);
          log->info("[channel: {}] ledger at {} resumes at height {}", name,
                    (root / "chains" / name).string(), store->height());
          metrics->height.with({name}).set(static_cast<double>(store->height()));
          return store;
        },
        OrdererIdentity{msp->identity,
                        [this](std::string_view payload) { return msp->signer.sign(payload); }},
        [] { return std::chrono::system_clock::now(); }, this);
  } catch (const std::exception& e) {
    throw OrdererStartError(fmt::format("FileLedger.Location {}: {}", root.string(), e.what()));
  }
  orderer->set_access_check([this](const std::string& channel, const std::string& creator) {
    return validator->access_problem(channel, creator);
  });
}

grpc::Status OrdererDaemon::Impl::Broadcast(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<::orderer::BroadcastResponse, common::Envelope>* stream) {
  if (!admit()) return {grpc::StatusCode::RESOURCE_EXHAUSTED, "too many streams"};
  metrics->broadcast_streams_opened.with().inc();
  auto replies = std::make_shared<OrderedReplies>();
  std::thread writer([&] {
    // No buffer hint on these writes: a sync Write returns only once its message left,
    // and a hinted one may wait for a later write to flush it, which this thread would
    // never get to make (seen as a stream whose last answers never came).
    for (auto run = replies->next_run(); !run.empty(); run = replies->next_run()) {
      for (std::size_t i = 0; i < run.size(); ++i) {
        if (!stream->Write(run[i])) {
          replies->close();
          return;
        }
      }
    }
  });
  // Bounds the envelopes one stream may have waiting for their blocks.
  constexpr std::size_t kMaxOutstanding = 20000;
  common::Envelope envelope;
  while (!context->IsCancelled() && stream->Read(&envelope)) {
    replies->wait_room(kMaxOutstanding);
    const std::uint64_t slot = replies->reserve();
    // Validated on the worker pool, so signature checks use every core even for one
    // stream; released in arrival order to the loop, which cuts in that order.
    auto job = std::make_shared<std::pair<std::string, BroadcastVerdict>>(
        envelope.SerializeAsString(), BroadcastVerdict{});
    workers->submit([this, job] { job->second = validator->check_broadcast(job->first); },
                    [this, job, replies, slot] {
                      BroadcastVerdict& verdict = job->second;
                      const std::string type = common::HeaderType_Name(verdict.type);
                      const std::string label = channel_label(verdict.channel);
                      auto answer = [this, replies, slot, label, type](common::Status status,
                                                                       const std::string& info) {
                        metrics->broadcast_processed.with({label, type, status_name(status)}).inc();
                        ::orderer::BroadcastResponse response;
                        response.set_status(status);
                        if (!info.empty()) response.set_info(info);
                        replies->fill(slot, std::move(response));
                      };
                      if (verdict.status != common::SUCCESS) {
                        return answer(verdict.status, verdict.info);
                      }
                      if (stopping.load()) {
                        return answer(common::SERVICE_UNAVAILABLE, "the orderer is stopping");
                      }
                      to_order(std::move(job->second.channel), std::move(job->first),
                               std::move(answer));
                    });
  }
  replies->finish();
  writer.join();
  streams.fetch_sub(1);
  return grpc::Status::OK;
}

grpc::Status OrdererDaemon::Impl::Deliver(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<::orderer::DeliverResponse, common::Envelope>* stream) {
  if (!admit()) return {grpc::StatusCode::RESOURCE_EXHAUSTED, "too many streams"};
  metrics->deliver_streams_opened.with().inc();
  auto sink = std::make_shared<StreamSink>();
  auto id = on_loop<Orderer::SessionId>([this, sink] { return orderer->open_deliver(sink); });
  const auto close = [&] {
    if (id) asio::post(loop, [this, session = *id] { orderer->close_deliver(session); });
    metrics->deliver_streams_closed.with().inc();
    streams.fetch_sub(1);
  };
  if (!id) {
    close();
    return {grpc::StatusCode::UNAVAILABLE, "orderer busy"};
  }
  common::Envelope envelope;
  // Fabric's order: one SeekInfo, its blocks and a status, then the next SeekInfo.
  while (!context->IsCancelled() && stream->Read(&envelope)) {
    // Under mutual TLS the seek must name this stream's client certificate (Fabric
    // answers BAD_REQUEST otherwise).
    if (const std::string refusal = seek_binding_refusal(tls.mutual, *context, envelope);
        !refusal.empty()) {
      log->warn("refused a deliver request from {}: {}", context->peer(), refusal);
      ::orderer::DeliverResponse response;
      response.set_status(common::BAD_REQUEST);
      stream->Write(response);
      break;
    }
    DeliverVerdict verdict = validator->check_deliver(envelope.SerializeAsString());
    asio::post(loop, [this, session = *id, verdict = std::move(verdict)]() mutable {
      orderer->deliver_request(session, std::move(verdict));
    });
    bool finished = false, ended = false;
    while (!finished) {
      if (context->IsCancelled() || stopping.load()) {
        ended = true;
        break;
      }
      bool became_ready = false;
      auto item = sink->pop(std::chrono::milliseconds(200), became_ready);
      if (became_ready) {
        asio::post(loop, [this, session = *id] { orderer->deliver_ready(session); });
      }
      if (!item) continue;
      ::orderer::DeliverResponse response;
      if (item->is_status) {
        response.set_status(item->status);
        finished = true;
        ended = item->status != common::SUCCESS;
      } else {
        response = block_response(std::move(item->block_bytes));
      }
      if (!stream->Write(response)) {
        ended = true;
        break;
      }
    }
    if (ended) break;
  }
  close();
  return grpc::Status::OK;
}

void OrdererDaemon::Impl::stop_on_loop() {
  if (stopping.exchange(true)) return;
  log->info("stopping: cutting pending envelopes, closing streams");
  if (orderer) orderer->stop();
  signals.cancel();
  // Server::Shutdown waits for handlers, which may wait for this loop: not here.
  shutdown_thread = std::thread([this] {
    if (server) server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    if (operations) operations->stop();
    asio::post(loop, [this] {
      logging::flush_logs();
      loop.stop();
    });
  });
}

OrdererDaemon::OrdererDaemon(OrdererDaemonOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->load();
}

OrdererDaemon::~OrdererDaemon() {
  if (impl_->shutdown_thread.joinable()) impl_->shutdown_thread.join();
}

void OrdererDaemon::request_stop() {
  asio::post(impl_->loop, [impl = impl_.get()] { impl->stop_on_loop(); });
}

int OrdererDaemon::run(bool install_signal_handlers) {
  Impl& d = *impl_;
  const config::OrdererConfig& c = d.options.config;
  const std::string listen = fmt::format("{}:{}", c.listen_address, c.listen_port);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, d.tls.credentials, &port);
  builder.RegisterService(&d);
  builder.SetMaxReceiveMessageSize(-1);  // AbsoluteMaxBytes is checked per channel
  builder.SetMaxSendMessageSize(-1);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Bounded: each stream holds a sync-server thread (plus a writer for Broadcast).
  grpc::ResourceQuota quota("orderer");
  quota.SetMaxThreads(2 * d.options.max_streams + 16);
  builder.SetResourceQuota(quota);
  d.server = builder.BuildAndStart();
  if (!d.server || port == 0) {
    d.log->error(
        "cannot serve orderer.AtomicBroadcast on {} (General.ListenAddress, "
        "General.ListenPort): invalid address or already in use",
        listen);
    return 1;
  }
  if (!c.operations_listen_address.empty()) {
    ops::OperationsRoutes routes;
    // Metrics.Provider: disabled serves no /metrics, as Fabric's operations endpoint.
    routes.metrics = c.metrics_provider == "prometheus" ? &d.registry : nullptr;
    routes.health_checks.push_back(
        {"orderer", [&d] { return d.stopping.load() ? std::string("stopping") : std::string(); }});
    routes.status = [&d] {
      auto result = d.on_loop<nlohmann::json>([&d] {
        nlohmann::json channels = nlohmann::json::object();
        for (const std::string& name : d.orderer->channel_names()) {
          channels[name] = {{"height", d.orderer->ledger(name)->height()}};
        }
        return nlohmann::json{{"msp_id", d.options.config.local_msp_id},
                              {"channels", channels},
                              {"awaiting_ack", d.orderer->awaiting_ack()}};
      });
      return result ? *result : nlohmann::json{{"error", "event loop busy"}};
    };
    d.operations = std::make_unique<ops::OperationsServer>(std::move(routes));
    if (c.operations_tls.enabled) d.operations->use_tls(operations_tls(c));
    if (std::string error = d.operations->start(c.operations_listen_address); !error.empty()) {
      d.log->error("cannot serve operations on {} (Operations.ListenAddress): {}",
                   c.operations_listen_address, error);
      d.server->Shutdown();
      return 1;
    }
  }
  if (install_signal_handlers) {
    d.signals.add(SIGINT);
    d.signals.add(SIGTERM);
    d.signals.async_wait([&d](const std::error_code& error, int signal) {
      if (error) return;
      d.log->info("received signal {}", signal);
      d.stop_on_loop();
    });
  }
  d.log->info(
      "orderer {} started: AtomicBroadcast on {}:{} ({}), operations on {}, channels [{}], "
      "ledger {}",
      c.local_msp_id, c.listen_address, port, d.tls.summary,
      d.operations ? fmt::format("port {}", d.operations->bound_port()) : "off",
      fmt::join(d.orderer->channel_names(), ", "), c.ledger_dir().string());
  auto work = asio::make_work_guard(d.loop);
  d.loop.run();
  if (d.shutdown_thread.joinable()) d.shutdown_thread.join();
  d.server.reset();
  d.orderer.reset();
  return 0;
}

}  // namespace fabnet::orderer
