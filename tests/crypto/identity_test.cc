#include "crypto/identity.h"

#include <gtest/gtest.h>

#include "crypto/pem.h"
#include "generated_network.h"
#include "msp/identities.pb.h"
#include "test_support.h"

namespace fabnet::crypto {
namespace {

using testing::read_text;
using testing::reference_sha256;
using testing::shared_network;

std::string peer_pem() {
  const auto& network = shared_network();
  return read_text(network.msp(0, "peer0") / "signcerts" / "peer0.org1.example.com-cert.pem");
}

TEST(Identity, SerializeThenParseRoundTrips) {
  const std::string serialized = serialize_identity("Org1MSP", "pem bytes");
  msp::SerializedIdentity reference;
  ASSERT_TRUE(reference.ParseFromString(serialized));
  EXPECT_EQ(reference.mspid(), "Org1MSP");
  EXPECT_EQ(reference.id_bytes(), "pem bytes");
  const auto parsed = parse_identity(serialized);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->msp_id, "Org1MSP");
  EXPECT_EQ(parsed->id_bytes, "pem bytes");
}

TEST(Identity, PkiIdIsSha256OfMspIdThenPemBytes) {
  const std::string pem = peer_pem();
  const std::string serialized = serialize_identity("Org1MSP", pem);
  const auto id = pki_id(serialized);
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(id->size(), 32u);
  EXPECT_EQ(*id, reference_sha256("Org1MSP" + pem));
  EXPECT_NE(*id, reference_sha256(serialized));  // not a hash of the protobuf
}

TEST(Identity, ParseRefusesWhatIsNotAnIdentity) {
  EXPECT_FALSE(parse_identity("\xff\xff\xff garbage"));
  EXPECT_FALSE(parse_identity(serialize_identity("", "pem")));
  const auto no_pem = parse_identity(serialize_identity("Org1MSP", ""));
  ASSERT_FALSE(no_pem);
  EXPECT_NE(no_pem.error().find("id_bytes"), std::string::npos) << no_pem.error();
  EXPECT_FALSE(pki_id(std::string_view("\x0a\x05Org")));  // truncated field
}

TEST(Identity, GeneratedCertificateIsWellFormed) {
  const auto certificate = certificate_of({"Org1MSP", peer_pem()});
  ASSERT_TRUE(certificate) << certificate.error();
  EXPECT_NE(certificate->subject().find("peer0.org1.example.com"), std::string::npos);
}

TEST(Identity, TrailingBytesAfterThePemBlockAreRefused) {
  for (std::string_view trailer : {"\n", "x", "-----BEGIN CERTIFICATE-----\n"}) {
    const auto result = certificate_of({"Org1MSP", peer_pem().append(trailer)});
    ASSERT_FALSE(result) << "trailer " << trailer;
    EXPECT_NE(result.error().find("trailing"), std::string::npos) << result.error();
  }
}

TEST(Identity, TwoPemBlocksAreRefused) {
  EXPECT_FALSE(certificate_of({"Org1MSP", peer_pem() + peer_pem()}));
}

TEST(Identity, PemTypeOtherThanCertificateIsRefused) {
  const auto block = decode_pem(peer_pem());
  ASSERT_TRUE(block);
  const auto result = certificate_of({"Org1MSP", encode_pem("PRIVATE KEY", block->bytes)});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("PRIVATE KEY"), std::string::npos) << result.error();
}

TEST(Identity, EmptyPemTypeIsAcceptedAsFabricDoes) {
  const auto block = decode_pem(peer_pem());
  ASSERT_TRUE(block);
  EXPECT_TRUE(certificate_of({"Org1MSP", encode_pem("", block->bytes)}));
}

TEST(Identity, PemWithoutCertificateInsideIsRefused) {
  EXPECT_FALSE(certificate_of({"Org1MSP", encode_pem("CERTIFICATE", "not DER at all")}));
  EXPECT_FALSE(certificate_of({"Org1MSP", "no pem here"}));
  const auto block = decode_pem(peer_pem());
  ASSERT_TRUE(block);
  EXPECT_FALSE(certificate_of({"Org1MSP", encode_pem("CERTIFICATE", block->bytes + "x")}));
}

TEST(Identity, TlsCertHashIsSha256OfDer) {
  const auto certificate = certificate_of({"Org1MSP", peer_pem()});
  ASSERT_TRUE(certificate);
  const auto block = decode_pem(peer_pem());
  ASSERT_TRUE(block);
  EXPECT_EQ(tls_cert_hash(*certificate), reference_sha256(block->bytes));
  EXPECT_EQ(certificate->der(), block->bytes);
  EXPECT_EQ(certificate->pem(), peer_pem());
}

}  // namespace
}  // namespace fabnet::crypto
