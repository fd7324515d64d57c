// Security on the wire and the wire format itself, against real peer processes.
// The test process joins the network as a probe: a full node (static follower,
// so it never disturbs the election) on its own event loop, using the spare
// identity of org1 that `fabnet crypto generate` made.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <cstdio>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include "comm/grpc_comm.h"
#include "crypto/msp.h"
#include "crypto/x509_crypto_service.h"
#include "gossip/message.grpc.pb.h"
#include "node/node.h"
#include "peer_network.h"
#include "runtime/asio_scheduler.h"
#include "wire/leadership_codec.h"

#ifndef FABNET_PROTOC
#error "FABNET_PROTOC must name protoc"
#endif
#ifndef FABNET_PROTO_DIR
#error "FABNET_PROTO_DIR must name the proto folder"
#endif

namespace fabnet::testing {
namespace {

// A node of our own, inside the test process, that records every envelope it receives.
class ProbePeer {
 public:
  ProbePeer(PeerNetwork& net, const std::string& org, const std::string& msp_id,
            const std::string& bootstrap, const std::string& channel)
      : msp_(crypto::load_local_msp(net.msp_dir(org, "peer3"), msp_id)),
        crypto_(msp_),
        scheduler_(io_),
        work_(asio::make_work_guard(io_)) {
    const int port = free_tcp_port();
    endpoint_ = "127.0.0.1:" + std::to_string(port);
    run_on_loop([&] {
      comm::CommSettings cs;
      cs.listen_address = endpoint_;
      comm::CommCallbacks callbacks;
      callbacks.on_message = [this](const gossip::ConnectionInfo& from, gossip::MessagePtr m) {
        {
          std::lock_guard lock(mutex_);
          received_.push_back({from, m});
        }
        if (node_) node_->on_message(from, m);
      };
      callbacks.check_identity = [](const gossip::PeerId&, const std::string&) {
        return std::string();
      };
      callbacks.on_connection_lost = [](const gossip::PeerId&) {};
      comm_ = comm::GrpcComm::create(cs, {crypto_.pki_id(), crypto_.identity()}, crypto_, io_,
                                     std::move(callbacks));
      EXPECT_EQ(comm_->start(), "");
      node::NodeSettings s;
      s.self = {crypto_.pki_id(), crypto_.identity(), msp_id, endpoint_, "", 1};
      s.discovery.alive_time_interval = std::chrono::milliseconds(500);
      s.discovery.alive_expiration_timeout = std::chrono::milliseconds(2500);
      s.discovery.reconnect_interval = std::chrono::milliseconds(2500);
      s.discovery.bootstrap = {bootstrap};
      s.election = election::ElectionTimings::fabric_test_timings();
      s.publish_state_info_interval = std::chrono::milliseconds(500);
      s.request_state_info_interval = std::chrono::milliseconds(500);
      s.leader_mode = election::LeaderMode::kStaticFollower;
      s.channels = {{channel, {"Org1MSP", "Org2MSP"}}};
      s.join_at_start = {channel};
      node_ = std::make_unique<node::Node>(s, scheduler_, *comm_, crypto_);
      node_->start();
    });
  }
  ~ProbePeer() {
    run_on_loop([&] {
      node_->stop();
      comm_->stop();
      node_.reset();
    });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  void run_on_loop(std::function<void()> work) {
    std::promise<void> done;
    asio::post(io_, [&] {
      work();
      done.set_value();
    });
    done.get_future().wait();
  }

  // Sends an Envelope made of exactly these parts to `endpoint`.
  void send_raw(const std::string& endpoint, ::gossip::GossipMessage message,
                std::optional<std::string> signature = std::nullopt) {
    auto sealed = std::make_shared<gossip::SignedGossip>();
    sealed->payload = message.SerializeAsString();
    sealed->signature = signature ? *signature : crypto_.sign(sealed->payload);
    sealed->message = std::move(message);
    run_on_loop([&] { comm_->send_to_endpoint(endpoint, sealed); });
  }
  void send_sealed(const std::string& endpoint, gossip::MessagePtr sealed) {
    run_on_loop([&] { comm_->send_to_endpoint(endpoint, sealed); });
  }

  // The newest received message matching `predicate`.
  gossip::MessagePtr find(const std::function<bool(const gossip::SignedGossip&)>& predicate) {
    std::lock_guard lock(mutex_);
    for (auto it = received_.rbegin(); it != received_.rend(); ++it)
      if (predicate(*it->second)) return it->second;
    return nullptr;
  }

  // The newest leader declaration received, waiting up to `timeout` for one.
  gossip::MessagePtr wait_for_declaration(milliseconds timeout) {
    gossip::MessagePtr found;
    PeerNetwork::wait_until(
        [&] {
          found = find([](const gossip::SignedGossip& m) {
            return m.message.has_leadership_msg() && m.message.leadership_msg().is_declaration();
          });
          return found != nullptr;
        },
        timeout);
    return found;
  }

  const gossip::PeerId& pki_id() const { return crypto_.pki_id(); }
  const crypto::X509CryptoService& crypto() const { return crypto_; }

 private:
  crypto::LocalMsp msp_;
  crypto::X509CryptoService crypto_;
  asio::io_context io_;
  runtime::AsioScheduler scheduler_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_{[this] { io_.run(); }};
  std::string endpoint_;
  std::unique_ptr<comm::GrpcComm> comm_;
  std::unique_ptr<node::Node> node_;
  std::mutex mutex_;
  std::vector<std::pair<gossip::ConnectionInfo, gossip::MessagePtr>> received_;
};

double sum_metrics(PeerNetwork& net, const std::string& id, const std::string& prefix) {
  double total = 0;
  std::istringstream lines(net.metrics(id));
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(prefix, 0) == 0) total += std::stod(line.substr(line.rfind(' ') + 1));
  return total;
}

std::string run_protoc_decode(const std::string& type, const std::string& bytes) {
  char in_path[] = "/tmp/fabnet-wire-XXXXXX";
  const int fd = ::mkstemp(in_path);
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  const std::string command = std::string(FABNET_PROTOC) + " --decode=" + type + " -I " +
                              FABNET_PROTO_DIR + " " + FABNET_PROTO_DIR +
                              "/gossip/message.proto < " + in_path + " 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    ::pclose(pipe);
  }
  ::unlink(in_path);
  return out;
}

class SecurityProcesses : public ::testing::Test {
 protected:
  SecurityProcesses() : net_({"org1", "org2"}, 3, {{"ch1", {0, 1, 2}}}) {}
  void SetUp() override {
    net_.start_all();
    ASSERT_TRUE(PeerNetwork::wait_until(
        [&] {
          return net_.settled("ch1", "org1", &leader1_) && net_.settled("ch1", "org2", &leader2_);
        },
        milliseconds(30000)));
  }
  PeerNetwork net_;
  std::string leader1_, leader2_;
};

TEST_F(SecurityProcesses, ImpostorWithAnotherOrgsCertificateIsRefusedAtTheHandshake) {
  // A certificate issued by Org2's CA, presented as Org1MSP.
  PeerProcess& impostor = net_.add_impostor("peer3", "org2", "Org1MSP", "ch1");
  net_.start(impostor.id());
  const std::string target = net_.members("ch1", "org1").front();
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] {
        return sum_metrics(net_, target,
                           "gossip_comm_messages_dropped{reason=\"handshake_identity_rejected\"}") >
               0;
      },
      milliseconds(15000)))
      << net_.metrics(target) << net_.log_tail(impostor.id());
  // ... and said so in the target's log, at warning (once a minute per host and reason).
  EXPECT_TRUE(PeerNetwork::wait_until(
      [&] {
        return net_.log_tail(target, 200).find("WARN [gossip.comm] rejected a handshake from") !=
               std::string::npos;
      },
      milliseconds(5000)))
      << net_.log_tail(target, 40);
  // It never enters an org1 view, and org1 keeps its leader.
  for (const auto& id : net_.members("ch1", "org1")) {
    auto s = net_.status(id);
    ASSERT_TRUE(s);
    EXPECT_EQ((*s)["channels"]["ch1"]["view"].size(), 2u) << id;
  }
  std::string leader;
  EXPECT_TRUE(net_.settled("ch1", "org1", &leader));
  EXPECT_EQ(leader, leader1_);
}

