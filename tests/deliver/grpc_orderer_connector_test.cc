#include "deliver/grpc_orderer_connector.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "orderer/ab.grpc.pb.h"

namespace fabnet::deliver {
namespace {

using namespace std::chrono_literals;

// Answers a seek with `blocks` blocks, then either a status or holds the stream open
// until the client cancels.
class TestOrderer final : public orderer::AtomicBroadcast::Service {
 public:
  int blocks = 3;
  bool hold_open = false;
  std::atomic<int> cancelled{0};
  std::atomic<std::uint64_t> seek_start{0};

  grpc::Status Broadcast(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<orderer::BroadcastResponse, common::Envelope>*) override {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
  }
  grpc::Status Deliver(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<orderer::DeliverResponse, common::Envelope>* stream) override {
    common::Envelope envelope;
    if (!stream->Read(&envelope)) return grpc::Status::OK;
    common::Payload payload;
    orderer::SeekInfo seek;
    payload.ParseFromString(envelope.payload());
    seek.ParseFromString(payload.data());
    seek_start = seek.start().specified().number();
    for (int i = 0; i < blocks; ++i) {
      orderer::DeliverResponse response;
      response.mutable_block()->mutable_header()->set_number(seek_start + i);
      stream->Write(response);
    }
    if (hold_open) {
      while (!context->IsCancelled()) std::this_thread::yield();
      ++cancelled;
      return grpc::Status::CANCELLED;
    }
    orderer::DeliverResponse status;
    status.set_status(common::NOT_FOUND);
    stream->Write(status);
    return grpc::Status::OK;
  }
};

class GrpcOrdererConnectorTest : public ::testing::Test {
 protected:
  void start_server() {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    ASSERT_NE(server, nullptr);
    endpoint = "127.0.0.1:" + std::to_string(port);
  }
  void TearDown() override {
    if (server) server->Shutdown(std::chrono::system_clock::now() + 1s);
  }
  // Runs the loop until `done` or 10 s (a bound, not a wait: it returns as soon as done).
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      loop.restart();
      loop.run_for(10ms);
    }
    return done();
  }
  static std::string seek_from(std::uint64_t start) {
    orderer::SeekInfo seek;
    seek.mutable_start()->mutable_specified()->set_number(start);
    common::Payload payload;
    payload.set_data(seek.SerializeAsString());
    common::Envelope envelope;
    envelope.set_payload(payload.SerializeAsString());
    return envelope.SerializeAsString();
  }

  TestOrderer service;
  std::unique_ptr<grpc::Server> server;
  std::string endpoint;
  asio::io_context loop;
  std::vector<OrdererEvent> events;
};

TEST_F(GrpcOrdererConnectorTest, SendsTheSeekAndReportsConnectedBlocksAndStatusInOrder) {
  start_server();
  GrpcOrdererConnector connector(loop, {});
  auto stream = connector.open(endpoint, seek_from(7),
                               [this](OrdererEvent e) { events.push_back(std::move(e)); });
  ASSERT_TRUE(run_until(
      [&] { return !events.empty() && events.back().kind == OrdererEvent::Kind::kStatus; }));
  EXPECT_EQ(service.seek_start, 7u);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind, OrdererEvent::Kind::kConnected);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(events[1 + i].kind, OrdererEvent::Kind::kBlock);
    common::Block block;
    ASSERT_TRUE(block.ParseFromString(events[1 + i].block));
    EXPECT_EQ(block.header().number(), 7u + i);
  }
  EXPECT_EQ(events[4].status, common::NOT_FOUND);
}

TEST_F(GrpcOrdererConnectorTest, UnreachableEndpointFailsWithinConnTimeout) {
  // A port nobody listens on: bind one, then close it.
  start_server();
  const std::string dead = endpoint;
  server->Shutdown(std::chrono::system_clock::now());
  server.reset();
  GrpcOrdererConnector connector(loop, {.conn_timeout = 300ms});
  const auto began = std::chrono::steady_clock::now();
  auto stream = connector.open(dead, seek_from(0),
                               [this](OrdererEvent e) { events.push_back(std::move(e)); });
  ASSERT_TRUE(run_until([&] { return !events.empty(); }));
  EXPECT_EQ(events[0].kind, OrdererEvent::Kind::kFailed);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
}

TEST_F(GrpcOrdererConnectorTest, ClosingTheStreamCancelsTheCallAndSilencesIt) {
  service.hold_open = true;
  start_server();
  auto connector = std::make_unique<GrpcOrdererConnector>(loop, GrpcOrdererSettings{});
  auto stream = connector->open(endpoint, seek_from(0),
                                [this](OrdererEvent e) { events.push_back(std::move(e)); });
  ASSERT_TRUE(run_until([&] { return events.size() == 4; }));  // connected + 3 blocks
  stream.reset();
  ASSERT_TRUE(run_until([&] { return service.cancelled == 1; }));
  connector.reset();  // joins the reader thread
  loop.restart();
  loop.poll();
  EXPECT_EQ(events.size(), 4u);
}

}  // namespace
}  // namespace fabnet::deliver
