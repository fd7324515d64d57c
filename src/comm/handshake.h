#pragma once

// The gossip handshake's message and checks (protocol.md §4.2), free of gRPC and
// threads so that both sides of a stream share them and tests call them directly.

#include <functional>
#include <string>

#include "comm/grpc_comm.h"
#include "gossip/crypto.h"
#include "gossip/message.pb.h"

namespace fabnet::comm {

// This peer's ConnEstablish: GossipMessage{nonce 0, tag EMPTY, conn{...}} marshaled
// deterministically, signed with `crypto`. tls_cert_hash stays empty: TLS is off.
::gossip::Envelope signed_conn_establish(const LocalIdentity& self,
                                         const gossip::CryptoService& crypto, bool probe);

// Outcome of a handshake check. `reject_key` names the reason for counters
// (CommStats::handshakes_rejected); `reject_text` is what the remote is told.
struct HandshakeVerdict {
  std::string reject_key;  // empty: accepted so far
  std::string reject_text;
  PeerId pki_id;
  std::string identity;
  bool probe = false;

  static HandshakeVerdict rejected(std::string key, std::string text);
  bool accepted() const { return reject_key.empty(); }
};

// Steps 1 and 2 on the remote's first Envelope: a ConnEstablish with a PKI-ID.
HandshakeVerdict parse_conn_establish(const ::gossip::Envelope& first);

// Steps 3 and 5 for a parsed ConnEstablish: the node accepts the identity, the PKI-ID
// is the identity's, and the signature verifies over the payload as received. Runs
// on the loop: `check_identity` and `crypto` belong to the node.
using IdentityCheck = std::function<std::string(const PeerId&, const std::string&)>;
HandshakeVerdict authenticate_conn_establish(HandshakeVerdict claimed,
                                             const ::gossip::Envelope& first,
                                             const IdentityCheck& check_identity,
                                             const gossip::CryptoService& crypto);

}  // namespace fabnet::comm