TEST_F(SecurityProcesses, ForgedReplayedAndForeignLeadershipIsDroppedAndCounted) {
  ProbePeer probe(net_, "org1", "Org1MSP", net_.peer(leader1_).endpoint(), "ch1");
  // Wait until the probe receives the leader's declarations (it is in the view).
  const gossip::MessagePtr captured = probe.wait_for_declaration(milliseconds(15000));
  ASSERT_NE(captured, nullptr) << "the probe never received a declaration";
  std::string follower;
  for (const auto& id : net_.members("ch1", "org1"))
    if (id != leader1_) follower = id;
  const std::string follower_endpoint = net_.peer(follower).endpoint();
  const double bad_before =
      sum_metrics(net_, follower, "gossip_comm_messages_dropped{reason=\"bad_signature\"}");
  const double stale_before =
      sum_metrics(net_, follower, "gossip_comm_messages_dropped{reason=\"stale\"}");

  // 1. Our own declaration with a broken signature.
  const auto declaration = [](const std::string& pki, std::uint64_t seq) {
    return wire::to_gossip_message({pki, {42, seq}, true}, "ch1");
  };
  probe.send_raw(follower_endpoint, declaration(probe.pki_id(), 1),
                 std::string("\x30\x06\x02\x01\x01\x02\x01\x01", 8));
  // 2. A declaration in the name of the real leader, signed with our key.
  const std::string leader_pki = captured->message.leadership_msg().pki_id();
  probe.send_raw(follower_endpoint, declaration(leader_pki, 1'000'000));
  // 3. The leader's genuine declaration replayed later: an old PeerTime. Sent once
  //    the leader has declared again: the leader gossips each declaration to the
  //    probe and the follower alike, so by then the follower holds a newer one.
  const std::uint64_t captured_seq = captured->message.leadership_msg().timestamp().seq_num();
  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] {
        return probe.find([&](const gossip::SignedGossip& m) {
          return m.message.has_leadership_msg() &&
                 m.message.leadership_msg().pki_id() == leader_pki &&
                 m.message.leadership_msg().timestamp().seq_num() > captured_seq;
        }) != nullptr;
      },
      milliseconds(10000)))
      << "the leader never declared again";
  probe.send_sealed(follower_endpoint, captured);

  ASSERT_TRUE(PeerNetwork::wait_until(
      [&] {
        return sum_metrics(net_, follower,
                           "gossip_comm_messages_dropped{reason=\"bad_signature\"}") >=
                   bad_before + 2 &&
               sum_metrics(net_, follower, "gossip_comm_messages_dropped{reason=\"stale\"}") >=
                   stale_before + 1;
      },
      milliseconds(10000)))
      << net_.metrics(follower);
  // The forgeries are logged too, at warning, with the reason (the replay is only counted).
  EXPECT_TRUE(PeerNetwork::wait_until(
      [&] {
        return net_.log_tail(follower, 200).find("WARN [gossip.gossip] rejected leadership_msg") !=
               std::string::npos;
      },
      milliseconds(5000)))
      << net_.log_tail(follower, 40);

  // 4. A validly signed declaration from another org's peer.
  ProbePeer foreign(net_, "org2", "Org2MSP", net_.peer(leader2_).endpoint(), "ch1");
  foreign.send_raw(follower_endpoint, declaration(foreign.pki_id(), 5));
  EXPECT_TRUE(PeerNetwork::wait_until(
      [&] {
        return sum_metrics(net_, follower,
                           "gossip_comm_messages_dropped{reason=\"sender_other_org\"}") >= 1;
      },
      milliseconds(10000)))
      << net_.metrics(follower);

  // Nobody's leadership changed.
  std::string leader;
  EXPECT_TRUE(net_.settled("ch1", "org1", &leader));
  EXPECT_EQ(leader, leader1_);
  EXPECT_TRUE(net_.settled("ch1", "org2", &leader));
  EXPECT_EQ(leader, leader2_);
}

