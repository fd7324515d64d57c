#include "comm/handshake.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <utility>

namespace fabnet::comm {

::gossip::Envelope signed_conn_establish(const LocalIdentity& self,
                                         const gossip::CryptoService& crypto, bool probe,
                                         const std::string& tls_cert_hash) {
  ::gossip::GossipMessage message;
  message.set_nonce(0);
  message.set_tag(::gossip::GossipMessage::EMPTY);
  ::gossip::ConnEstablish* conn = message.mutable_conn();
  conn->set_pki_id(self.pki_id);
  conn->set_identity(self.identity);
  conn->set_tls_cert_hash(tls_cert_hash);
  conn->set_probe(probe);
  // Field-number order, as Go marshals (protocol.md §2.5).
  std::string payload;
  {
    google::protobuf::io::StringOutputStream out(&payload);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  ::gossip::Envelope envelope;
  envelope.set_signature(crypto.sign(payload));
  envelope.set_payload(std::move(payload));
  return envelope;
}

HandshakeVerdict HandshakeVerdict::rejected(std::string key, std::string text) {
  HandshakeVerdict verdict;
  verdict.reject_key = std::move(key);
  verdict.reject_text = std::move(text);
  return verdict;
}

HandshakeVerdict parse_conn_establish(const ::gossip::Envelope& first) {
  ::gossip::GossipMessage message;
  if (!message.ParseFromString(first.payload()) || !message.has_conn()) {
    return HandshakeVerdict::rejected("wrong_type", "wrong type");
  }
  const ::gossip::ConnEstablish& conn = message.conn();
  // Go tests for nil; an empty bytes field is never emitted, so empty means absent.
  if (conn.pki_id().empty()) return HandshakeVerdict::rejected("no_pki_id", "no pki_id");
  HandshakeVerdict verdict;
  verdict.pki_id = conn.pki_id();
  verdict.identity = conn.identity();
  verdict.tls_cert_hash = conn.tls_cert_hash();
  verdict.probe = conn.probe();
  return verdict;
}

HandshakeVerdict check_remote_presented_certificate(const std::string& remote_cert_hash) {
  if (!remote_cert_hash.empty()) return {};
  return HandshakeVerdict::rejected("no_tls_certificate", "no TLS certificate");
}

HandshakeVerdict check_tls_binding(HandshakeVerdict claimed, const std::string& remote_cert_hash) {
  if (!claimed.accepted()) return claimed;
  // Go compares with bytes.Equal: an empty claim matches only an absent certificate,
  // which check_remote_presented_certificate has refused already.
  if (remote_cert_hash.empty() || claimed.tls_cert_hash != remote_cert_hash) {
    return HandshakeVerdict::rejected(
        "tls_cert_hash_mismatch",
        claimed.tls_cert_hash.empty()
            ? "ConnEstablish carries no TLS certificate hash"
            : "ConnEstablish's TLS certificate hash is not that of the certificate presented");
  }
  return claimed;
}

HandshakeVerdict authenticate_conn_establish(HandshakeVerdict claimed,
                                             const ::gossip::Envelope& first,
                                             const IdentityCheck& check_identity,
                                             const gossip::CryptoService& crypto,
                                             const std::optional<std::string>& remote_cert_hash) {
  if (!claimed.accepted()) return claimed;
  if (check_identity) {
    const std::string reason = check_identity(claimed.pki_id, claimed.identity);
    if (!reason.empty()) {
      return HandshakeVerdict::rejected("identity_rejected", "identity rejected: " + reason);
    }
  }
  const auto computed = crypto.pki_id_of(claimed.identity);
  if (!computed || *computed != claimed.pki_id) {
    return HandshakeVerdict::rejected("pki_id_mismatch", "pki_id does not match the identity");
  }
  if (remote_cert_hash) {
    claimed = check_tls_binding(std::move(claimed), *remote_cert_hash);
    if (!claimed.accepted()) return claimed;
  }
  // Over the bytes as received, never a re-serialisation (protocol.md §2.5, §3.2).
  if (first.payload().empty() || first.signature().empty() ||
      !crypto.verify(claimed.identity, first.payload(), first.signature())) {
    return HandshakeVerdict::rejected("bad_signature", "ConnEstablish signature does not verify");
  }
  return claimed;
}

}  // namespace fabnet::comm
