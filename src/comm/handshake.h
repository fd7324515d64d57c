#pragma once

// The gossip handshake's message and checks (protocol.md §4.2), free of gRPC and
// threads so that both sides of a stream share them and tests call them directly.

#include <functional>
#include <optional>
#include <string>

#include "comm/grpc_comm.h"
#include "gossip/crypto.h"
#include "gossip/message.pb.h"

namespace fabnet::comm {

// This peer's ConnEstablish: GossipMessage{nonce 0, tag EMPTY, conn{...}} marshaled
// deterministically, signed with `crypto`. `tls_cert_hash` is the SHA-256 of the TLS
// certificate this side presents on the stream (the client certificate when dialling,
// the server certificate when accepting); empty when TLS is off (protocol.md §3.4).
::gossip::Envelope signed_conn_establish(const LocalIdentity& self,
                                         const gossip::CryptoService& crypto, bool probe,
                                         const std::string& tls_cert_hash = {});

// Outcome of a handshake check. `reject_key` names the reason for counters
// (CommStats::handshakes_rejected); `reject_text` is what the remote is told.
struct HandshakeVerdict {
  std::string reject_key;  // empty: accepted so far
  std::string reject_text;
  PeerId pki_id;
  std::string identity;
  std::string tls_cert_hash;  // as the remote claims it
  bool probe = false;

  static HandshakeVerdict rejected(std::string key, std::string text);
  bool accepted() const { return reject_key.empty(); }
};

// With TLS on, a remote that presented no TLS certificate is refused before anything
// else, as Go does before even sending its own ConnEstablish (protocol.md §4.2).
// `remote_cert_hash` is the hash of the certificate it presented ("" for none).
HandshakeVerdict check_remote_presented_certificate(const std::string& remote_cert_hash);

// Step 4, with TLS on: the hash the remote claims in its ConnEstablish is the hash of
// the certificate it presented in the TLS handshake, byte for byte. This binds the
// signed handshake to the TLS session, so a ConnEstablish replayed by a peer holding
// another TLS key is refused.
HandshakeVerdict check_tls_binding(HandshakeVerdict claimed, const std::string& remote_cert_hash);

// Steps 1 and 2 on the remote's first Envelope: a ConnEstablish with a PKI-ID.
HandshakeVerdict parse_conn_establish(const ::gossip::Envelope& first);

// Steps 3 to 5 for a parsed ConnEstablish: the node accepts the identity, the PKI-ID
// is the identity's, with TLS on (`remote_cert_hash` set) the TLS binding holds, and
// the signature verifies over the payload as received. Runs on the loop:
// `check_identity` and `crypto` belong to the node.
using IdentityCheck = std::function<std::string(const PeerId&, const std::string&)>;
HandshakeVerdict authenticate_conn_establish(
    HandshakeVerdict claimed, const ::gossip::Envelope& first, const IdentityCheck& check_identity,
    const gossip::CryptoService& crypto,
    const std::optional<std::string>& remote_cert_hash = std::nullopt);

}  // namespace fabnet::comm
