#include "deliver/grpc_orderer_connector.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <asio/post.hpp>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "orderer/ab.grpc.pb.h"

namespace fabnet::deliver {

namespace {

using Clock = std::chrono::steady_clock;

// gRPC takes deadlines on the system clock only.
std::chrono::system_clock::time_point grpc_deadline(Clock::duration from_now) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(from_now);
}

int clamp_size(std::size_t size) {
  return size > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(size);
}

// What the reader thread and the loop share for one stream.
struct StreamState {
  OrdererConnector::EventHandler on_event;  // used on the loop only
  std::atomic<bool> closed{false};          // set on the loop by the handle
  std::mutex mu;
  std::condition_variable cv;
  grpc::ClientContext* context = nullptr;  // the live call, under mu
  std::size_t in_flight = 0;               // posted, not yet handled, under mu

  void cancel() {
    closed = true;
    std::lock_guard lock(mu);
    if (context != nullptr) context->TryCancel();
    cv.notify_all();
  }
};

struct Handle final : OrdererStream {
  explicit Handle(std::shared_ptr<StreamState> s) : state(std::move(s)) {}
  ~Handle() override { state->cancel(); }
  std::shared_ptr<StreamState> state;
};

}  // namespace

struct GrpcOrdererConnector::Impl {
  Impl(asio::io_context& l, GrpcOrdererSettings s) : loop(l), settings(s) {}

  // Posts `event` to the loop; waits while too many are queued. False once closed.
  bool post(const std::shared_ptr<StreamState>& state, OrdererEvent event) {
    {
      std::unique_lock lock(state->mu);
      state->cv.wait(
          lock, [&] { return state->closed || state->in_flight < settings.max_events_in_flight; });
      if (state->closed) return false;
      ++state->in_flight;
    }
    asio::post(loop, [state, event = std::move(event)]() mutable {
      {
        std::lock_guard lock(state->mu);
        --state->in_flight;
        state->cv.notify_all();
      }
      if (!state->closed) state->on_event(std::move(event));
    });
    return true;
  }

  void fail(const std::shared_ptr<StreamState>& state, std::string detail) {
    post(state, {OrdererEvent::Kind::kFailed, {}, common::UNKNOWN, std::move(detail)});
  }

  // Dial in short slices so that a close is not held up by the connect timeout.
  static bool wait_connected(grpc::Channel& channel, const StreamState& state,
                             Clock::time_point deadline) {
    for (;;) {
      const grpc_connectivity_state s = channel.GetState(/*try_to_connect=*/true);
      if (s == GRPC_CHANNEL_READY) return true;
      if (state.closed || Clock::now() >= deadline) return false;
      const Clock::duration left = deadline - Clock::now();
      channel.WaitForStateChange(
          s, grpc_deadline(std::min<Clock::duration>(left, std::chrono::milliseconds(50))));
    }
  }

