#include "comm/grpc_comm.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <array>
#include <asio/connect.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "fake_crypto.h"
#include "gossip/message.grpc.pb.h"

// Loopback only, real time but bounded: every wait polls the event loop with a deadline.

namespace fabnet::comm {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ::gossip::Envelope;

CommSettings test_settings() {
  CommSettings settings;
  settings.listen_address = "127.0.0.1:0";
  settings.dial_timeout = 2s;
  settings.conn_timeout = 1s;
  settings.send_buffer_size = 20;
  return settings;
}

MessagePtr gossip_message(std::uint64_t nonce, std::string filler = "") {
  auto signed_gossip = std::make_shared<gossip::SignedGossip>();
  signed_gossip->message.set_nonce(nonce);
  signed_gossip->message.set_tag(::gossip::GossipMessage::EMPTY);
  signed_gossip->message.set_channel(filler);
  signed_gossip->message.mutable_empty();
  signed_gossip->payload = signed_gossip->message.SerializeAsString();
  return signed_gossip;
}

// The ConnEstablish a raw client presents; `signature` overrides the honest one.
Envelope conn_envelope(const std::string& name, bool probe = false,
                       std::optional<std::string> signature = std::nullopt) {
  ::gossip::GossipMessage message;
  message.set_tag(::gossip::GossipMessage::EMPTY);
  message.mutable_conn()->set_pki_id(name);
  message.mutable_conn()->set_identity(identity_of(name));
  message.mutable_conn()->set_probe(probe);
  Envelope envelope;
  envelope.set_payload(message.SerializeAsString());
  envelope.set_signature(signature ? *signature : FakeCrypto(name).sign(envelope.payload()));
  return envelope;
}

// One peer: its transport plus what reached its node callbacks.
struct Peer {
  Peer(const std::string& peer_name, asio::io_context& loop,
       CommSettings settings = test_settings())
      : name(peer_name), crypto(peer_name) {
    CommCallbacks callbacks;
    callbacks.on_message = [this](const ConnectionInfo& from, MessagePtr message) {
      received.emplace_back(from, std::move(message));
    };
    callbacks.check_identity = [this](const PeerId&, const std::string&) { return refuse; };
    callbacks.on_connection_lost = [this](const PeerId& peer) { lost.push_back(peer); };
    comm = GrpcComm::create(std::move(settings), LocalIdentity{peer_name, identity_of(peer_name)},
                            crypto, loop, std::move(callbacks));
    start_error = comm->start();
  }

  std::string address() const { return comm->bound_address(); }
  std::uint64_t rejected(const std::string& reason) const {
    const auto stats = comm->stats();
    auto it = stats.handshakes_rejected.find(reason);
    return it == stats.handshakes_rejected.end() ? 0 : it->second;
  }

  std::string name;
  FakeCrypto crypto;
  std::string refuse;  // what check_identity answers for every remote ("" accepts)
  std::vector<std::pair<ConnectionInfo, MessagePtr>> received;
  std::vector<PeerId> lost;
  std::string start_error;
  std::unique_ptr<GrpcComm> comm;  // last: stopped before the fields its callbacks use
};

// A gossip client driven by hand through the generated stub.
class RawClient {
 public:
  explicit RawClient(const std::string& address) {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    stub_ = ::gossip::Gossip::NewStub(channel_);
    context_.set_deadline(std::chrono::system_clock::now() + 10s);
    stream_ = stub_->GossipStream(&context_);
  }
  ~RawClient() {
    if (finished_) return;
    context_.TryCancel();
    stream_->Finish();
  }

  bool write(const Envelope& envelope) { return stream_->Write(envelope); }
  bool read(Envelope* envelope) { return stream_->Read(envelope); }
  // Reads until the server ends the RPC, then its status.
  grpc::Status finish() {
    Envelope ignored;
    while (stream_->Read(&ignored)) {
    }
    finished_ = true;
    return stream_->Finish();
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::gossip::Gossip::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<Envelope, Envelope>> stream_;
  bool finished_ = false;
};

class GrpcCommTest : public ::testing::Test {
 protected:
  // Runs the loop in small steps until `done` holds; false after `limit`.
  bool run_until(const std::function<bool()>& done, Clock::duration limit = 5s) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      loop_.run_for(5ms);
    }
    return true;
  }
  void run_for(Clock::duration duration) {
    run_until([] { return false; }, duration);
  }

