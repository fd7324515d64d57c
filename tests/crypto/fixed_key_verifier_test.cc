#include "crypto/fixed_key_verifier.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ecdsa_signature.h"
#include "crypto/openssl_handles.h"
#include "crypto/signer.h"

namespace fabnet::crypto::detail {
namespace {

struct Key {
  PkeyPtr pkey;
  explicit Key(const char* curve = "P-256") : pkey(EVP_EC_gen(curve)) {}
};

std::string digest_of(const std::string& message) {
  unsigned char digest[32];
  SHA256(bytes_of(message), message.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

// Raw ECDSA over a digest (no low-S rule): the reference verdicts come from here.
std::string sign_digest(const Key& key, const std::string& digest) {
  std::unique_ptr<EVP_PKEY_CTX, FreeWith<EVP_PKEY_CTX_free>> context(
      EVP_PKEY_CTX_new(key.pkey.get(), nullptr));
  EVP_PKEY_sign_init(context.get());
  std::size_t length = 128;
  std::string der(length, '\0');
  EVP_PKEY_sign(context.get(), reinterpret_cast<unsigned char*>(der.data()), &length,
                bytes_of(digest), digest.size());
  der.resize(length);
  return der;
}

bool openssl_verify(const Key& key, const std::string& digest, const ECDSA_SIG* signature) {
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(signature, &der);
  std::unique_ptr<EVP_PKEY_CTX, FreeWith<EVP_PKEY_CTX_free>> context(
      EVP_PKEY_CTX_new(key.pkey.get(), nullptr));
  EVP_PKEY_verify_init(context.get());
  const int verdict = EVP_PKEY_verify(context.get(), der, static_cast<std::size_t>(length),
                                      bytes_of(digest), digest.size());
  OPENSSL_free(der);
  return verdict == 1;
}

EcdsaSigPtr parse(const std::string& der) {
  const unsigned char* cursor = bytes_of(der);
  return EcdsaSigPtr(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
}

EcdsaSigPtr with(const ECDSA_SIG* signature, const BIGNUM* r, const BIGNUM* s) {
  EcdsaSigPtr made(ECDSA_SIG_new());
  const BIGNUM* old_r = nullptr;
  const BIGNUM* old_s = nullptr;
  ECDSA_SIG_get0(signature, &old_r, &old_s);
  ECDSA_SIG_set0(made.get(), BN_dup(r ? r : old_r), BN_dup(s ? s : old_s));
  return made;
}

const BIGNUM* p256_order() {
  return EC_GROUP_get0_order(p256_group());
}

// The table path must say exactly what OpenSSL's own verify says, for good signatures
// and for every way of spoiling one.
TEST(FixedKeyVerifier, AgreesWithOpenSslOnGoodAndSpoiledSignatures) {
  const Key key, other;
  const auto verifier = FixedKeyVerifier::make(key.pkey.get());
  ASSERT_NE(verifier, nullptr);
  const BIGNUM* n = p256_order();
  BignumPtr one(BN_new()), scratch(BN_new());
  BN_one(one.get());
  std::mt19937 random(7);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 150; ++i) {
    const std::string digest = digest_of("message " + std::to_string(i));
    const EcdsaSigPtr good = parse(sign_digest(key, digest));
    ASSERT_NE(good, nullptr);
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(good.get(), &r, &s);

    std::string flipped = digest;
    flipped[random() % 32] ^= static_cast<char>(1 << (random() % 8));
    BignumPtr r_plus(BN_dup(r)), s_plus(BN_dup(s)), s_negated(BN_new()), n_copy(BN_dup(n));
    BN_add(r_plus.get(), r_plus.get(), one.get());
    BN_add(s_plus.get(), s_plus.get(), one.get());
    BN_sub(s_negated.get(), n, s);  // (r, n - s) is the other valid signature
    struct Case {
      const char* what;
      std::string digest;
      EcdsaSigPtr signature;
    };
    std::vector<Case> cases;
    cases.push_back({"good", digest, with(good.get(), nullptr, nullptr)});
    cases.push_back({"n - s", digest, with(good.get(), nullptr, s_negated.get())});
    cases.push_back({"flipped digest bit", flipped, with(good.get(), nullptr, nullptr)});
    cases.push_back({"r + 1", digest, with(good.get(), r_plus.get(), nullptr)});
    cases.push_back({"s + 1", digest, with(good.get(), nullptr, s_plus.get())});
    cases.push_back({"r and s swapped", digest, with(good.get(), s, r)});
    cases.push_back({"r = n", digest, with(good.get(), n_copy.get(), nullptr)});
    cases.push_back({"s = n", digest, with(good.get(), nullptr, n_copy.get())});
    cases.push_back({"other key's", digest, parse(sign_digest(other, digest))});
    for (const Case& c : cases) {
      const bool reference = openssl_verify(key, c.digest, c.signature.get());
      ASSERT_EQ(verifier->verify(c.digest, c.signature.get()), reference) << c.what << " #" << i;
      (reference ? accepted : refused)++;
    }
  }
  EXPECT_EQ(accepted, 2 * 150);  // the good one and its n - s twin
  EXPECT_EQ(refused, 7 * 150);
  EXPECT_FALSE(verifier->verify("short digest", parse(sign_digest(key, digest_of("x"))).get()));
}

TEST(FixedKeyVerifier, OnlyP256KeysGetOne) {
  const Key p384("P-384");
  EXPECT_EQ(FixedKeyVerifier::make(p384.pkey.get()), nullptr);
  EXPECT_EQ(shared_fixed_key_verifier(p384.pkey.get()), nullptr);
  EXPECT_EQ(FixedKeyVerifier::make(nullptr), nullptr);
}

TEST(FixedKeyVerifier, SharedPerKeyAndBounded) {
  std::vector<Key> keys(kMaxFixedKeyVerifiers + 1);
  const auto first = shared_fixed_key_verifier(keys[0].pkey.get());
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(shared_fixed_key_verifier(keys[0].pkey.get()), first);
  for (std::size_t i = 1; i < keys.size(); ++i) {
    ASSERT_NE(shared_fixed_key_verifier(keys[i].pkey.get()), nullptr);
  }
  // The oldest made room; a holder's copy still works, and a new one is built.
  const auto rebuilt = shared_fixed_key_verifier(keys[0].pkey.get());
  EXPECT_NE(rebuilt, first);
  const std::string digest = digest_of("still here");
  const EcdsaSigPtr signature = parse(sign_digest(keys[0], digest));
  EXPECT_TRUE(first->verify(digest, signature.get()));
  EXPECT_TRUE(rebuilt->verify(digest, signature.get()));
  EXPECT_FALSE(shared_fixed_key_verifier(keys[1].pkey.get())->verify(digest, signature.get()));
}

TEST(FixedKeyVerifier, OneTableServesManyThreads) {
  const Key key;
  const auto verifier = shared_fixed_key_verifier(key.pkey.get());
  ASSERT_NE(verifier, nullptr);
  std::vector<std::pair<std::string, EcdsaSigPtr>> signed_digests;
  for (int i = 0; i < 40; ++i) {
    const std::string digest = digest_of(std::to_string(i));
    signed_digests.emplace_back(digest, parse(sign_digest(key, digest)));
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < signed_digests.size(); ++i) {
        const auto& [digest, signature] = signed_digests[i];
        const auto& [other_digest, unused] = signed_digests[(i + 1 + t) % signed_digests.size()];
        if (!verifier->verify(digest, signature.get()) ||
            verifier->verify(other_digest, signature.get())) {
          ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace fabnet::crypto::detail
