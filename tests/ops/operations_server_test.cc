// The operations endpoint over real loopback HTTP: each test starts a server on
// an ephemeral port and talks to it with cpp-httplib's client (bounded timeouts).

#include "ops/operations_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <stdexcept>
#include <string>

#include "logging/logger.h"
#include "ops/gossip_metrics.h"

namespace fabnet::ops {
namespace {

using nlohmann::json;

class OperationsServerTest : public ::testing::Test {
 protected:
  // Starts a server with `routes` on 127.0.0.1:0 and returns a client for it.
  httplib::Client& serve(OperationsRoutes routes) {
    if (routes.metrics == nullptr) routes.metrics = &registry_;
    server_ = std::make_unique<OperationsServer>(std::move(routes));
    const std::string error = server_->start("127.0.0.1:0");
    EXPECT_EQ(error, "");
    EXPECT_NE(server_->bound_port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->bound_port());
    client_->set_connection_timeout(2);
    client_->set_read_timeout(5);
    client_->set_write_timeout(5);
    return *client_;
  }

  static json body_of(const httplib::Result& res) { return json::parse(res->body); }

  OperationsRoutes routes_with_metrics() {
    OperationsRoutes routes;
    routes.metrics = &registry_;
    return routes;
  }

  void TearDown() override { logging::set_logging_spec(logging::LoggingSpec{}); }

  MetricsRegistry registry_;
  std::unique_ptr<OperationsServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(OperationsServerTest, HealthzIsOkWhenEveryCheckPasses) {
  OperationsRoutes routes;
  routes.health_checks.push_back({"gossip", [] { return std::string(); }});
  auto res = serve(std::move(routes)).Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const json body = body_of(res);
  EXPECT_EQ(body["status"], "OK");
  EXPECT_TRUE(body["time"].is_string());
  EXPECT_FALSE(body.contains("failed_checks"));
}

TEST_F(OperationsServerTest, HealthzIsUnavailableAndNamesEachFailedCheck) {
  OperationsRoutes routes;
  routes.health_checks.push_back({"gossip", [] { return std::string("no gossip listener"); }});
  routes.health_checks.push_back({"election", [] { return std::string(); }});
  routes.health_checks.push_back(
      {"ledger", []() -> std::string { throw std::runtime_error("disk gone"); }});
  auto res = serve(std::move(routes)).Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 503);
  const json body = body_of(res);
  EXPECT_EQ(body["status"], "Service Unavailable");
  ASSERT_EQ(body["failed_checks"].size(), 2u);
  EXPECT_EQ(body["failed_checks"][0],
            (json{{"component", "gossip"}, {"reason", "no gossip listener"}}));
  EXPECT_EQ(body["failed_checks"][1]["component"], "ledger");
  EXPECT_EQ(body["failed_checks"][1]["reason"], "health check failed: disk gone");
}

TEST_F(OperationsServerTest, MetricsServesPrometheusText) {
  GossipMetrics metrics(registry_);
  metrics.leader.with({"mychannel"}).set(1);
  metrics.connections.with().set(3);
  auto& client = serve({});
  metrics.messages_sent.with({"alive_msg"}).inc(4);  // counted after start: read live
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res->body, registry_.render_prometheus());
  EXPECT_NE(res->body.find("gossip_leader_election_leader{channel=\"mychannel\"} 1\n"),
            std::string::npos);
  EXPECT_NE(res->body.find("gossip_comm_messages_sent{type=\"alive_msg\"} 4\n"), std::string::npos);
}

TEST_F(OperationsServerTest, StatusServesTheProvidersJson) {
  OperationsRoutes routes;
  routes.status = [] {
    return json{{"id", "peer0.org1.example.com"},
                {"channels", {{"mychannel", {{"leader", "peer1.org1.example.com:7051"}}}}}};
  };
  auto res = serve(std::move(routes)).Get("/status");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(body_of(res)["channels"]["mychannel"]["leader"], "peer1.org1.example.com:7051");
}

TEST_F(OperationsServerTest, RoutesWithoutProviderAnswerNotFound) {
  auto& client = serve({});
  auto status = client.Get("/status");
  ASSERT_TRUE(status) << httplib::to_string(status.error());
  EXPECT_EQ(status->status, 404);
  EXPECT_TRUE(body_of(status)["error"].is_string());
  auto join = client.Post("/channels/join?channel=mychannel");
  ASSERT_TRUE(join) << httplib::to_string(join.error());
  EXPECT_EQ(join->status, 404);
}

TEST_F(OperationsServerTest, JoinCallsTheProviderWithTheChannel) {
  std::string joined;
  OperationsRoutes routes;
  routes.join_channel = [&joined](const std::string& channel) {
    joined = channel;
    return std::string();
  };
  auto res = serve(std::move(routes)).Post("/channels/join?channel=mychannel");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(body_of(res), (json{{"channel", "mychannel"}, {"status", "joined"}}));
  EXPECT_EQ(joined, "mychannel");
}

TEST_F(OperationsServerTest, JoinReportsTheProvidersError) {
  OperationsRoutes routes;
  routes.join_channel = [](const std::string& channel) {
    return "channel " + channel + " is not in the channel definitions";
  };
  auto res = serve(std::move(routes)).Post("/channels/join?channel=other");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(body_of(res), (json{{"channel", "other"},
                                {"error", "channel other is not in the channel definitions"}}));
}

TEST_F(OperationsServerTest, JoinWithoutChannelIsABadRequest) {
  std::atomic<int> calls{0};
  OperationsRoutes routes;
  routes.join_channel = [&calls](const std::string&) {
    ++calls;
    return std::string();
  };
  auto& client = serve(std::move(routes));
  for (const char* path : {"/channels/join", "/channels/join?channel="}) {
    auto res = client.Post(path);
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 400) << path;
    EXPECT_NE(body_of(res)["error"].get<std::string>().find("channel"), std::string::npos);
  }
  EXPECT_EQ(calls, 0);
}

