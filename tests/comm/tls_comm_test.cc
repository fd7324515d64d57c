// Gossip over mutual TLS (protocol.md §1.1, §3.4, §4.2): the ConnEstablish binding to
// the TLS certificate, first without sockets, then over loopback with certificates
// made in memory.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "comm/grpc_comm.h"
#include "comm/handshake.h"
#include "comm/tls_credentials.h"
#include "fake_crypto.h"
#include "gossip/message.grpc.pb.h"
#include "tls_test_material.h"

namespace fabnet::comm {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ::gossip::Envelope;
using testing::TestCa;

// --- The binding alone -------------------------------------------------------------

TEST(TlsBinding, ConnEstablishCarriesTheHashAndItIsCheckedAgainstThePresentedCertificate) {
  const TestCa ca("tls-ca");
  const TlsKeyPair mine = ca.issue("peerA");
  const TlsKeyPair other = ca.issue("someone-else");
  const std::string hash = certificate_hash_of_pem(mine.cert_pem);
  ASSERT_EQ(hash.size(), 32u);
  ASSERT_NE(hash, certificate_hash_of_pem(other.cert_pem));

  const FakeCrypto crypto("peerA");
  const Envelope envelope =
      signed_conn_establish({"peerA", identity_of("peerA")}, crypto, /*probe=*/false, hash);
  const HandshakeVerdict claimed = parse_conn_establish(envelope);
  ASSERT_TRUE(claimed.accepted());
  EXPECT_EQ(claimed.tls_cert_hash, hash);

  const FakeCrypto verifier("peerB");
  // TLS on, the presented certificate is the one named: accepted.
  EXPECT_TRUE(authenticate_conn_establish(claimed, envelope, nullptr, verifier, hash).accepted());
  // Another certificate was presented: refused, with its own reason.
  const HandshakeVerdict mismatch = authenticate_conn_establish(
      claimed, envelope, nullptr, verifier, certificate_hash_of_pem(other.cert_pem));
  EXPECT_EQ(mismatch.reject_key, "tls_cert_hash_mismatch");
  // No certificate presented at all.
  EXPECT_EQ(check_remote_presented_certificate("").reject_key, "no_tls_certificate");
  EXPECT_TRUE(check_remote_presented_certificate(hash).accepted());
  EXPECT_EQ(
      authenticate_conn_establish(claimed, envelope, nullptr, verifier, std::string()).reject_key,
      "tls_cert_hash_mismatch");
  // TLS off locally: the claimed hash is not looked at, as in Go.
  EXPECT_TRUE(authenticate_conn_establish(claimed, envelope, nullptr, verifier).accepted());
}

TEST(TlsBinding, AnEmptyClaimNeverMatchesAPresentedCertificate) {
  const TestCa ca("tls-ca");
  const std::string presented = certificate_hash_of_pem(ca.issue("peerA").cert_pem);
  const FakeCrypto crypto("peerA");
  const Envelope envelope = signed_conn_establish({"peerA", identity_of("peerA")}, crypto, false);
  const HandshakeVerdict claimed = parse_conn_establish(envelope);
  EXPECT_EQ(claimed.tls_cert_hash, "");
  EXPECT_EQ(check_tls_binding(claimed, presented).reject_key, "tls_cert_hash_mismatch");
}

TEST(TlsBinding, TheHashIsCheckedBeforeTheSignature) {
  // A replayed ConnEstablish (right signature, someone else's TLS session) and a forged
  // one are told apart by their reasons; the binding is what catches the replay.
  const TestCa ca("tls-ca");
  const std::string hash = certificate_hash_of_pem(ca.issue("peerA").cert_pem);
  Envelope envelope =
      signed_conn_establish({"peerA", identity_of("peerA")}, FakeCrypto("peerA"), false, hash);
  envelope.set_signature("forged");
  const FakeCrypto verifier("peerB");
  EXPECT_EQ(authenticate_conn_establish(parse_conn_establish(envelope), envelope, nullptr, verifier,
                                        std::string(32, 'x'))
                .reject_key,
            "tls_cert_hash_mismatch");
  EXPECT_EQ(
      authenticate_conn_establish(parse_conn_establish(envelope), envelope, nullptr, verifier, hash)
          .reject_key,
      "bad_signature");
}

TEST(TlsFiles, MissingOrEmptyFilesNameTheSetting) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("fabnet-tls-files-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  try {
    read_tls_certificates("peer.tls.cert.file", dir / "absent.pem");
    ADD_FAILURE() << "no error for a missing file";
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("peer.tls.cert.file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("absent.pem"), std::string::npos) << e.what();
  }
  const auto garbage = testing::write_text(dir, "garbage.pem", "not a certificate\n");
  EXPECT_THROW(read_tls_certificates("peer.tls.cert.file", garbage), TlsError);
  EXPECT_THROW(read_tls_private_key("peer.tls.key.file", garbage), TlsError);
  EXPECT_THROW(read_tls_certificates("peer.tls.cert.file", ""), TlsError);

  const TestCa ca("tls-ca");
  const auto now = std::chrono::system_clock::now();
  const TlsKeyPair expired = ca.issue("old", {"IP:127.0.0.1"}, now - 48h, now - 24h);
  try {
    check_tls_certificate_valid("peer.tls.cert.file", expired.cert_pem);
    ADD_FAILURE() << "no error for an expired certificate";
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(check_tls_certificate_valid("peer.tls.cert.file", ca.issue("new").cert_pem));
  std::filesystem::remove_all(dir);
}

// --- Over loopback -------------------------------------------------------------------

CommTls comm_tls(const TestCa& trusted, const TlsKeyPair& pair, bool client_auth_required) {
  CommTls tls;
  tls.server.server = pair;
  tls.server.client_auth_required = client_auth_required;
  tls.server.client_roots_pem = trusted.cert_pem();
  tls.client.server_roots_pem = trusted.cert_pem();
  tls.client.client = pair;
  return tls;
}

CommSettings tls_settings(std::optional<CommTls> tls) {
  CommSettings settings;
  settings.listen_address = "127.0.0.1:0";
  settings.dial_timeout = 2s;
  settings.conn_timeout = 1s;
  settings.tls = std::move(tls);
  return settings;
}

MessagePtr gossip_message(std::uint64_t nonce) {
  auto signed_gossip = std::make_shared<gossip::SignedGossip>();
  signed_gossip->message.set_nonce(nonce);
  signed_gossip->message.set_tag(::gossip::GossipMessage::EMPTY);
  signed_gossip->message.mutable_empty();
  signed_gossip->payload = signed_gossip->message.SerializeAsString();
  return signed_gossip;
}

struct Peer {
  Peer(const std::string& peer_name, asio::io_context& loop, CommSettings settings)
      : name(peer_name), crypto(peer_name) {
    CommCallbacks callbacks;
    callbacks.on_message = [this](const ConnectionInfo&, MessagePtr message) {
      received.push_back(std::move(message));
    };
    callbacks.check_identity = [](const PeerId&, const std::string&) { return std::string(); };
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
  std::uint64_t failed_dials() const {
    std::uint64_t n = 0;
    for (const auto& [reason, count] : comm->stats().dials_failed) n += count;
    return n;
  }

  std::string name;
  FakeCrypto crypto;
  std::vector<MessagePtr> received;
  std::string start_error;
  std::unique_ptr<GrpcComm> comm;
};

// A gossip client driven by hand over the given credentials.
class RawClient {
 public:
  RawClient(const std::string& address, std::shared_ptr<grpc::ChannelCredentials> credentials) {
    channel_ = grpc::CreateChannel(address, std::move(credentials));
    stub_ = ::gossip::Gossip::NewStub(channel_);
    context_.set_deadline(std::chrono::system_clock::now() + 10s);
    stream_ = stub_->GossipStream(&context_);
  }
  ~RawClient() {
    context_.TryCancel();
    stream_->Finish();
  }
  bool write(const Envelope& envelope) { return stream_->Write(envelope); }
  bool read(Envelope* envelope) { return stream_->Read(envelope); }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::gossip::Gossip::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<Envelope, Envelope>> stream_;
};

// The ConnEstablish of a raw client, claiming `tls_cert_hash`.
Envelope conn_envelope(const std::string& name, const std::string& tls_cert_hash) {
  return signed_conn_establish({name, identity_of(name)}, FakeCrypto(name), false, tls_cert_hash);
}

class TlsCommTest : public ::testing::Test {
 protected:
  bool run_until(const std::function<bool()>& done, Clock::duration limit = 8s) {
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

  const TestCa ca_{"org1-tlsca"};
  const TestCa other_ca_{"intruder-tlsca"};
  asio::io_context loop_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(loop_);
};

TEST_F(TlsCommTest, TwoPeersWithMutualTlsExchangeMessagesBothWays) {
  Peer a("peerA", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerA"), true)));
  Peer b("peerB", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerB"), true)));
  ASSERT_EQ(a.start_error, "");
  ASSERT_EQ(b.start_error, "");
  a.comm->send("peerB", b.address(), gossip_message(1));
  ASSERT_TRUE(run_until([&] { return b.received.size() == 1; }));
  b.comm->send("peerA", "", gossip_message(2));
  ASSERT_TRUE(run_until([&] { return a.received.size() == 1; }));
  EXPECT_EQ(a.comm->stats().handshakes_accepted, 1u);
  EXPECT_EQ(b.comm->stats().handshakes_accepted, 1u);
  EXPECT_TRUE(b.comm->stats().handshakes_rejected.empty());
}

TEST_F(TlsCommTest, ProbeWorksOverTls) {
  Peer a("peerA", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerA"), false)));
  Peer b("peerB", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerB"), false)));
  std::optional<ConnectionInfo> seen;
  bool done = false;
  a.comm->probe(b.address(), [&](std::optional<ConnectionInfo> remote, std::string) {
    seen = std::move(remote);
    done = true;
  });
  ASSERT_TRUE(run_until([&] { return done; }));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->pki_id, "peerB");
}

TEST_F(TlsCommTest, ClientWithACertificateOfAnotherCaIsRefused) {
  // clientAuthRequired: the TLS layer refuses a client certificate of an unknown CA.
  Peer b("peerB", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerB"), true)));
  CommTls intruder = comm_tls(ca_, other_ca_.issue("peerA"), true);
  Peer a("peerA", loop_, tls_settings(intruder));
  a.comm->send("peerB", b.address(), gossip_message(1));
  ASSERT_TRUE(run_until([&] { return a.failed_dials() >= 1; }));
  run_for(200ms);
  EXPECT_TRUE(b.received.empty());
  EXPECT_EQ(b.comm->stats().handshakes_accepted, 0u);
}

TEST_F(TlsCommTest, ServerWithACertificateOfAnotherCaIsRefusedByTheDialler) {
  Peer b("peerB", loop_, tls_settings(comm_tls(ca_, other_ca_.issue("peerB"), false)));
  Peer a("peerA", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerA"), false)));
  a.comm->send("peerB", b.address(), gossip_message(1));
  ASSERT_TRUE(run_until([&] { return a.failed_dials() >= 1; }));
  EXPECT_TRUE(b.received.empty());
  EXPECT_EQ(a.comm->stats().handshakes_accepted, 0u);
}

TEST_F(TlsCommTest, PlaintextClientIsRefusedByATlsPeer) {
  Peer b("peerB", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerB"), false)));
  {
    RawClient plain(b.address(), grpc::InsecureChannelCredentials());
    plain.write(conn_envelope("peerA", ""));
    Envelope first;
    EXPECT_FALSE(plain.read(&first)) << "a TLS peer answered a plaintext stream";
  }
  // And a plaintext peer dialling through the transport fails its dial.
  Peer a("peerA", loop_, tls_settings(std::nullopt));
  a.comm->send("peerB", b.address(), gossip_message(1));
  ASSERT_TRUE(run_until([&] { return a.failed_dials() >= 1; }));
  EXPECT_TRUE(b.received.empty());
  EXPECT_EQ(b.comm->stats().handshakes_accepted, 0u);
}

TEST_F(TlsCommTest, TlsClientWithoutACertificateIsRefusedByTheHandshake) {
  // Without clientAuthRequired the TLS layer lets it in; gossip refuses it (§4.2).
  Peer b("peerB", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerB"), false)));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_.cert_pem();
  RawClient anonymous(b.address(), grpc::SslCredentials(options));
  anonymous.write(conn_envelope("peerA", ""));
  Envelope first;
  EXPECT_FALSE(anonymous.read(&first)) << "the server sent its ConnEstablish to a client "
                                          "without a certificate";
  ASSERT_TRUE(run_until([&] { return b.rejected("no_tls_certificate") == 1; }));
  EXPECT_EQ(b.comm->stats().handshakes_accepted, 0u);
}

TEST_F(TlsCommTest, ConnEstablishNamingAnotherCertificateIsRefused) {
  Peer b("peerB", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerB"), true)));
  const TlsKeyPair presented = ca_.issue("peerA");
  const TlsKeyPair named = ca_.issue("peerA-other-key");
  ClientTls client{ca_.cert_pem(), presented};
  {
    RawClient raw(b.address(), channel_credentials(client));
    ASSERT_TRUE(raw.write(conn_envelope("peerA", certificate_hash_of_pem(named.cert_pem))));
    ASSERT_TRUE(run_until([&] { return b.rejected("tls_cert_hash_mismatch") == 1; }));
  }
  {
    // No hash at all is no better.
    RawClient raw(b.address(), channel_credentials(client));
    ASSERT_TRUE(raw.write(conn_envelope("peerA", "")));
    ASSERT_TRUE(run_until([&] { return b.rejected("tls_cert_hash_mismatch") == 2; }));
  }
  {
    // The honest claim passes, over the same credentials.
    RawClient raw(b.address(), channel_credentials(client));
    ASSERT_TRUE(raw.write(conn_envelope("peerA", certificate_hash_of_pem(presented.cert_pem))));
    ASSERT_TRUE(run_until([&] { return b.comm->stats().handshakes_accepted == 1; }));
  }
  EXPECT_EQ(b.rejected("tls_cert_hash_mismatch"), 2u);
}

// A TLS gossip server that answers every stream with a ConnEstablish of peerB
// claiming `claimed_hash`, whatever certificate it presents.
class LyingServer final : public ::gossip::Gossip::Service {
 public:
  LyingServer(const ServerTls& tls, std::string claimed_hash) : claimed_(std::move(claimed_hash)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", server_credentials(tls), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~LyingServer() override { server_->Shutdown(std::chrono::system_clock::now() + 1s); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  grpc::Status Ping(grpc::ServerContext*, const ::gossip::Empty*, ::gossip::Empty*) override {
    return grpc::Status::OK;
  }
  grpc::Status GossipStream(grpc::ServerContext*,
                            grpc::ServerReaderWriter<Envelope, Envelope>* stream) override {
    stream->Write(conn_envelope("peerB", claimed_));
    Envelope ignored;
    while (stream->Read(&ignored)) {
    }
    return grpc::Status::OK;
  }

 private:
  std::string claimed_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(TlsCommTest, ServerNamingAnotherCertificateIsRefusedByTheDialler) {
  const TlsKeyPair presented = ca_.issue("peerB");
  ServerTls server_tls{presented, false, ca_.cert_pem()};
  Peer a("peerA", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerA"), false)));
  {
    LyingServer lying(server_tls, certificate_hash_of_pem(ca_.issue("peerB-other").cert_pem));
    a.comm->send("peerB", lying.address(), gossip_message(1));
    ASSERT_TRUE(run_until([&] { return a.rejected("tls_cert_hash_mismatch") == 1; }));
    EXPECT_EQ(a.comm->stats().handshakes_accepted, 0u);
  }
  {
    // The same server naming the certificate it presents is accepted.
    LyingServer honest(server_tls, certificate_hash_of_pem(presented.cert_pem));
    a.comm->send("peerB", honest.address(), gossip_message(1));
    ASSERT_TRUE(run_until([&] { return a.comm->stats().handshakes_accepted == 1; }));
  }
}

TEST_F(TlsCommTest, ExpiredCertificatesAreRefused) {
  const auto now = std::chrono::system_clock::now();
  const TlsKeyPair expired = ca_.issue("old", {"IP:127.0.0.1"}, now - 48h, now - 24h);
  {
    // An expired server certificate: the dialler refuses the server.
    Peer b("peerB", loop_, tls_settings(comm_tls(ca_, expired, false)));
    Peer a("peerA", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerA"), false)));
    a.comm->send("peerB", b.address(), gossip_message(1));
    ASSERT_TRUE(run_until([&] { return a.failed_dials() >= 1; }));
    EXPECT_TRUE(b.received.empty());
  }
  {
    // An expired client certificate, with clientAuthRequired: the server refuses it.
    Peer b("peerB", loop_, tls_settings(comm_tls(ca_, ca_.issue("peerB"), true)));
    CommTls old_client = comm_tls(ca_, ca_.issue("peerA"), true);
    old_client.client.client = expired;
    Peer a("peerA", loop_, tls_settings(old_client));
    a.comm->send("peerB", b.address(), gossip_message(1));
    ASSERT_TRUE(run_until([&] { return a.failed_dials() >= 1; }));
    run_for(200ms);
    EXPECT_TRUE(b.received.empty());
    EXPECT_EQ(b.comm->stats().handshakes_accepted, 0u);
  }
}

// A channel joined at run time brings its orgs' TLS CAs (Fabric trusts them for gossip
// both ways): a running server with clientAuthRequired takes clients of a CA added to
// its TrustedRoots after it started, and a dial made after the add trusts such servers.
TEST_F(TlsCommTest, TlsCasAddedAtRunTimeAreTrustedByTheRunningServerAndLaterDials) {
  auto b_roots = std::make_shared<TrustedRoots>();
  CommTls b_tls = comm_tls(ca_, ca_.issue("peerB"), true);
  b_tls.server.extra_client_roots = b_roots;
  Peer b("peerB", loop_, tls_settings(b_tls));
  ASSERT_EQ(b.start_error, "");
  Peer a("peerA", loop_, tls_settings(comm_tls(ca_, other_ca_.issue("peerA"), true)));
  a.comm->send("peerB", b.address(), gossip_message(1));
  ASSERT_TRUE(run_until([&] { return a.failed_dials() >= 1; }));
  run_for(200ms);
  EXPECT_TRUE(b.received.empty()) << "a client of a CA not (yet) trusted got in";

  EXPECT_EQ(b_roots->add(other_ca_.cert_pem()), 1u);
  EXPECT_EQ(b_roots->add(other_ca_.cert_pem()), 0u);  // once
  a.comm->send("peerB", b.address(), gossip_message(2));
  ASSERT_TRUE(run_until([&] { return b.received.size() == 1; }))
      << "failed dials: " << a.failed_dials();

  // The dialler's side: a server of other_ca_ is refused until other_ca_ is added.
  auto c_roots = std::make_shared<TrustedRoots>();
  CommTls c_tls = comm_tls(ca_, ca_.issue("peerC"), false);
  c_tls.client.extra_server_roots = c_roots;
  Peer c("peerC", loop_, tls_settings(c_tls));
  Peer d("peerD", loop_, tls_settings(comm_tls(ca_, other_ca_.issue("peerD"), false)));
  c.comm->send("peerD", d.address(), gossip_message(3));
  ASSERT_TRUE(run_until([&] { return c.failed_dials() >= 1; }));
  EXPECT_TRUE(d.received.empty());
  c_roots->add(other_ca_.cert_pem());
  c.comm->send("peerD", d.address(), gossip_message(4));
  ASSERT_TRUE(run_until([&] { return d.received.size() == 1; }));
}

TEST(TlsTrust, AClientCertificateMustChainToARootAndBeValidNow) {
  const TestCa ca("tls-ca");
  const TestCa other("other-ca");
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(verify_client_certificate(ca.issue("peer").cert_pem, ca.cert_pem()), "");
  EXPECT_EQ(verify_client_certificate(ca.issue("peer").cert_pem, other.cert_pem() + ca.cert_pem()),
            "");
  EXPECT_NE(verify_client_certificate(other.issue("peer").cert_pem, ca.cert_pem()), "");
  EXPECT_NE(verify_client_certificate(
                ca.issue("old", {"IP:127.0.0.1"}, now - 48h, now - 24h).cert_pem, ca.cert_pem()),
            "");
  EXPECT_NE(verify_client_certificate("not a certificate", ca.cert_pem()), "");
  EXPECT_NE(verify_client_certificate(ca.issue("peer").cert_pem, ""), "");
}

}  // namespace
}  // namespace fabnet::comm