  void run(const std::shared_ptr<StreamState>& state, const std::string& endpoint,
           const std::string& seek_envelope) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(clamp_size(settings.max_message_size));
    args.SetMaxSendMessageSize(clamp_size(settings.max_message_size));
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    // Fabric's deliver client keepalive (peer.keepalive.deliveryClient, protocol.md §11.2).
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    auto channel = grpc::CreateCustomChannel(
        endpoint, settings.credentials ? settings.credentials : grpc::InsecureChannelCredentials(),
        args);
    if (!wait_connected(*channel, *state, Clock::now() + settings.conn_timeout)) {
      return fail(state,
                  fmt::format("could not connect within {}ms{}", settings.conn_timeout.count(),
                              settings.credentials ? " over TLS (unreachable, or the TLS "
                                                     "handshake failed: CAs, certificate, SANs)"
                                                   : ""));
    }
    auto stub = orderer::AtomicBroadcast::NewStub(channel);
    grpc::ClientContext context;
    {
      std::lock_guard lock(state->mu);
      if (state->closed) return;
      state->context = &context;
    }
    run_call(state, *stub, context, seek_envelope);
    std::lock_guard lock(state->mu);
    state->context = nullptr;
  }

  void run_call(const std::shared_ptr<StreamState>& state, orderer::AtomicBroadcast::Stub& stub,
                grpc::ClientContext& context, const std::string& seek_envelope) {
    auto stream = stub.Deliver(&context);
    common::Envelope envelope;
    envelope.ParseFromString(seek_envelope);
    // No WritesDone: Fabric's client keeps its send side open for the stream's life.
    if (!stream->Write(envelope)) {
      const grpc::Status status = stream->Finish();
      return fail(state, fmt::format("sending the seek failed: {}", status.error_message()));
    }
    if (!post(state, {OrdererEvent::Kind::kConnected, {}, common::UNKNOWN, {}})) {
      context.TryCancel();
      stream->Finish();
      return;
    }
    orderer::DeliverResponse response;
    bool ended = false;
    while (!ended && stream->Read(&response)) {
      switch (response.Type_case()) {
        case orderer::DeliverResponse::kBlock:
          ended = !post(state, {OrdererEvent::Kind::kBlock,
                                response.block().SerializeAsString(),
                                common::UNKNOWN,
                                {}});
          break;
        case orderer::DeliverResponse::kStatus:
          post(state, {OrdererEvent::Kind::kStatus, {}, response.status(), {}});
          ended = true;
          break;
        default:
          fail(state, "response of unknown type");
          ended = true;
          break;
      }
    }
    if (ended) context.TryCancel();
    const grpc::Status status = stream->Finish();
    if (!ended && !state->closed) {
      fail(state, status.ok() ? std::string("orderer closed the stream without a status")
                              : fmt::format("stream broke: {} ({})", status.error_message(),
                                            static_cast<int>(status.error_code())));
    }
  }

  void reap() {
    std::lock_guard lock(threads_mu);
    for (const std::thread::id id : finished) {
      auto it = threads.find(id);
      if (it != threads.end()) {
        it->second.join();
        threads.erase(it);
      }
    }
    finished.clear();
  }

  asio::io_context& loop;
  GrpcOrdererSettings settings;
  std::mutex threads_mu;
  std::map<std::thread::id, std::thread> threads;
  std::vector<std::thread::id> finished;
  std::vector<std::weak_ptr<StreamState>> states;  // to cancel the rest on destruction
};

GrpcOrdererConnector::GrpcOrdererConnector(asio::io_context& loop, GrpcOrdererSettings settings)
    : impl_(std::make_unique<Impl>(loop, settings)) {}

GrpcOrdererConnector::~GrpcOrdererConnector() {
  for (const auto& weak : impl_->states)
    if (auto state = weak.lock()) state->cancel();
  std::map<std::thread::id, std::thread> threads;
  {
    std::lock_guard lock(impl_->threads_mu);
    threads.swap(impl_->threads);
  }
  for (auto& [id, thread] : threads) thread.join();
}

std::unique_ptr<OrdererStream> GrpcOrdererConnector::open(const std::string& endpoint,
                                                          std::string seek_envelope,
                                                          EventHandler on_event) {
  impl_->reap();
  std::erase_if(impl_->states, [](const auto& weak) { return weak.expired(); });
  auto state = std::make_shared<StreamState>();
  state->on_event = std::move(on_event);
  impl_->states.push_back(state);
  Impl* impl = impl_.get();
  std::lock_guard lock(impl->threads_mu);
  std::thread thread([impl, state, endpoint, seek = std::move(seek_envelope)] {
    impl->run(state, endpoint, seek);
    std::lock_guard lock(impl->threads_mu);
    impl->finished.push_back(std::this_thread::get_id());
  });
  const std::thread::id id = thread.get_id();
  impl->threads.emplace(id, std::move(thread));
  return std::make_unique<Handle>(std::move(state));
}

}  // namespace fabnet::deliver