  asio::io_context loop_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(loop_);
};

TEST_F(GrpcCommTest, ExchangesMessagesBothWaysOverOneConnection) {
  Peer a("peerA", loop_), b("peerB", loop_);
  ASSERT_EQ(a.start_error, "");
  ASSERT_EQ(b.start_error, "");
  ASSERT_TRUE(a.comm->listening());

  for (std::uint64_t i = 1; i <= 3; ++i) a.comm->send("peerB", b.address(), gossip_message(i));
  ASSERT_TRUE(run_until([&] { return b.received.size() == 3; }));
  for (std::uint64_t i = 0; i < 3; ++i) EXPECT_EQ(b.received[i].second->message.nonce(), i + 1);
  EXPECT_EQ(b.received[0].first.pki_id, "peerA");
  EXPECT_EQ(b.received[0].first.identity, identity_of("peerA"));

  // No endpoint: the reply can only use the inbound stream (protocol.md §4.3).
  b.comm->send("peerA", "", gossip_message(42));
  ASSERT_TRUE(run_until([&] { return a.received.size() == 1; }));
  EXPECT_EQ(a.received[0].first.pki_id, "peerB");
  EXPECT_EQ(a.received[0].first.endpoint, b.address());
  EXPECT_EQ(a.received[0].second->message.nonce(), 42u);

  for (auto* peer : {&a, &b}) {
    const auto stats = peer->comm->stats();
    EXPECT_EQ(stats.connections_open, 1u) << peer->name;
    EXPECT_EQ(stats.handshakes_accepted, 1u) << peer->name;
    EXPECT_TRUE(stats.handshakes_rejected.empty()) << peer->name;
    EXPECT_TRUE(stats.dropped.empty()) << peer->name;
  }
  EXPECT_EQ(a.comm->stats().envelopes_sent, 3u);
  EXPECT_EQ(b.comm->stats().envelopes_received, 3u);
}

TEST_F(GrpcCommTest, SendToEndpointLearnsThePeerFromTheHandshake) {
  Peer a("peerA", loop_), b("peerB", loop_);
  a.comm->send_to_endpoint(b.address(), gossip_message(1));
  ASSERT_TRUE(run_until([&] { return b.received.size() == 1; }));
  // Now known by PKI-ID: the same connection carries the next message.
  a.comm->send("peerB", "", gossip_message(2));
  a.comm->send_to_endpoint(b.address(), gossip_message(3));
  ASSERT_TRUE(run_until([&] { return b.received.size() == 3; }));
  EXPECT_EQ(a.comm->stats().connections_open, 1u);
  EXPECT_EQ(b.comm->stats().handshakes_accepted, 1u);
}

TEST_F(GrpcCommTest, RefusedIdentityIsRejectedWithItsReasonAndNothingIsDelivered) {
  Peer a("peerA", loop_), b("peerB", loop_);
  b.refuse = "org not in channel";
  a.comm->send("peerB", b.address(), gossip_message(1));
  ASSERT_TRUE(run_until([&] { return b.rejected("identity_rejected") == 1; }));
  EXPECT_EQ(b.comm->stats().last_rejection, "identity rejected: org not in channel");
  // A may briefly have believed in the stream; it ends with the server's refusal.
  ASSERT_TRUE(run_until([&] { return a.comm->stats().connections_open == 0; }));
  run_for(50ms);
  EXPECT_TRUE(b.received.empty());
  EXPECT_EQ(b.comm->stats().connections_open, 0u);
}

TEST_F(GrpcCommTest, ForgedConnEstablishSignatureIsRejected) {
  Peer b("peerB", loop_);
  RawClient raw(b.address());
  ASSERT_TRUE(raw.write(conn_envelope("mallory", false, std::string("forged"))));
  // Read B's ConnEstablish while the loop answers the identity check.
  Envelope theirs;
  ASSERT_TRUE(raw.read(&theirs));
  ASSERT_TRUE(run_until([&] { return b.rejected("bad_signature") == 1; }));
  const grpc::Status status = raw.finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(b.comm->stats().connections_open, 0u);
}

