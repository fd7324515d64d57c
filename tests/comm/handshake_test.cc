#include "comm/handshake.h"

#include <gtest/gtest.h>

#include "fake_crypto.h"

namespace fabnet::comm {
namespace {

const LocalIdentity kAlice{"alice", identity_of("alice")};

IdentityCheck accept_all() {
  return [](const PeerId&, const std::string&) { return std::string(); };
}

HandshakeVerdict check(const ::gossip::Envelope& first, const IdentityCheck& identity_check) {
  return authenticate_conn_establish(parse_conn_establish(first), first, identity_check,
                                     FakeCrypto("verifier"));
}

TEST(Handshake, ConnEstablishIsSignedDeterministicAndInGoFieldOrder) {
  const FakeCrypto crypto("alice");
  const ::gossip::Envelope envelope = signed_conn_establish(kAlice, crypto, false);
  EXPECT_EQ(envelope.SerializeAsString(),
            signed_conn_establish(kAlice, crypto, false).SerializeAsString());
  // nonce 0 and empty channel are omitted; tag EMPTY (field 3) then conn (field 14).
  EXPECT_EQ(envelope.payload().substr(0, 3), std::string("\x18\x01\x72", 3));
  EXPECT_EQ(envelope.signature(), crypto.sign(envelope.payload()));
  ::gossip::GossipMessage message;
  ASSERT_TRUE(message.ParseFromString(envelope.payload()));
  EXPECT_EQ(message.conn().pki_id(), "alice");
  EXPECT_EQ(message.conn().identity(), identity_of("alice"));
  EXPECT_TRUE(message.conn().tls_cert_hash().empty());
  EXPECT_FALSE(message.conn().probe());
  EXPECT_TRUE(signed_conn_establish(kAlice, crypto, true).payload() != envelope.payload());
}

TEST(Handshake, AcceptsAnHonestConnEstablish) {
  const auto verdict =
      check(signed_conn_establish(kAlice, FakeCrypto("alice"), true), accept_all());
  ASSERT_TRUE(verdict.accepted()) << verdict.reject_text;
  EXPECT_EQ(verdict.pki_id, "alice");
  EXPECT_EQ(verdict.identity, identity_of("alice"));
  EXPECT_TRUE(verdict.probe);
}

TEST(Handshake, AnythingButConnEstablishIsWrongType) {
  ::gossip::Envelope envelope;
  envelope.set_payload("\xff\xff");
  EXPECT_EQ(parse_conn_establish(envelope).reject_text, "wrong type");
  ::gossip::GossipMessage alive;
  alive.mutable_alive_msg();
  envelope.set_payload(alive.SerializeAsString());
  EXPECT_EQ(parse_conn_establish(envelope).reject_key, "wrong_type");
}

// protocol.md §4.2: the first failing check, in order, names the rejection.
TEST(Handshake, ChecksRunInProtocolOrder) {
  const FakeCrypto mallory("mallory");
  auto forge = [&](const std::string& pki_id, const std::string& signature) {
    ::gossip::GossipMessage message;
    message.mutable_conn()->set_pki_id(pki_id);
    message.mutable_conn()->set_identity(identity_of("mallory"));
    ::gossip::Envelope envelope;
    envelope.set_payload(message.SerializeAsString());
    envelope.set_signature(signature.empty() ? mallory.sign(envelope.payload()) : signature);
    return envelope;
  };
  const IdentityCheck refuse = [](const PeerId&, const std::string&) {
    return std::string("unknown org");
  };
  EXPECT_EQ(check(forge("", "bad"), refuse).reject_key, "no_pki_id");
  EXPECT_EQ(check(forge("alice", "bad"), refuse).reject_key, "identity_rejected");
  EXPECT_EQ(check(forge("alice", "bad"), refuse).reject_text, "identity rejected: unknown org");
  EXPECT_EQ(check(forge("alice", "bad"), accept_all()).reject_key, "pki_id_mismatch");
  EXPECT_EQ(check(forge("mallory", "bad"), accept_all()).reject_key, "bad_signature");
  EXPECT_TRUE(check(forge("mallory", ""), accept_all()).accepted());
}

TEST(Handshake, SignatureIsCheckedOverTheBytesAsReceived) {
  ::gossip::Envelope envelope = signed_conn_establish(kAlice, FakeCrypto("alice"), false);
  // Same message, another encoding (an unknown field appended): the old signature fails.
  envelope.mutable_payload()->append("\x98\x06\x07", 3);
  EXPECT_TRUE(parse_conn_establish(envelope).accepted());
  EXPECT_EQ(check(envelope, accept_all()).reject_key, "bad_signature");
  envelope.set_signature("");
  EXPECT_EQ(check(envelope, accept_all()).reject_key, "bad_signature");
}

}  // namespace
}  // namespace fabnet::comm
