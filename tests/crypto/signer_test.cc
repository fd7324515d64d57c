#include "crypto/signer.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <atomic>
#include <thread>
#include <vector>

#include "crypto/identity.h"
#include "generated_network.h"
#include "test_support.h"

namespace fabnet::crypto {
namespace {

using testing::read_text;
using testing::shared_network;

struct KeyPair {
  Signer signer;
  PublicKey public_key;
};

KeyPair peer_keys(std::size_t org, std::string_view peer) {
  const auto& network = shared_network();
  const auto msp = network.msp(org, peer);
  const std::string host = std::string(peer) + "." + network.org(org).domain;
  auto signer = Signer::from_pkcs8_pem(read_text(msp / "keystore" / "priv_sk"));
  EXPECT_TRUE(signer) << signer.error();
  auto certificates =
      Certificate::all_from_pem(read_text(msp / "signcerts" / (host + "-cert.pem")));
  EXPECT_TRUE(certificates) << certificates.error();
  auto key = PublicKey::from_certificate(certificates->front());
  EXPECT_TRUE(key) << key.error();
  return {std::move(signer).value(), std::move(key).value()};
}

// What a plain ECDSA verifier says, without Fabric's extra rules.
bool plain_ecdsa_verify(const PublicKey& key, std::string_view payload, std::string_view sig) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key.get());
  const int verdict =
      EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  EVP_MD_CTX_free(context);
  return verdict == 1;
}

TEST(Signer, SignatureVerifiesWithTheCertificatesKey) {
  const KeyPair keys = peer_keys(0, "peer0");
  const std::string signature = keys.signer.sign("payload");
  EXPECT_TRUE(verify_signature(keys.public_key, "payload", signature));
  EXPECT_TRUE(keys.signer.matches(
      certificate_of({"Org1MSP", read_text(shared_network().msp(0, "peer0") / "signcerts" /
                                           "peer0.org1.example.com-cert.pem")})
          .value()));
}

TEST(Signer, SignaturesAreAlwaysLowS) {
  const KeyPair keys = peer_keys(0, "peer0");
  for (int i = 0; i < 64; ++i) {
    const std::string signature = keys.signer.sign("payload " + std::to_string(i));
    EXPECT_TRUE(testing::is_low_s(signature)) << "signature " << i;
  }
}

TEST(Signer, HighSVariantOfAValidSignatureIsRefused) {
  const KeyPair keys = peer_keys(0, "peer0");
  const std::string signature = keys.signer.sign("payload");
  const std::string high_s = testing::flip_s(signature);
  ASSERT_FALSE(testing::is_low_s(high_s));
  ASSERT_TRUE(plain_ecdsa_verify(keys.public_key, "payload", high_s));  // mathematically valid
  const Status verdict = verify_signature(keys.public_key, "payload", high_s);
  ASSERT_FALSE(verdict);
  EXPECT_NE(verdict.error().find("high-S"), std::string::npos) << verdict.error();
}

TEST(Signer, TamperedPayloadIsRefused) {
  const KeyPair keys = peer_keys(0, "peer0");
  const std::string signature = keys.signer.sign("payload");
  EXPECT_FALSE(verify_signature(keys.public_key, "payloaD", signature));
  EXPECT_FALSE(verify_signature(keys.public_key, "", signature));
}

TEST(Signer, SignatureOfAnotherKeyIsRefused) {
  const KeyPair mine = peer_keys(0, "peer0");
  const KeyPair theirs = peer_keys(1, "peer0");
  EXPECT_FALSE(verify_signature(mine.public_key, "payload", theirs.signer.sign("payload")));
}