TEST_F(GrpcCommTest, ServerSendsItsSignedConnEstablishFirst) {
  Peer b("peerB", loop_);
  RawClient raw(b.address());
  // Without writing anything, the server's ConnEstablish arrives (protocol.md §4.2).
  Envelope theirs;
  ASSERT_TRUE(raw.read(&theirs));
  ::gossip::GossipMessage message;
  ASSERT_TRUE(message.ParseFromString(theirs.payload()));
  ASSERT_TRUE(message.has_conn());
  EXPECT_EQ(message.nonce(), 0u);
  EXPECT_EQ(message.tag(), ::gossip::GossipMessage::EMPTY);
  EXPECT_EQ(message.conn().pki_id(), "peerB");
  EXPECT_EQ(message.conn().identity(), identity_of("peerB"));
  EXPECT_TRUE(message.conn().tls_cert_hash().empty());
  EXPECT_FALSE(message.conn().probe());
  EXPECT_TRUE(FakeCrypto("x").verify(identity_of("peerB"), theirs.payload(), theirs.signature()));
}

TEST_F(GrpcCommTest, FirstMessageThatIsNotConnEstablishIsWrongType) {
  Peer b("peerB", loop_);
  RawClient raw(b.address());
  Envelope not_conn;
  not_conn.set_payload(gossip_message(7)->payload);
  ASSERT_TRUE(raw.write(not_conn));
  const grpc::Status status = raw.finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "wrong type");
  EXPECT_EQ(b.rejected("wrong_type"), 1u);
}