TEST_F(SecurityProcesses, CapturedEnvelopeDecodesWithProtocAgainstOurProtos) {
  ProbePeer probe(net_, "org1", "Org1MSP", net_.peer(leader1_).endpoint(), "ch1");
  const gossip::MessagePtr captured = probe.wait_for_declaration(milliseconds(15000));
  ASSERT_NE(captured, nullptr) << "the probe never received a declaration";
  // Rebuild the Envelope from the bytes exactly as received (no re-serialisation of the payload).
  ::gossip::Envelope envelope;
  envelope.set_payload(captured->payload);
  envelope.set_signature(captured->signature);
  const std::string envelope_text =
      run_protoc_decode("gossip.Envelope", envelope.SerializeAsString());
  EXPECT_NE(envelope_text.find("payload: \""), std::string::npos) << envelope_text;
  EXPECT_NE(envelope_text.find("signature: \""), std::string::npos) << envelope_text;

  const std::string text = run_protoc_decode("gossip.GossipMessage", captured->payload);
  // protocol.md §9.2: nonce 0 (omitted), channel bytes, tag CHAN_AND_ORG, leadership_msg.
  EXPECT_EQ(text.find("nonce:"), std::string::npos) << text;
  EXPECT_NE(text.find("channel: \"ch1\""), std::string::npos) << text;
  EXPECT_NE(text.find("tag: CHAN_AND_ORG"), std::string::npos) << text;
  EXPECT_NE(text.find("leadership_msg {"), std::string::npos) << text;
  EXPECT_NE(text.find("pki_id: \""), std::string::npos) << text;
  EXPECT_NE(text.find("inc_num: "), std::string::npos) << text;
  EXPECT_NE(text.find("seq_num: "), std::string::npos) << text;
  EXPECT_NE(text.find("is_declaration: true"), std::string::npos) << text;
  // The PKI-ID is 32 bytes (SHA-256, protocol.md §3.1) and the signature verifies
  // over the received payload with the leader's identity.
  EXPECT_EQ(captured->message.leadership_msg().pki_id().size(), 32u);
  EXPECT_EQ(net_.peer(leader1_).pki_id_hex.size(), 64u);
}

