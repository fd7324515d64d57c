#pragma once

// Contract of the gRPC gossip transport (protocol.md §1.1, §4). Implemented in
// src/comm/; used by the peer daemon (src/daemon/).

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "comm/tls_credentials.h"
#include "gossip/crypto.h"
#include "gossip/message.h"
#include "node/transport.h"

namespace fabnet::comm {

using gossip::ConnectionInfo;
using gossip::MessagePtr;
using gossip::PeerId;

// Mutual TLS of gossip (peer.tls.*, protocol.md §1.1, §4.2).
struct CommTls {
  ServerTls server;  // what the gossip server presents and which clients it verifies
  // What dials trust and present; `client.client` must be set, since a TLS peer refuses
  // a gossip stream whose remote presented no certificate.
  ClientTls client;
};

struct CommSettings {
  std::string listen_address;  // host:port to serve gossip.Gossip on ("" = do not listen)
  std::chrono::milliseconds dial_timeout{3000};  // peer.gossip.dialTimeout
  // peer.gossip.connTimeout: Ping and handshake read.
  std::chrono::milliseconds conn_timeout{2000};
  std::size_t send_buffer_size = 20;  // peer.gossip.sendBuffSize: per-connection queue
  // peer.gossip.recvBuffSize: messages of one connection posted to the loop and not yet
  // handled; the reader waits (HTTP/2 flow control pushes back on the sender) beyond it.
  std::size_t recv_buffer_size = 20;
  std::size_t max_message_size = 100 * 1024 * 1024;

  // Bounds against hostile or runaway peers (docs/operations.md, "Resource limits").
  // Inbound GossipStreams at once, counted from the RPC's start, so streams that have
  // not finished the handshake count too; beyond it a stream is refused at once.
  std::size_t max_inbound_streams = 256;
  // Outbound dials and the connections they became (one thread each); beyond it a
  // send that needs a new dial is dropped ("dial_refused").
  std::size_t max_outbound_streams = 256;
  // gRPC server threads (grpc::ResourceQuota); each inbound stream holds one.
  int max_server_threads = 300;
  // Handshake checks run on the event loop: at most `handshake_rate` per second
  // (bursts of `handshake_burst`) and `max_handshakes_in_flight` waiting at once;
  // beyond that a handshake is refused ("rate_limited") without touching the loop.
  double handshake_rate = 200;
  double handshake_burst = 50;
  std::size_t max_handshakes_in_flight = 16;
  // nullopt: plaintext, and the remote's tls_cert_hash is ignored, as in Go.
  std::optional<CommTls> tls = std::nullopt;
};

// This peer as it presents itself in the handshake.
struct LocalIdentity {
  PeerId pki_id;
  std::string identity;  // serialized msp.SerializedIdentity
};

struct CommStats {
  std::uint64_t connections_open = 0;
  std::uint64_t inbound_streams = 0;   // in progress, handshake or not
  std::uint64_t outbound_streams = 0;  // dial threads alive
  std::uint64_t handshakes_accepted = 0;
  // By reason: wrong_type, no_pki_id, identity_rejected, pki_id_mismatch, bad_signature,
  // timeout, check_timeout, stream_closed, wrong_pki_id, stopped, rate_limited,
  // too_many_streams, no_tls_certificate, tls_cert_hash_mismatch.
  std::map<std::string, std::uint64_t> handshakes_rejected;
  // Messages not sent, by reason: queue_full, dial_failed, connection_closed,
  // no_endpoint, to_self, stopped, dial_refused.
  std::map<std::string, std::uint64_t> dropped;
  std::uint64_t envelopes_sent = 0;
  std::uint64_t envelopes_received = 0;
  std::map<std::string, std::uint64_t> malformed;  // frames that did not parse ("payload")
  std::uint64_t queued = 0;  // messages waiting now in send queues and pending dials
  // By reason: unreachable, ping_failed, stream_closed, handshake, wrong_pki_id, stopped.
  std::map<std::string, std::uint64_t> dials_failed;
  std::string last_rejection;  // text of the latest refused handshake, for logs
};

// Everything the transport hands the node runs on `loop` (the thread that owns
// the node); gRPC threads never touch node state.
struct CommCallbacks {
  // A message arrived on an authenticated connection. The SignedGossip keeps the
  // raw payload bytes exactly as received (signatures are checked over them).
  std::function<void(const ConnectionInfo&, MessagePtr)> on_message;
  // Whether to accept a remote identity in the handshake (MSP validation, §4.2 step 3).
  // Called on the loop thread. Return an empty string to accept, else the reason.
  std::function<std::string(const PeerId& claimed, const std::string& identity)> check_identity;
  // This PKI-ID is "presumed dead" (protocol.md §4.3): a connection to it closed with
  // messages it could not send, or a dial to it failed. A quiet hang-up is not reported,
  // as in Go: the next send redials and reports if that fails.
  std::function<void(const PeerId&)> on_connection_lost;
};

class GrpcComm : public node::Transport {
 public:
  // Call on the loop thread: it signs this peer's ConnEstablish here, and afterwards
  // uses `crypto` only on the loop. `crypto` and `loop` must outlive the GrpcComm.
  static std::unique_ptr<GrpcComm> create(CommSettings settings, LocalIdentity self,
                                          const gossip::CryptoService& crypto,
                                          asio::io_context& loop, CommCallbacks callbacks);
  ~GrpcComm() override = default;

  // Binds and serves; returns an error message ("" on success), e.g. address in use.
  virtual std::string start() = 0;
  // Closes every stream and the server; idempotent; returns within a few seconds.
  virtual void stop() = 0;
  virtual bool listening() const = 0;
  virtual std::string bound_address() const = 0;  // with the real port if 0 was asked
  // Snapshot, safe to call from any thread.
  virtual CommStats stats() const = 0;

  // Deep probe (protocol.md §4.5): dial, Ping, handshake with probe=true, close. `done`
  // runs on the loop with the authenticated remote, or nullopt and the reason.
  using ProbeDone = std::function<void(std::optional<ConnectionInfo> remote, std::string error)>;
  virtual void probe(const std::string& endpoint, ProbeDone done) = 0;

  // node::Transport's view of the same probe.
  bool supports_probe() const override { return true; }
  void probe_endpoint(const std::string& endpoint, node::Transport::ProbeDone done) override {
    probe(endpoint, [done = std::move(done)](std::optional<ConnectionInfo> remote, std::string) {
      done(std::move(remote));
    });
  }
};

}  // namespace fabnet::comm