TEST_F(GrpcCommTest, ConnEstablishWithoutPkiIdIsRejected) {
  Peer b("peerB", loop_);
  RawClient raw(b.address());
  ::gossip::GossipMessage message;
  message.mutable_conn()->set_identity(identity_of("mallory"));
  Envelope envelope;
  envelope.set_payload(message.SerializeAsString());
  envelope.set_signature(FakeCrypto("mallory").sign(envelope.payload()));
  ASSERT_TRUE(raw.write(envelope));
  EXPECT_EQ(raw.finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(b.rejected("no_pki_id"), 1u);
}

TEST_F(GrpcCommTest, PkiIdThatDoesNotMatchTheIdentityIsRejected) {
  Peer b("peerB", loop_);
  RawClient raw(b.address());
  ::gossip::GossipMessage message;
  message.mutable_conn()->set_pki_id("peerA");  // claims another peer's PKI-ID
  message.mutable_conn()->set_identity(identity_of("mallory"));
  Envelope envelope;
  envelope.set_payload(message.SerializeAsString());
  envelope.set_signature(FakeCrypto("mallory").sign(envelope.payload()));
  ASSERT_TRUE(raw.write(envelope));
  Envelope theirs;
  ASSERT_TRUE(raw.read(&theirs));
  ASSERT_TRUE(run_until([&] { return b.rejected("pki_id_mismatch") == 1; }));
  EXPECT_EQ(raw.finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GrpcCommTest, HandshakeTimesOutWhenTheFirstMessageNeverComes) {
  CommSettings settings = test_settings();
  settings.conn_timeout = 300ms;
  Peer b("peerB", loop_, settings);
  RawClient raw(b.address());
  Envelope theirs;
  ASSERT_TRUE(raw.read(&theirs));
  ASSERT_TRUE(run_until([&] { return b.rejected("timeout") == 1; }, 3s));
  EXPECT_FALSE(raw.finish().ok());
  EXPECT_EQ(b.comm->stats().connections_open, 0u);
}

TEST_F(GrpcCommTest, ProbeHandshakeDoesNotRegisterAConnection) {
  Peer b("peerB", loop_);
  {
    RawClient raw(b.address());
    ASSERT_TRUE(raw.write(conn_envelope("prober", /*probe=*/true)));
    Envelope theirs;
    ASSERT_TRUE(raw.read(&theirs));
    ASSERT_TRUE(run_until([&] { return b.comm->stats().handshakes_accepted == 1; }));
    // The server ends the RPC right after the handshake (protocol.md §4.2 step 6).
    EXPECT_TRUE(raw.finish().ok());
  }
  EXPECT_EQ(b.comm->stats().connections_open, 0u);

  // Our own probe learns the remote's identity and leaves no connection either side.
  Peer a("peerA", loop_);
  std::optional<ConnectionInfo> learned;
  std::string error = "pending";
  a.comm->probe(b.address(), [&](std::optional<ConnectionInfo> remote, std::string why) {
    learned = std::move(remote);
    error = std::move(why);
  });
  ASSERT_TRUE(run_until([&] { return error != "pending"; }));
  ASSERT_TRUE(learned.has_value()) << error;
  EXPECT_EQ(learned->pki_id, "peerB");
  EXPECT_EQ(learned->identity, identity_of("peerB"));
  ASSERT_TRUE(run_until([&] { return b.comm->stats().handshakes_accepted == 2; }));
  EXPECT_EQ(a.comm->stats().connections_open, 0u);
  EXPECT_EQ(b.comm->stats().connections_open, 0u);
  EXPECT_TRUE(b.received.empty());
}

TEST_F(GrpcCommTest, RemoteWithAnotherPkiIdFailsTheDial) {
  Peer a("peerA", loop_), b("peerB", loop_);
  a.comm->send("peerC", b.address(), gossip_message(1));
  ASSERT_TRUE(run_until([&] { return a.comm->stats().dials_failed.count("wrong_pki_id") == 1; }));
  const auto stats = a.comm->stats();
  EXPECT_EQ(stats.handshakes_rejected.at("wrong_pki_id"), 1u);
  EXPECT_EQ(stats.dropped.at("dial_failed"), 1u);
  EXPECT_EQ(stats.connections_open, 0u);
  run_for(50ms);
  EXPECT_TRUE(b.received.empty());
}

TEST_F(GrpcCommTest, UnreachableEndpointDropsTheQueuedMessages) {
  std::string closed_port;
  {
    asio::ip::tcp::acceptor acceptor(loop_, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  }
  CommSettings settings = test_settings();
  settings.dial_timeout = 300ms;
  Peer a("peerA", loop_, settings);
  for (int i = 0; i < 30; ++i) a.comm->send("peerX", closed_port, gossip_message(i));
  EXPECT_EQ(a.comm->stats().queued, 20u);  // pending dial buffer is bounded too
  EXPECT_EQ(a.comm->stats().dropped.at("queue_full"), 10u);
  ASSERT_TRUE(run_until([&] { return a.comm->stats().dials_failed.count("unreachable") == 1; }));
  EXPECT_EQ(a.comm->stats().dropped.at("dial_failed"), 20u);
  EXPECT_EQ(a.comm->stats().queued, 0u);
}

// Two peers that send to each other at once dial each other at once. §4.3's rules alone
// close both crossing streams and lose what was queued on them; both sides keep the
// stream dialled by the lower PKI-ID instead, so nothing is lost and nothing is resent.
TEST_F(GrpcCommTest, CrossingDialsKeepTheLowerPeersStreamAndLoseNothing) {
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // Alternate which of the two names is the lower PKI-ID and which sends first.
    const std::string low = "peer" + std::to_string(round) + "a";
    const std::string high = "peer" + std::to_string(round) + "b";
    Peer a(round % 2 ? high : low, loop_), b(round % 2 ? low : high, loop_);
    a.comm->send(b.name, b.address(), gossip_message(1));
    b.comm->send(a.name, a.address(), gossip_message(2));
    ASSERT_TRUE(run_until([&] { return !a.received.empty() && !b.received.empty(); }))
        << "a received " << a.received.size() << ", b received " << b.received.size();
    EXPECT_EQ(b.received[0].second->message.nonce(), 1u);
    EXPECT_EQ(a.received[0].second->message.nonce(), 2u);
    // Each side ends with one connection, and the two are the same stream: traffic
    // flows both ways with no further handshake, also after the loser is closed.
    run_for(test_settings().conn_timeout + 200ms);
    const auto handshakes =
        a.comm->stats().handshakes_accepted + b.comm->stats().handshakes_accepted;
    EXPECT_EQ(a.comm->stats().connections_open, 1u);
    EXPECT_EQ(b.comm->stats().connections_open, 1u);
    a.comm->send(b.name, b.address(), gossip_message(3));
    b.comm->send(a.name, a.address(), gossip_message(4));
    ASSERT_TRUE(run_until([&] { return a.received.size() == 2 && b.received.size() == 2; }));
    EXPECT_EQ(b.received[1].second->message.nonce(), 3u);
    EXPECT_EQ(a.received[1].second->message.nonce(), 4u);
    EXPECT_EQ(a.comm->stats().handshakes_accepted + b.comm->stats().handshakes_accepted,
              handshakes);
    EXPECT_TRUE(a.comm->stats().dropped.empty());
    EXPECT_TRUE(b.comm->stats().dropped.empty());
    EXPECT_TRUE(a.lost.empty());
    EXPECT_TRUE(b.lost.empty());
  }
}

TEST_F(GrpcCommTest, NewInboundConnectionReplacesTheOldOne) {
  Peer b("peerB", loop_);
  auto first = std::make_unique<RawClient>(b.address());
  ASSERT_TRUE(first->write(conn_envelope("peerA")));
  ASSERT_TRUE(run_until([&] { return b.comm->stats().connections_open == 1; }));
  RawClient second(b.address());
  ASSERT_TRUE(second.write(conn_envelope("peerA")));
  ASSERT_TRUE(run_until([&] { return b.comm->stats().handshakes_accepted == 2; }));
  // The old stream is closed by the server; the new one carries traffic.
  EXPECT_FALSE(first->finish().ok());
  EXPECT_EQ(b.comm->stats().connections_open, 1u);
  Envelope conn, data;
  ASSERT_TRUE(second.read(&conn));
  b.comm->send("peerA", "", gossip_message(5));
  ASSERT_TRUE(second.read(&data));
  ::gossip::GossipMessage message;
  ASSERT_TRUE(message.ParseFromString(data.payload()));
  EXPECT_EQ(message.nonce(), 5u);
  EXPECT_TRUE(b.lost.empty());  // replaced, not lost
}

TEST_F(GrpcCommTest, RawEnvelopeBytesArriveExactlyAsSent) {
  Peer a("peerA", loop_), b("peerB", loop_);
  // Non-canonical: tag before nonce, nonce as a padded varint, an unknown field 99.
  const std::string raw(
      "\x18\x01"          // tag = EMPTY
      "\x08\x85\x80\x00"  // nonce = 5, three-byte varint
      "\x6a\x00"          // empty {}
      "\x98\x06\x07",     // field 99 (unknown) = 7
      11);
  auto original = std::make_shared<gossip::SignedGossip>();
  ASSERT_TRUE(original->message.ParseFromString(raw));
  ASSERT_NE(original->message.SerializeAsString(), raw);  // re-serialising would change it
  original->payload = raw;
  original->signature = std::string("sig\0nature", 10);
  // Secret{internalEndpoint: "a:1"} and a stray byte: carried, never re-encoded.
  original->secret_payload = std::string("\x0a\x03") + "a:1\xff";
  original->secret_signature = "secret-sig";
  a.comm->send("peerB", b.address(), original);
  ASSERT_TRUE(run_until([&] { return b.received.size() == 1; }));
  const auto& arrived = *b.received[0].second;
  EXPECT_EQ(arrived.payload, raw);
  EXPECT_EQ(arrived.signature, original->signature);
  EXPECT_EQ(arrived.secret_payload, original->secret_payload);
  EXPECT_EQ(arrived.secret_signature, original->secret_signature);
  EXPECT_EQ(arrived.message.nonce(), 5u);
  EXPECT_TRUE(arrived.message.has_empty());
}

TEST_F(GrpcCommTest, PeerThatNeverReadsMakesSendsDropNotQueue) {
  Peer b("peerB", loop_);
  RawClient stuck(b.address());
  ASSERT_TRUE(stuck.write(conn_envelope("stuck")));
  ASSERT_TRUE(run_until([&] { return b.comm->stats().connections_open == 1; }));

  // 16 KiB each: far more than HTTP/2 flow control lets through to a reader that never reads.
  const MessagePtr big = gossip_message(1, std::string(16 * 1024, 'x'));
  std::uint64_t max_queued = 0;
  for (int i = 0; i < 10'000; ++i) {
    b.comm->send("stuck", "", big);
    if (i % 500 == 0) max_queued = std::max(max_queued, b.comm->stats().queued);
  }
  run_for(100ms);
  const auto stats = b.comm->stats();
  max_queued = std::max(max_queued, stats.queued);
  EXPECT_LE(max_queued, 20u);
  EXPECT_GT(stats.dropped.at("queue_full"), 0u);
  EXPECT_LT(stats.envelopes_sent, 10'000u);
  // Every message was sent, is queued, was dropped, or is the one being written.
  const std::uint64_t accounted =
      stats.dropped.at("queue_full") + stats.envelopes_sent + stats.queued;
  EXPECT_GE(accounted + 1, 10'000u);
  EXPECT_LE(accounted, 10'000u);

  // stop() is not held up by the writer blocked on the stuck stream.
  const auto before = Clock::now();
  b.comm->stop();
  EXPECT_LT(Clock::now() - before, 3s);
  b.comm->stop();  // idempotent
  EXPECT_FALSE(b.comm->listening());
}

// Sends `bytes` as the first message of a GossipStream, bypassing protobuf.
grpc::Status send_raw_frame(const std::string& address, const std::string& bytes) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 5s);
  auto call = stub.PrepareCall(&context, "/gossip.Gossip/GossipStream", &queue);
  grpc::Status status;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer buffer(&slice, 1);
  auto tag = [](std::intptr_t n) { return reinterpret_cast<void*>(n); };
  // One operation at a time, each awaited: the async API allows one write in flight.
  auto await = [&](void* wanted) {
    void* got = nullptr;
    bool ok = false;
    while (queue.Next(&got, &ok) && got != wanted) {
    }
  };
  call->StartCall(tag(1));
  await(tag(1));
  call->Write(buffer, tag(2));
  await(tag(2));
  // The status comes after every message the server sent has been read.
  grpc::ByteBuffer incoming;
  for (bool more = true; more;) {
    call->Read(&incoming, tag(3));
    void* got = nullptr;
    while (queue.Next(&got, &more) && got != tag(3)) {
    }
  }
  call->Finish(&status, tag(4));
  await(tag(4));
  queue.Shutdown();
  void* got = nullptr;
  bool ok = false;
  while (queue.Next(&got, &ok)) {
  }
  return status;
}

void send_over_tcp(asio::io_context& io, const std::string& address, const std::string& bytes) {
  const auto colon = address.rfind(':');
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address(address.substr(0, colon)),
                  static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))});
  asio::write(socket, asio::buffer(bytes));
  socket.close();
}

