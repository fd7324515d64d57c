#include "comm/grpc_comm.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <climits>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "comm/connection.h"
#include "comm/connection_table.h"
#include "comm/handshake.h"
#include "comm/handshake_limiter.h"
#include "gossip/drop_reason.h"
#include "gossip/message.grpc.pb.h"
#include "logging/logger.h"

// Threads. Node state is never touched here: whatever the node must see is posted to
// its loop, and the handshake checks that need its identity store and crypto run there
// while the gRPC thread waits for the verdict (with a deadline).
//   - gRPC's sync server threads each carry one inbound stream: handshake, then reads;
//   - one worker thread per outbound dial: dial, Ping, handshake, then reads;
//   - one writer thread per connection drains its bounded queue;
//   - one timer thread enforces connTimeout on handshake reads.

namespace fabnet::comm {
namespace {

using Clock = std::chrono::steady_clock;
using ::gossip::Envelope;
using ServerStream = grpc::ServerReaderWriter<Envelope, Envelope>;
using ClientStream = grpc::ClientReaderWriter<Envelope, Envelope>;

// What handlers posted to the loop need, shared so they stay valid if the GrpcComm is
// destroyed first; `stopped` keeps them from reaching the node after stop().
struct LoopShared {
  LoopShared(CommCallbacks cb, const gossip::CryptoService& c, const CommSettings& settings)
      : callbacks(std::move(cb)),
        crypto(c),
        limiter(settings.handshake_rate, settings.handshake_burst,
                settings.max_handshakes_in_flight) {}
  const CommCallbacks callbacks;
  const gossip::CryptoService& crypto;
  std::atomic<bool> stopped{false};
  // Wakes gRPC threads waiting for a handshake verdict from the loop.
  std::mutex mu;
  std::condition_variable cv;
  // Guarded by `mu`. A check counts as in flight until the loop has run it, even if
  // its gRPC thread gave up waiting.
  HandshakeLimiter limiter;
};

// gRPC takes deadlines on the system clock only.
std::chrono::system_clock::time_point grpc_deadline(Clock::duration from_now) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(from_now);
}

int clamp_size(std::size_t size) {
  return size > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(size);
}

std::string host_of(const std::string& address) {
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

// "ipv4:127.0.0.1:5000" -> "127.0.0.1:5000", as Go reports a remote address.
std::string remote_address(const std::string& grpc_peer) {
  for (const std::string_view scheme : {"ipv4:", "ipv6:"}) {
    if (grpc_peer.starts_with(scheme)) return grpc_peer.substr(scheme.size());
  }
  return grpc_peer;
}

// An outbound connection being set up (protocol.md §4.1); sends wait in `pending`.
struct PendingDial {
  std::string endpoint;
  std::optional<PeerId> expected;  // the PKI-ID we dial; nullopt for endpoints and probes
  bool probe = false;
  GrpcComm::ProbeDone probe_done;
  std::deque<MessagePtr> pending;  // at most send_buffer_size; guarded by GrpcComm's mutex
  std::shared_ptr<CancellableCall> call = std::make_shared<CancellableCall>();
};

class GrpcCommImpl;

// The hash this side puts in its ConnEstablish ("" without TLS).
std::string own_certificate_hash(const CommSettings& settings, bool dialling) {
  if (!settings.tls) return {};
  if (dialling && settings.tls->client.client) {
    return certificate_hash_of_pem(settings.tls->client.client->cert_pem);
  }
  return certificate_hash_of_pem(settings.tls->server.server.cert_pem);
}

class GossipService final : public ::gossip::Gossip::Service {
 public:
  explicit GossipService(GrpcCommImpl& comm) : comm_(comm) {}
  // Liveness probe before a stream is opened (protocol.md §1.1).
  grpc::Status Ping(grpc::ServerContext*, const ::gossip::Empty*, ::gossip::Empty*) override {
    return grpc::Status::OK;
  }
  grpc::Status GossipStream(grpc::ServerContext* context, ServerStream* stream) override;

 private:
  GrpcCommImpl& comm_;
};

class GrpcCommImpl final : public GrpcComm {
 public:
  GrpcCommImpl(CommSettings settings, LocalIdentity self, const gossip::CryptoService& crypto,
               asio::io_context& loop, CommCallbacks callbacks)
      : settings_(std::move(settings)),
        self_(std::move(self)),
        loop_(loop),
        shared_(std::make_shared<LoopShared>(std::move(callbacks), crypto, settings_)),
        // With TLS each side states the hash of the certificate it presents on the
        // stream: the server certificate when accepting, the client one when dialling.
        own_conn_(signed_conn_establish(self_, crypto, /*probe=*/false,
                                        own_certificate_hash(settings_, /*dialling=*/false))),
        own_dial_conn_(signed_conn_establish(self_, crypto, /*probe=*/false,
                                             own_certificate_hash(settings_, /*dialling=*/true))),
        own_probe_(signed_conn_establish(self_, crypto, /*probe=*/true,
                                         own_certificate_hash(settings_, /*dialling=*/true))),
        timer_work_(asio::make_work_guard(timer_io_)),
        timer_thread_([this] { timer_io_.run(); }),
        table_(self_.pki_id, settings_.send_buffer_size, settings_.conn_timeout) {}

  ~GrpcCommImpl() override { stop(); }

  std::string start() override {
    std::lock_guard lifecycle(lifecycle_mu_);
    std::lock_guard lock(mu_);
    if (stopping_) return "transport stopped";
    if (server_ || settings_.listen_address.empty()) return "";
    service_ = std::make_unique<GossipService>(*this);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(settings_.listen_address,
                             settings_.tls ? server_credentials(settings_.tls->server)
                                           : grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    builder.SetMaxReceiveMessageSize(clamp_size(settings_.max_message_size));
    builder.SetMaxSendMessageSize(clamp_size(settings_.max_message_size));
    // gRPC defaults to SO_REUSEPORT, which would let two peers share a port silently.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    // Fabric's server keepalive policy (protocol.md §1.1).
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 7'200'000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 60'000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    // Each inbound stream holds a server thread for its life: bound them (a new RPC
    // beyond the quota is refused with RESOURCE_EXHAUSTED by gRPC itself).
    grpc::ResourceQuota quota("fabnet-gossip-server");
    quota.SetMaxThreads(std::max(settings_.max_server_threads, 2));
    builder.SetResourceQuota(quota);
    server_ = builder.BuildAndStart();
    if (!server_ || port == 0) {
      server_.reset();
      return fmt::format("cannot listen on {} (invalid address, or already in use)",
                         settings_.listen_address);
    }
    bound_address_ = fmt::format("{}:{}", host_of(settings_.listen_address), port);
    return "";
  }

  void stop() override {
    std::lock_guard lifecycle(lifecycle_mu_);
    std::vector<std::shared_ptr<CancellableCall>> calls;
    std::vector<std::shared_ptr<Connection>> connections;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      calls.assign(calls_.begin(), calls_.end());
      connections = table_.take_all();
      for (auto* dials : {&dials_by_peer_, &dials_by_endpoint_}) {
        for (auto& [key, dial] : *dials) {
          drop_locked("stopped", dial->pending.size());
          dial->pending.clear();
        }
        dials->clear();
      }
    }
    {
      std::lock_guard lock(shared_->mu);
      shared_->stopped = true;
    }
    shared_->cv.notify_all();
    // Cancelling unblocks every Read and Write, even towards a peer that never reads.
    for (auto& call : calls) call->cancel();
    for (auto& connection : connections) connection->close();
    // Returns once every handler has; the deadline covers handlers that began meanwhile.
    if (server_) server_->Shutdown(grpc_deadline(std::chrono::seconds(1)));
    std::map<std::thread::id, std::thread> workers;
    {
      std::lock_guard lock(mu_);
      workers.swap(workers_);
      finished_workers_.clear();
    }
    for (auto& [id, worker] : workers) worker.join();
    timer_work_.reset();
    timer_io_.stop();
    if (timer_thread_.joinable()) timer_thread_.join();
  }

  bool listening() const override {
    std::lock_guard lock(mu_);
    return server_ != nullptr && !stopping_;
  }

  std::string bound_address() const override {
    std::lock_guard lock(mu_);
    return bound_address_;
  }

  CommStats stats() const override {
    std::lock_guard lock(mu_);
    CommStats stats = counters_;
    stats.connections_open = table_.size();
    stats.inbound_streams = inbound_streams_;
    stats.outbound_streams = workers_.size() - finished_workers_.size();
    stats.envelopes_sent = envelopes_sent_.load();
    stats.envelopes_received = envelopes_received_.load();
    stats.queued = table_.queued();
    for (const auto& [reason, count] : table_.dropped()) stats.dropped[reason] += count;
    for (const auto* dials : {&dials_by_peer_, &dials_by_endpoint_}) {
      for (const auto& [key, dial] : *dials) stats.queued += dial->pending.size();
    }
    return stats;
  }

  void send(const PeerId& to, const std::string& endpoint, MessagePtr message) override {
    std::lock_guard lock(mu_);
    if (stopping_) return drop_locked("stopped");
    if (to == self_.pki_id) return drop_locked("to_self");
    if (auto connection = table_.find(to)) return table_.enqueue(*connection, std::move(message));
    if (auto it = dials_by_peer_.find(to); it != dials_by_peer_.end()) {
      return pend_locked(*it->second, std::move(message));
    }
    if (endpoint.empty()) return drop_locked("no_endpoint");
    if (!dial_capacity_locked()) return drop_locked("dial_refused");
    auto dial = std::make_shared<PendingDial>();
    dial->endpoint = endpoint;
    dial->expected = to;
    dials_by_peer_[to] = dial;
    pend_locked(*dial, std::move(message));
    start_dial_locked(dial);
  }

  void send_to_endpoint(const std::string& endpoint, MessagePtr message) override {
    std::lock_guard lock(mu_);
    if (stopping_) return drop_locked("stopped");
    if (auto connection = table_.find_by_endpoint(endpoint)) {
      return table_.enqueue(*connection, std::move(message));
    }
    if (auto it = dials_by_endpoint_.find(endpoint); it != dials_by_endpoint_.end()) {
      return pend_locked(*it->second, std::move(message));
    }
    if (endpoint.empty()) return drop_locked("no_endpoint");
    if (!dial_capacity_locked()) return drop_locked("dial_refused");
    auto dial = std::make_shared<PendingDial>();
    dial->endpoint = endpoint;
    dials_by_endpoint_[endpoint] = dial;
    pend_locked(*dial, std::move(message));
    start_dial_locked(dial);
  }

  void probe(const std::string& endpoint, ProbeDone done) override {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (!dial_capacity_locked()) {
      ++counters_.dials_failed["refused"];
      asio::post(loop_, [shared = shared_, done = std::move(done)] {
        if (!shared->stopped && done) done(std::nullopt, "too many dials in progress");
      });
      return;
    }
    auto dial = std::make_shared<PendingDial>();
    dial->endpoint = endpoint;
    dial->probe = true;
    dial->probe_done = std::move(done);
    start_dial_locked(dial);
  }

  // A gRPC server thread: one inbound GossipStream for its whole life.
  grpc::Status serve_inbound(grpc::ServerContext& context, ServerStream& stream) {
    auto call = std::make_shared<CancellableCall>();
    {
      std::lock_guard lock(mu_);
      if (stopping_) return {grpc::StatusCode::UNAVAILABLE, "shutting down"};
      // Streams still in their handshake count: a flood of idle streams is refused
      // here before it holds every server thread.
      if (inbound_streams_ >= settings_.max_inbound_streams) {
        ++counters_.handshakes_rejected["too_many_streams"];
        counters_.last_rejection = "too many inbound streams";
        return {grpc::StatusCode::RESOURCE_EXHAUSTED, "too many streams"};
      }
      ++inbound_streams_;
      calls_.insert(call);
    }
    grpc::Status status{grpc::StatusCode::UNAVAILABLE, "shutting down"};
    if (call->attach([&context] { context.TryCancel(); })) {
      status = run_inbound(context, stream, call);
      call->detach();
    }
    {
      std::lock_guard lock(mu_);
      calls_.erase(call);
      --inbound_streams_;
    }
    return status;
  }

 private:
  grpc::Status run_inbound(grpc::ServerContext& context, ServerStream& stream,
                           const std::shared_ptr<CancellableCall>& call) {
    // With TLS on, a client that brought no certificate is refused before anything
    // is sent; the one it brought is what its ConnEstablish must name (§4.2).
    std::optional<std::string> remote_hash;
    if (settings_.tls) {
      const auto auth = context.auth_context();
      remote_hash = auth ? remote_certificate_hash(*auth) : std::string();
      const HandshakeVerdict presented = check_remote_presented_certificate(*remote_hash);
      if (!presented.accepted()) {
        count_rejection(presented.reject_key, presented.reject_text, context.peer());
        return {grpc::StatusCode::UNAUTHENTICATED, presented.reject_text};
      }
    }
    // Both sides send their ConnEstablish at once, without waiting (protocol.md §4.2).
    if (!stream.Write(own_conn_)) {
      count_rejection("stream_closed", "stream closed before the handshake", context.peer());
      return {grpc::StatusCode::CANCELLED, "stream closed"};
    }
    const HandshakeVerdict verdict = read_handshake(stream, call, [&] { return remote_hash; });
    if (!verdict.accepted()) {
      count_rejection(verdict.reject_key, verdict.reject_text, context.peer());
      return {grpc::StatusCode::UNAUTHENTICATED, verdict.reject_text};
    }
    count_acceptance();
    // A prober only wanted our identity: end the RPC, register nothing (§4.2 step 6).
    if (verdict.probe) return grpc::Status::OK;
    auto connection = std::make_shared<Connection>(
        std::make_shared<ConnectionInfo>(
            ConnectionInfo{verdict.pki_id, verdict.identity, remote_address(context.peer())}),
        call, /*dialled_by_us=*/false);
    {
      std::lock_guard lock(mu_);
      if (stopping_) return {grpc::StatusCode::UNAVAILABLE, "shutting down"};
      const std::size_t retired = table_.retired_count();
      const bool kept = table_.add_inbound(connection) == connection;
      log_->debug("inbound stream from {}{}", gossip::short_id_hex(verdict.pki_id),
                  !kept                              ? " crossed our dial: keeping ours"
                  : table_.retired_count() > retired ? " replaces the existing connection"
                                                     : "");
      if (table_.retired_count() > retired) close_retired_later();
    }
    run_connection(connection, stream);
    return grpc::Status::OK;
  }

  // Reads the remote's first message within connTimeout and checks it (§4.2).
  // `remote_hash` gives, with TLS on, the hash of the certificate the remote presented
  // (asked once the first message is in, when a client call surely has its session).
  using RemoteHash = std::function<std::optional<std::string>()>;
  template <typename Stream>
  HandshakeVerdict read_handshake(Stream& stream, const std::shared_ptr<CancellableCall>& call,
                                  const RemoteHash& remote_hash) {
    after(settings_.conn_timeout, [call] { call->expire_handshake(); });
    Envelope first;
    const bool read = stream.Read(&first);
    if (!call->finish_handshake_read()) {
      return HandshakeVerdict::rejected("timeout", "no handshake message within connTimeout");
    }
    if (!read) {
      return HandshakeVerdict::rejected("stream_closed", "stream closed during the handshake");
    }
    HandshakeVerdict claimed = parse_conn_establish(first);
    if (!claimed.accepted()) return claimed;
    std::optional<std::string> cert_hash = remote_hash();
    if (cert_hash) {
      HandshakeVerdict presented = check_remote_presented_certificate(*cert_hash);
      if (!presented.accepted()) return presented;
    }
    {
      std::lock_guard lock(shared_->mu);
      if (!shared_->limiter.try_begin(Clock::now())) {
        return HandshakeVerdict::rejected("rate_limited", "too many handshakes, retry later");
      }
    }

    auto verdict = std::make_shared<std::optional<HandshakeVerdict>>();
    asio::post(loop_, [shared = shared_, verdict, claimed = std::move(claimed),
                       first = std::move(first), cert_hash = std::move(cert_hash)]() mutable {
      HandshakeVerdict result = shared->stopped
                                    ? HandshakeVerdict::rejected("stopped", "stopped")
                                    : authenticate_conn_establish(std::move(claimed), first,
                                                                  shared->callbacks.check_identity,
                                                                  shared->crypto, cert_hash);
      {
        std::lock_guard lock(shared->mu);
        shared->limiter.finished();
        *verdict = std::move(result);
      }
      shared->cv.notify_all();
    });
    std::unique_lock lock(shared_->mu);
    shared_->cv.wait_until(lock, Clock::now() + settings_.conn_timeout,
                           [&] { return verdict->has_value() || shared_->stopped; });
    if (verdict->has_value()) return std::move(**verdict);
    return shared_->stopped
               ? HandshakeVerdict::rejected("stopped", "stopped")
               : HandshakeVerdict::rejected("check_timeout", "identity check timed out");
  }

  // A dial worker (protocol.md §4.1); for a connection, its reader afterwards.
  void run_dial(const std::shared_ptr<PendingDial>& dial) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(clamp_size(settings_.max_message_size));
    args.SetMaxSendMessageSize(clamp_size(settings_.max_message_size));
    // A TCP connection of its own, closed with the gossip connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    // Retries would buffer sent messages beyond our own bounded queue.
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    // Fabric's client keepalive (protocol.md §1.1).
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    auto channel =
        grpc::CreateCustomChannel(dial->endpoint,
                                  settings_.tls ? channel_credentials(settings_.tls->client)
                                                : grpc::InsecureChannelCredentials(),
                                  args);
    if (!wait_connected(*channel, *dial->call, Clock::now() + settings_.dial_timeout)) {
      return dial_failed(*dial, "unreachable");
    }
    auto stub = ::gossip::Gossip::NewStub(channel);
    {
      grpc::ClientContext context;
      context.set_deadline(grpc_deadline(settings_.conn_timeout));
      if (!dial->call->attach([&context] { context.TryCancel(); })) {
        return dial_failed(*dial, "stopped");
      }
      ::gossip::Empty request, response;
      const grpc::Status status = stub->Ping(&context, request, &response);
      dial->call->detach();
      if (!status.ok()) return dial_failed(*dial, "ping_failed");
    }
    grpc::ClientContext context;
    if (!dial->call->attach([&context] { context.TryCancel(); })) {
      return dial_failed(*dial, "stopped");
    }
    std::unique_ptr<ClientStream> stream = stub->GossipStream(&context);
    run_outbound(dial, *stream, context);
    dial->call->cancel();
    stream->Finish();
    dial->call->detach();
  }

  void run_outbound(const std::shared_ptr<PendingDial>& dial, ClientStream& stream,
                    grpc::ClientContext& context) {
    if (!stream.Write(dial->probe ? own_probe_ : own_dial_conn_)) {
      return dial_failed(*dial, "stream_closed");
    }
    const HandshakeVerdict verdict =
        read_handshake(stream, dial->call, [&]() -> std::optional<std::string> {
          if (!settings_.tls) return std::nullopt;
          const auto auth = context.auth_context();
          return auth ? remote_certificate_hash(*auth) : std::string();
        });
    if (!verdict.accepted()) {
      count_rejection(verdict.reject_key, verdict.reject_text, dial->endpoint);
      return dial_failed(*dial, "handshake");
    }
    if (dial->expected && verdict.pki_id != *dial->expected) {
      count_rejection("wrong_pki_id",
                      fmt::format("{} answered with another PKI-ID", dial->endpoint),
                      dial->endpoint);
      return dial_failed(*dial, "wrong_pki_id");
    }
    count_acceptance();
    auto info = std::make_shared<ConnectionInfo>(
        ConnectionInfo{verdict.pki_id, verdict.identity, dial->endpoint});
    if (dial->probe) return finish_probe(*dial, stream, std::move(info));
    auto connection = std::make_shared<Connection>(std::move(info), dial->call,
                                                   /*dialled_by_us=*/true);
    {
      std::lock_guard lock(mu_);
      forget_dial_locked(*dial);
      if (stopping_) return;
      const std::size_t retired = table_.retired_count();
      const bool kept =
          table_.add_outbound(connection, dial->endpoint, std::move(dial->pending)) == connection;
      dial->pending.clear();
      log_->debug("dialled {} at {}{}", gossip::short_id_hex(verdict.pki_id), dial->endpoint,
                  !kept                              ? ", connected already: keeping that stream"
                  : table_.retired_count() > retired ? ", crossing its inbound stream: keeping ours"
                                                     : "");
      if (table_.retired_count() > retired) close_retired_later();
    }
    run_connection(connection, stream);
  }

  // Reports the remote, then lets the server end the RPC itself (it does so right after
  // its own checks) rather than cutting the stream under it.
  void finish_probe(PendingDial& dial, ClientStream& stream,
                    std::shared_ptr<const ConnectionInfo> remote) {
    asio::post(loop_, [shared = shared_, done = std::move(dial.probe_done), remote] {
      if (!shared->stopped && done) done(*remote, "");
    });
    after(settings_.conn_timeout, [call = dial.call] { call->cancel(); });
    stream.WritesDone();
    Envelope ignored;
    while (stream.Read(&ignored)) {
    }
  }

  // Blocking dial with a deadline, in short slices so that stop() is not held up.
  static bool wait_connected(grpc::Channel& channel, const CancellableCall& call,
                             Clock::time_point deadline) {
    for (;;) {
      const grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
      if (state == GRPC_CHANNEL_READY) return true;
      if (call.cancelled() || Clock::now() >= deadline) return false;
      const Clock::duration left = deadline - Clock::now();
      channel.WaitForStateChange(
          state, grpc_deadline(std::min<Clock::duration>(left, std::chrono::milliseconds(50))));
    }
  }

  // Reader of an established connection; starts and joins its writer.
  template <typename Stream>
  void run_connection(const std::shared_ptr<Connection>& connection, Stream& stream) {
    std::thread writer([this, &connection, &stream] { write_loop(*connection, stream); });
    Envelope envelope;
    while (stream.Read(&envelope)) {
      ++envelopes_received_;
      auto message = std::make_shared<gossip::SignedGossip>();
      if (!message->message.ParseFromString(envelope.payload())) {
        std::lock_guard lock(mu_);
        ++counters_.malformed["payload"];
        continue;
      }
      // The bytes as received: signatures are checked over them (protocol.md §2.5).
      message->payload = std::move(*envelope.mutable_payload());
      message->signature = std::move(*envelope.mutable_signature());
      if (envelope.has_secret_envelope()) {
        message->secret_payload = std::move(*envelope.mutable_secret_envelope()->mutable_payload());
        message->secret_signature =
            std::move(*envelope.mutable_secret_envelope()->mutable_signature());
      }
      if (!deliver(connection, std::move(message))) break;
    }
    connection->close();
    writer.join();
    connection_ended(*connection);
  }

  // Posts to the loop. Beyond recv_buffer_size unhandled messages the reader waits, and
  // HTTP/2 flow control holds the sender back. False once the connection is closed.
  bool deliver(const std::shared_ptr<Connection>& connection, MessagePtr message) {
    const std::size_t limit = std::max<std::size_t>(settings_.recv_buffer_size, 1);
    {
      std::unique_lock lock(connection->mu);
      connection->recv_cv.wait(lock,
                               [&] { return connection->closed || connection->in_flight < limit; });
      if (connection->closed) return false;
      ++connection->in_flight;
    }
    asio::post(loop_, [shared = shared_, connection, message = std::move(message)]() mutable {
      if (!shared->stopped && shared->callbacks.on_message) {
        shared->callbacks.on_message(*connection->info, std::move(message));
      }
      {
        std::lock_guard lock(connection->mu);
        --connection->in_flight;
      }
      connection->recv_cv.notify_one();
    });
    return true;
  }

  template <typename Stream>
  void write_loop(Connection& connection, Stream& stream) {
    for (;;) {
      MessagePtr message;
      {
        std::unique_lock lock(connection.mu);
        connection.send_cv.wait(lock,
                                [&] { return connection.closed || !connection.queue.empty(); });
        if (connection.closed) return;
        message = std::move(connection.queue.front());
        connection.queue.pop_front();
      }
      Envelope envelope;
      envelope.set_payload(message->payload);
      envelope.set_signature(message->signature);
      if (message->has_secret()) {
        envelope.mutable_secret_envelope()->set_payload(message->secret_payload);
        envelope.mutable_secret_envelope()->set_signature(message->secret_signature);
      }
      if (!stream.Write(envelope)) {
        {
          std::lock_guard lock(connection.mu);
          connection.write_failed = true;
        }
        connection.close();
        return;
      }
      ++envelopes_sent_;
    }
  }

  // A connection that could not deliver what it had to send reports the peer presumed
  // dead (protocol.md §4.3). A quiet hang-up, a replacement or stop() does not: as in
  // Go, the next send redials and reports the peer if that fails.
  void connection_ended(Connection& connection) {
    const PeerId& pki_id = connection.info->pki_id;
    bool registered = false;
    {
      std::lock_guard lock(mu_);
      registered = table_.remove(connection) && !stopping_;
    }
    bool send_failed = false;
    std::size_t unsent = 0;
    {
      std::lock_guard lock(connection.mu);
      send_failed = connection.write_failed || !connection.queue.empty();
      unsent = connection.queue.size();
      connection.queue.clear();
    }
    log_->debug("{} stream with {} ended{}{}", connection.outbound ? "outbound" : "inbound",
                gossip::short_id_hex(pki_id), registered ? "" : " (no longer in use)",
                send_failed ? fmt::format(", {} messages unsent", unsent) : "");
    if (registered && send_failed) report_presumed_dead(pki_id);
  }

  void report_presumed_dead(const PeerId& pki_id) {
    asio::post(loop_, [shared = shared_, pki_id] {
      if (!shared->stopped && shared->callbacks.on_connection_lost) {
        shared->callbacks.on_connection_lost(pki_id);
      }
    });
  }

  // Whether one more dial thread may start (max_outbound_streams). Joins the finished
  // ones first; joining is immediate, they only have to exit.
  bool dial_capacity_locked() {
    for (const auto& id : finished_workers_) {
      if (auto it = workers_.find(id); it != workers_.end()) {
        it->second.join();
        workers_.erase(it);
      }
    }
    finished_workers_.clear();
    if (workers_.size() < std::max<std::size_t>(settings_.max_outbound_streams, 1)) return true;
    log_->debug("dial refused: {} outbound streams already", workers_.size());
    return false;
  }

  void start_dial_locked(const std::shared_ptr<PendingDial>& dial) {
    log_->debug("dialling {}{}{}", dial->endpoint, dial->expected ? " for " : "",
                dial->expected ? gossip::short_id_hex(*dial->expected) : "");
    calls_.insert(dial->call);
    std::thread worker([this, dial] {
      run_dial(dial);
      unregister_call(dial->call);
      std::lock_guard lock(mu_);
      finished_workers_.push_back(std::this_thread::get_id());
    });
    const auto id = worker.get_id();
    workers_.emplace(id, std::move(worker));
  }

  void dial_failed(PendingDial& dial, const std::string& reason) {
    std::lock_guard lock(mu_);
    forget_dial_locked(dial);
    log_->debug("dial to {} failed ({}), {} queued messages dropped", dial.endpoint, reason,
                dial.pending.size());
    ++counters_.dials_failed[reason];
    drop_locked("dial_failed", dial.pending.size());
    dial.pending.clear();
    if (stopping_) return;
    // Go reports a peer it cannot reach as presumed dead too (commImpl.disconnect).
    if (dial.expected) report_presumed_dead(*dial.expected);
    if (dial.probe) {
      asio::post(loop_, [shared = shared_, done = std::move(dial.probe_done), reason] {
        if (!shared->stopped && done) done(std::nullopt, reason);
      });
    }
  }

  void forget_dial_locked(const PendingDial& dial) {
    if (dial.probe) return;
    if (dial.expected) {
      auto it = dials_by_peer_.find(*dial.expected);
      if (it != dials_by_peer_.end() && it->second.get() == &dial) dials_by_peer_.erase(it);
    } else {
      auto it = dials_by_endpoint_.find(dial.endpoint);
      if (it != dials_by_endpoint_.end() && it->second.get() == &dial) {
        dials_by_endpoint_.erase(it);
      }
    }
  }

  // Retired streams close connTimeout after retirement (connection_table.h), by when
  // the remote has switched to the kept stream too.
  void close_retired_later() {
    after(settings_.conn_timeout, [this] {
      std::vector<std::shared_ptr<Connection>> expired;
      {
        std::lock_guard lock(mu_);
        expired = table_.take_expired();
      }
      for (auto& connection : expired) connection->close();
    });
  }

  void pend_locked(PendingDial& dial, MessagePtr message) {
    if (dial.pending.size() >= settings_.send_buffer_size) return drop_locked("queue_full");
    dial.pending.push_back(std::move(message));
  }

  void drop_locked(const std::string& reason, std::uint64_t count = 1) {
    if (count > 0) counters_.dropped[reason] += count;
  }

  // Counts a refused handshake; one a correct peer never causes (forged,
  // unknown CA, wrong PKI-ID) is also logged at warning, once a minute per remote
  // host and reason (the rest are counted and summed into the next report).
  void count_rejection(const std::string& key, const std::string& text, const std::string& remote) {
    std::uint64_t held_back = 0;
    bool report = false;
    {
      std::lock_guard lock(mu_);
      ++counters_.handshakes_rejected[key];
      counters_.last_rejection = text;
      const auto reason = gossip::drop_reason_from_name("handshake_" + key);
      if (reason && gossip::is_rejection(*reason)) {
        // gRPC names the remote "ipv4:10.0.0.7:51234": one report per host, not per port.
        const std::string host = remote.substr(0, remote.rfind(':'));
        if (rejection_reports_.size() >= kMaxRejectionReports) rejection_reports_.clear();
        RejectionReport& slot = rejection_reports_[host + " " + key];
        const auto now = std::chrono::steady_clock::now();
        if (now >= slot.next) {
          report = true;
          held_back = slot.held_back;
          slot = {now + kRejectionReportInterval, 0};
        } else {
          ++slot.held_back;
        }
      }
    }
    if (report)
      log_->warn("rejected a handshake from {}: {} ({}){}", remote, key, text,
                 held_back ? fmt::format("; {} more since the last report", held_back) : "");
  }
  struct RejectionReport {
    std::chrono::steady_clock::time_point next{};
    std::uint64_t held_back = 0;
  };
  static constexpr std::chrono::seconds kRejectionReportInterval{60};
  static constexpr std::size_t kMaxRejectionReports = 4096;
  std::unordered_map<std::string, RejectionReport> rejection_reports_;  // guarded by mu_

  void count_acceptance() {
    std::lock_guard lock(mu_);
    ++counters_.handshakes_accepted;
  }

  void unregister_call(const std::shared_ptr<CancellableCall>& call) {
    std::lock_guard lock(mu_);
    calls_.erase(call);
  }

  // Runs `action` on the timer thread after `delay` (never, once stop() has run).
  void after(Clock::duration delay, std::function<void()> action) {
    auto timer = std::make_shared<asio::steady_timer>(timer_io_, delay);
    timer->async_wait([timer, action = std::move(action)](const asio::error_code& error) {
      if (!error) action();
    });
  }

  const CommSettings settings_;
  const LocalIdentity self_;
  const std::shared_ptr<spdlog::logger> log_ = logging::get_logger("gossip.comm");
  asio::io_context& loop_;
  const std::shared_ptr<LoopShared> shared_;
  const Envelope own_conn_;       // sent on inbound streams
  const Envelope own_dial_conn_;  // sent on our dials
  const Envelope own_probe_;

  asio::io_context timer_io_;
  asio::executor_work_guard<asio::io_context::executor_type> timer_work_;
  std::thread timer_thread_;

  std::mutex lifecycle_mu_;  // serialises start() and stop()
  mutable std::mutex mu_;    // everything below; taken before any Connection::mu
  bool stopping_ = false;
  std::unique_ptr<GossipService> service_;  // declared first: outlives server_
  std::unique_ptr<grpc::Server> server_;
  std::string bound_address_;
  ConnectionTable table_;  // which stream carries traffic to each peer
  std::map<PeerId, std::shared_ptr<PendingDial>> dials_by_peer_;
  std::map<std::string, std::shared_ptr<PendingDial>> dials_by_endpoint_;
  std::set<std::shared_ptr<CancellableCall>> calls_;  // every RPC in flight, for stop()
  std::map<std::thread::id, std::thread> workers_;
  std::vector<std::thread::id> finished_workers_;
  std::size_t inbound_streams_ = 0;  // GossipStream handlers running, handshake or not
  CommStats counters_;
  std::atomic<std::uint64_t> envelopes_sent_{0};
  std::atomic<std::uint64_t> envelopes_received_{0};
};

grpc::Status GossipService::GossipStream(grpc::ServerContext* context, ServerStream* stream) {
  return comm_.serve_inbound(*context, *stream);
}

}  // namespace

std::unique_ptr<GrpcComm> GrpcComm::create(CommSettings settings, LocalIdentity self,
                                           const gossip::CryptoService& crypto,
                                           asio::io_context& loop, CommCallbacks callbacks) {
  return std::make_unique<GrpcCommImpl>(std::move(settings), std::move(self), crypto, loop,
                                        std::move(callbacks));
}

}  // namespace fabnet::comm
