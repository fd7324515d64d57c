// The deliver side of the TLS binding (protocol.md §10.1): a peer's seek carries the
// hash of its client TLS certificate, and an orderer under mutual TLS accepts a seek
// only if that hash is the one of the certificate on the stream (Fabric's
// common/deliver binding.go).

#include <gtest/gtest.h>

#include "comm/tls_credentials.h"
#include "common/common.pb.h"
#include "deliver/seek.h"
#include "orderer_daemon/orderer_tls.h"
#include "tls_test_material.h"

namespace fabnet::orderer {
namespace {

common::Envelope seek_with(const std::string& tls_cert_hash) {
  deliver::SeekRequest request;
  request.channel = "mychannel";
  request.creator = "creator";
  request.nonce = std::string(24, 'n');
  request.tls_cert_hash = tls_cert_hash;
  common::Envelope envelope;
  envelope.ParseFromString(
      deliver::make_seek_envelope(request, [](std::string_view) { return std::string("sig"); }));
  return envelope;
}

TEST(SeekBinding, ThePeersSeekCarriesTheHashItWasGiven) {
  const comm::testing::TestCa ca("tlsca");
  const std::string hash = comm::certificate_hash_of_pem(ca.issue("peer0").cert_pem);
  common::Payload payload;
  ASSERT_TRUE(payload.ParseFromString(seek_with(hash).payload()));
  common::ChannelHeader header;
  ASSERT_TRUE(header.ParseFromString(payload.header().channel_header()));
  EXPECT_EQ(header.tls_cert_hash(), hash);
  // Without mutual TLS it stays empty, as Fabric's peer leaves it.
  ASSERT_TRUE(payload.ParseFromString(seek_with("").payload()));
  ASSERT_TRUE(header.ParseFromString(payload.header().channel_header()));
  EXPECT_TRUE(header.tls_cert_hash().empty());
}

TEST(SeekBinding, MutualTlsOrdererChecksTheHashAgainstTheStreamsCertificate) {
  const comm::testing::TestCa ca("tlsca");
  const std::string mine = comm::certificate_hash_of_pem(ca.issue("peer0").cert_pem);
  const std::string other = comm::certificate_hash_of_pem(ca.issue("peer1").cert_pem);
  EXPECT_EQ(seek_binding_refusal(true, mine, seek_with(mine)), "");
  EXPECT_NE(seek_binding_refusal(true, other, seek_with(mine)), "");
  EXPECT_EQ(seek_binding_refusal(true, mine, seek_with("")),
            "client didn't include its TLS cert hash");
  EXPECT_EQ(seek_binding_refusal(true, "", seek_with(mine)),
            "client didn't send a TLS certificate");
  // Without mutual TLS nothing is checked.
  EXPECT_EQ(seek_binding_refusal(false, "", seek_with("")), "");
  EXPECT_EQ(seek_binding_refusal(false, other, seek_with(mine)), "");
}

}  // namespace
}  // namespace fabnet::orderer