TEST_F(OperationsServerTest, ProviderExceptionBecomesInternalError) {
  OperationsRoutes routes;
  routes.status = []() -> json { throw std::runtime_error("event loop gone"); };
  auto res = serve(std::move(routes)).Get("/status");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(body_of(res)["error"], "internal error: event loop gone");
}

TEST_F(OperationsServerTest, LogSpecCanBeReadAndSet) {
  auto& client = serve({});
  auto get = client.Get("/logspec");
  ASSERT_TRUE(get) << httplib::to_string(get.error());
  EXPECT_EQ(body_of(get), (json{{"spec", "info"}}));

  auto put = client.Put("/logspec", R"({"spec":"gossip.election=debug:warn"})", "application/json");
  ASSERT_TRUE(put) << httplib::to_string(put.error());
  EXPECT_EQ(put->status, 204);
  EXPECT_EQ(logging::get_logger("gossip.election")->level(), spdlog::level::debug);
  EXPECT_EQ(body_of(client.Get("/logspec")), (json{{"spec", "gossip.election=debug:warn"}}));
}

TEST_F(OperationsServerTest, BadLogSpecIsRefusedAndChangesNothing) {
  auto& client = serve({});
  auto bad_level = client.Put("/logspec", R"({"spec":"loud"})", "application/json");
  ASSERT_TRUE(bad_level) << httplib::to_string(bad_level.error());
  EXPECT_EQ(bad_level->status, 400);
  EXPECT_NE(body_of(bad_level)["error"].get<std::string>().find("unknown level \"loud\""),
            std::string::npos);
  auto not_json = client.Put("/logspec", "debug", "text/plain");
  ASSERT_TRUE(not_json) << httplib::to_string(not_json.error());
  EXPECT_EQ(not_json->status, 400);
  EXPECT_EQ(logging::active_logging_spec(), logging::LoggingSpec{});
}

TEST_F(OperationsServerTest, UnknownPathIsNotFoundAndWrongMethodNotAllowed) {
  auto& client = serve({});
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing) << httplib::to_string(missing.error());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body_of(missing)["error"], "no such endpoint: GET /nope");

  auto wrong = client.Post("/healthz");
  ASSERT_TRUE(wrong) << httplib::to_string(wrong.error());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "GET");
  auto wrong_join = client.Get("/channels/join?channel=x");
  ASSERT_TRUE(wrong_join) << httplib::to_string(wrong_join.error());
  EXPECT_EQ(wrong_join->status, 405);
  EXPECT_EQ(wrong_join->get_header_value("Allow"), "POST");
}

TEST_F(OperationsServerTest, PortInUseIsAnErrorNamingTheAddress) {
  serve({});
  const std::string address = "127.0.0.1:" + std::to_string(server_->bound_port());
  OperationsServer second(routes_with_metrics());
  const std::string error = second.start(address);
  EXPECT_EQ(error, "operations endpoint " + address + ": cannot listen: Address already in use");
  EXPECT_EQ(second.bound_port(), 0);
}

TEST_F(OperationsServerTest, BadAddressIsAnError) {
  OperationsServer server(routes_with_metrics());
  EXPECT_NE(server.start("9443").find("listen address \"9443\": no port"), std::string::npos);
  EXPECT_NE(server.start("127.0.0.1:70000").find("not a number from 0 to 65535"),
            std::string::npos);
  // An address this host does not have.
  EXPECT_NE(server.start("192.0.2.1:0").find("cannot listen"), std::string::npos);
  // After failures the server can still start.
  EXPECT_EQ(server.start("127.0.0.1:0"), "");
}

TEST_F(OperationsServerTest, StopIsIdempotentAndFinal) {
  auto& client = serve({});
  const auto port = server_->bound_port();
  EXPECT_EQ(server_->start("127.0.0.1:0"), "operations endpoint 127.0.0.1:0: already started");
  server_->stop();
  server_->stop();
  EXPECT_EQ(server_->bound_port(), 0);
  auto res = client.Get("/healthz");
  EXPECT_FALSE(res) << "still answering on port " << port;
  EXPECT_NE(server_->start("127.0.0.1:0").find("stopped"), std::string::npos);
}

TEST_F(OperationsServerTest, StopWithoutStartDoesNothing) {
  OperationsServer server(routes_with_metrics());
  server.stop();
  EXPECT_EQ(server.bound_port(), 0);
}

}  // namespace
}  // namespace fabnet::ops