TEST_F(SecurityProcesses, GarbageOnTheGossipPortLeavesThePeerRunning) {
  const std::string target = net_.members("ch1", "org1").back();
  const double sent_before = sum_metrics(net_, target, "gossip_comm_messages_sent");
  std::mt19937 random(7);
  const auto blast = [&](const std::string& bytes) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(net_.peer(target).gossip_port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      (void)!::write(fd, bytes.data(), bytes.size());
    ::close(fd);
  };
  for (int i = 0; i < 20; ++i) {
    std::string noise(1 + random() % 4096, '\0');
    for (char& c : noise) c = static_cast<char>(random());
    blast(noise);
  }
  // An HTTP/2 preface, then a DATA frame header that promises more than follows.
  blast(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
        std::string("\x00\xff\xff\x00\x00\x00\x00\x00\x01", 9));

  // Through gRPC: an unparsable frame and an oversized one (> 100 MiB).
  auto channel =
      grpc::CreateChannel(net_.peer(target).endpoint(), grpc::InsecureChannelCredentials());
  {
    auto stub = ::gossip::Gossip::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto stream = stub->GossipStream(&context);
    ::gossip::Envelope junk;
    junk.set_payload(std::string("\xff\xff\xff", 3));
    stream->Write(junk);
    ::gossip::Envelope huge;
    huge.set_payload(std::string(100 * 1024 * 1024 + 1024, 'x'));
    stream->Write(huge);
    stream->WritesDone();
    ::gossip::Envelope ignored;
    while (stream->Read(&ignored)) {
    }
    (void)stream->Finish();
  }

  ASSERT_TRUE(net_.running(target)) << net_.log_tail(target);
  httplib::Client client("127.0.0.1", net_.peer(target).ops_port);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // Metrics still render and keep counting; the election is undisturbed.
  EXPECT_TRUE(PeerNetwork::wait_until(
      [&] { return sum_metrics(net_, target, "gossip_comm_messages_sent") > sent_before; },
      milliseconds(5000)));
  std::string leader;
  EXPECT_TRUE(net_.settled("ch1", "org1", &leader));
  EXPECT_EQ(leader, leader1_);
}

}  // namespace
}  // namespace fabnet::testing