// verify_signature and sign keep a ready context per key and thread: a key made,
// used and dropped again and again (more keys than a thread keeps) must always be
// the key checked against, never a context left from an earlier one.
TEST(Signer, ContextsKeptPerKeyNeverCheckAgainstAnotherKey) {
  const KeyPair org1 = peer_keys(0, "peer0");
  const KeyPair org2 = peer_keys(1, "peer0");
  const std::string by_org1 = org1.signer.sign("payload");
  const std::string by_org2 = org2.signer.sign("payload");
  for (int round = 0; round < 300; ++round) {
    const KeyPair fresh = peer_keys(round % 2, "peer0");  // a new key object each round
    const std::string& good = round % 2 == 0 ? by_org1 : by_org2;
    const std::string& other = round % 2 == 0 ? by_org2 : by_org1;
    ASSERT_TRUE(verify_signature(fresh.public_key, "payload", good)) << round;
    ASSERT_FALSE(verify_signature(fresh.public_key, "payload", other)) << round;
    ASSERT_TRUE(verify_signature(fresh.public_key, "payload", fresh.signer.sign("payload")));
  }
  // Other threads, each with its own contexts, agree.
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (!verify_signature(org1.public_key, "payload", by_org1) ||
            verify_signature(org2.public_key, "payload", by_org1) ||
            !verify_signature(org2.public_key, "payload", org2.signer.sign("payload"))) {
          ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

// After many verifies on a thread a key is checked through its table of multiples
// (crypto/fixed_key_verifier.h): the verdicts must stay exactly Fabric's.
TEST(Signer, AKeyUsedOftenKeepsItsVerdictsOnceItHasATable) {
  const KeyPair keys = peer_keys(0, "peer0");
  const KeyPair other = peer_keys(1, "peer0");
  const std::string signature = keys.signer.sign("payload");
  const auto check_all = [&](const char* when) {
    EXPECT_TRUE(verify_signature(keys.public_key, "payload", signature)) << when;
    EXPECT_TRUE(verify_signature(keys.public_key, "other", keys.signer.sign("other"))) << when;
    EXPECT_FALSE(verify_signature(keys.public_key, "payloaD", signature)) << when;
    EXPECT_FALSE(verify_signature(keys.public_key, "payload", other.signer.sign("payload")))
        << when;
    EXPECT_FALSE(verify_signature(keys.public_key, "payload", testing::flip_s(signature))) << when;
  };
  // In a thread of its own, so the count of verifies starts from zero.
  std::thread([&] {
    check_all("before the table");
    for (int i = 0; i < 1100; ++i) {
      ASSERT_TRUE(verify_signature(keys.public_key, "payload", signature));
    }
    check_all("with the table");
  }).join();
}

TEST(Signer, NonCanonicalOrDegenerateEncodingsAreRefused) {
  const KeyPair keys = peer_keys(0, "peer0");
  const std::string signature = keys.signer.sign("payload");
  EXPECT_FALSE(verify_signature(keys.public_key, "payload", signature + '\0'));
  EXPECT_FALSE(verify_signature(keys.public_key, "payload", signature.substr(1)));
  EXPECT_FALSE(verify_signature(keys.public_key, "payload", ""));
  testing::SignatureParts parts;
  ASSERT_TRUE(testing::decode_signature(signature, parts));
  BIGNUM* zero = BN_new();
  BN_zero(zero);
  EXPECT_FALSE(
      verify_signature(keys.public_key, "payload", testing::encode_signature(zero, parts.s)));
  EXPECT_FALSE(
      verify_signature(keys.public_key, "payload", testing::encode_signature(parts.r, zero)));
  BN_free(zero);
}

TEST(Signer, LoadRefusesWhatIsNotAP256PrivateKey) {
  const auto not_pem = Signer::from_pkcs8_pem("hello");
  ASSERT_FALSE(not_pem);
  EXPECT_NE(not_pem.error().find("PRIVATE KEY"), std::string::npos) << not_pem.error();

  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(out, p384, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  const auto wrong_curve =
      Signer::from_pkcs8_pem(std::string(data, static_cast<std::size_t>(length)));
  BIO_free(out);
  EVP_PKEY_free(p384);
  ASSERT_FALSE(wrong_curve);
  EXPECT_NE(wrong_curve.error().find("P-256"), std::string::npos) << wrong_curve.error();
}

}  // namespace
}  // namespace fabnet::crypto