TEST_F(GrpcCommTest, GarbageAndOversizedFramesLeaveTheServerRunning) {
  CommSettings settings = test_settings();
  settings.max_message_size = 64 * 1024;
  Peer b("peerB", loop_, settings);

  // Not HTTP/2 at all, then a preface followed by a truncated frame, then a bare close.
  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  send_over_tcp(loop_, b.address(), noise);
  send_over_tcp(
      loop_, b.address(),
      std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\x00\x00\x12\x04", 4));
  send_over_tcp(loop_, b.address(), "");

  // A gRPC frame that is not an Envelope, and one that is cut short.
  EXPECT_FALSE(send_raw_frame(b.address(), "\xff\xff\xff\xff\xff").ok());
  const std::string conn = conn_envelope("peerA").SerializeAsString();
  EXPECT_FALSE(send_raw_frame(b.address(), conn.substr(0, conn.size() / 2)).ok());
  EXPECT_EQ(b.rejected("stream_closed"), 2u);

  // After the handshake: a payload that is not a GossipMessage is counted and skipped.
  {
    RawClient raw(b.address());
    ASSERT_TRUE(raw.write(conn_envelope("peerA")));
    Envelope junk;
    junk.set_payload("\xff\xff\xff");
    ASSERT_TRUE(raw.write(junk));
    Envelope good;
    good.set_payload(gossip_message(9)->payload);
    ASSERT_TRUE(raw.write(good));
    ASSERT_TRUE(run_until([&] { return b.received.size() == 1; }));
    EXPECT_EQ(b.received[0].second->message.nonce(), 9u);
    EXPECT_EQ(b.comm->stats().malformed.at("payload"), 1u);

    // Larger than max_message_size: the stream dies, the server does not.
    Envelope oversized;
    oversized.set_payload(std::string(128 * 1024, 'x'));
    raw.write(oversized);
    EXPECT_EQ(raw.finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  ASSERT_TRUE(run_until([&] { return b.comm->stats().connections_open == 0; }));

  // A well-behaved peer still gets through.
  EXPECT_TRUE(b.comm->listening());
  Peer a("peerA", loop_);
  a.comm->send("peerB", b.address(), gossip_message(10));
  ASSERT_TRUE(run_until([&] { return b.received.size() == 2; }));
  EXPECT_EQ(b.received[1].second->message.nonce(), 10u);
}

TEST_F(GrpcCommTest, QuietHangUpIsNotReportedButAFailedRedialIs) {
  CommSettings settings = test_settings();
  settings.dial_timeout = 300ms;
  Peer a("peerA", loop_, settings);
  auto b = std::make_unique<Peer>("peerB", loop_);
  const std::string b_address = b->address();
  a.comm->send("peerB", b_address, gossip_message(1));
  ASSERT_TRUE(run_until([&] { return b->received.size() == 1; }));
  b.reset();
  ASSERT_TRUE(run_until([&] { return a.comm->stats().connections_open == 0; }));
  run_for(50ms);
  EXPECT_TRUE(a.lost.empty());  // as in Go: only a failed send marks a peer dead
  a.comm->send("peerB", b_address, gossip_message(2));
  ASSERT_TRUE(run_until([&] { return a.lost.size() == 1; }));
  EXPECT_EQ(a.lost[0], "peerB");
  EXPECT_EQ(a.comm->stats().dropped.at("dial_failed"), 1u);
}

TEST_F(GrpcCommTest, StuckPeerThatHangsUpWithUnsentMessagesIsPresumedDead) {
  Peer b("peerB", loop_);
  auto stuck = std::make_unique<RawClient>(b.address());
  ASSERT_TRUE(stuck->write(conn_envelope("stuck")));
  ASSERT_TRUE(run_until([&] { return b.comm->stats().connections_open == 1; }));
  // Fill the queue until the writer is blocked by flow control: sent stops moving.
  const MessagePtr big = gossip_message(1, std::string(64 * 1024, 'x'));
  std::uint64_t sent = 0;
  auto last_progress = Clock::now();
  ASSERT_TRUE(run_until([&] {
    b.comm->send("stuck", "", big);
    const auto stats = b.comm->stats();
    if (stats.envelopes_sent != sent) {
      sent = stats.envelopes_sent;
      last_progress = Clock::now();
    }
    return stats.queued == 20 && Clock::now() - last_progress > 200ms;
  }));
  stuck.reset();  // cancels its stream while our writer is blocked on it
  ASSERT_TRUE(run_until([&] { return b.lost.size() == 1; }));
  EXPECT_EQ(b.lost[0], "stuck");
  EXPECT_EQ(b.comm->stats().connections_open, 0u);
  EXPECT_EQ(b.comm->stats().queued, 0u);
}

TEST_F(GrpcCommTest, SecondServerOnTheSamePortFailsToStart) {
  Peer a("peerA", loop_);
  CommSettings settings = test_settings();
  settings.listen_address = a.address();
  Peer b("peerB", loop_, settings);
  EXPECT_NE(b.start_error, "");
  EXPECT_FALSE(b.comm->listening());
}

TEST_F(GrpcCommTest, StopReturnsPromptlyWithDialsAndHandshakesInFlight) {
  std::string closed_port;
  {
    asio::ip::tcp::acceptor acceptor(loop_, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  }
  CommSettings settings = test_settings();
  settings.dial_timeout = 10s;
  settings.conn_timeout = 10s;
  Peer a("peerA", loop_, settings), b("peerB", loop_, settings);
  a.comm->send("peerX", closed_port, gossip_message(1));
  // A handshake waiting for an identity check that the (not running) loop never gives.
  a.comm->send("peerB", b.address(), gossip_message(2));
  RawClient silent(a.address());
  Envelope theirs;
  ASSERT_TRUE(silent.read(&theirs));
  const auto before = Clock::now();
  a.comm->stop();
  b.comm->stop();
  EXPECT_LT(Clock::now() - before, 3s);
  run_for(20ms);
  EXPECT_TRUE(a.received.empty());
  EXPECT_TRUE(b.received.empty());
}

}  // namespace
}  // namespace fabnet::comm
