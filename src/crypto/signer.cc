#include "crypto/signer.h"

#include <cstdint>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>
#include <openssl/pem.h>

#include "crypto/ecdsa_signature.h"
#include "crypto/fixed_key_verifier.h"
#include "crypto/openssl_handles.h"

namespace fabnet::crypto {

namespace {

std::shared_ptr<EVP_PKEY> share(detail::PkeyPtr key) {
  return std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
}

}  // namespace

Result<PublicKey> PublicKey::from_certificate(const Certificate& certificate) {
  EVP_PKEY* key = X509_get0_pubkey(certificate.get());
  if (key == nullptr || detail::curve_order(key) == nullptr) {
    detail::take_openssl_errors();
    return Error{
        fmt::format("certificate {}: public key is not ECDSA; expected a P-256 or P-384 key",
                    certificate.subject())};
  }
  EVP_PKEY_up_ref(key);
  return PublicKey(share(detail::PkeyPtr(key)));
}

namespace {

// A context made ready to verify (or sign) with one key, with the key's curve order.
// Setting a context up (provider look-ups, key import) costs about a tenth of the
// ECDSA operation itself, and a Broadcast envelope, a block or a gossip message is
// checked against the same few keys over and over: each thread keeps one per key.
struct KeyContext {
  std::weak_ptr<EVP_PKEY> owner;  // tells a reused address from the key it was made for
  std::unique_ptr<EVP_PKEY_CTX, detail::FreeWith<EVP_PKEY_CTX_free>> context;
  const BIGNUM* order = nullptr;
  // Verify only: after kVerifiesBeforeTable uses on this thread the key gets a table of
  // its multiples (detail::FixedKeyVerifier), shared by every thread.
  std::uint64_t verifies = 0;
  std::shared_ptr<const detail::FixedKeyVerifier> fixed;
};

// Building a key's table costs about 400 verifies; a key checked this often on one
// thread (a Broadcast client's, the orderer's block key) is likely to be checked
// many more times.
constexpr std::uint64_t kVerifiesBeforeTable = 1000;

enum class Operation { kVerify, kSign };

KeyContext* key_context(const std::shared_ptr<EVP_PKEY>& key, Operation operation) {
  constexpr std::size_t kMaxPerThread = 256;
  thread_local std::unordered_map<const EVP_PKEY*, KeyContext> verify_contexts, sign_contexts;
  auto& contexts = operation == Operation::kVerify ? verify_contexts : sign_contexts;
  auto it = contexts.find(key.get());
  if (it != contexts.end()) {
    const std::weak_ptr<EVP_PKEY>& owner = it->second.owner;
    if (!owner.expired() && !owner.owner_before(key) && !key.owner_before(owner)) {
      return &it->second;
    }
    contexts.erase(it);
  }
  KeyContext made;
  made.order = detail::curve_order(key.get());
  if (made.order == nullptr) return nullptr;
  made.context.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  const int ready = !made.context                     ? 0
                    : operation == Operation::kVerify ? EVP_PKEY_verify_init(made.context.get())
                                                      : EVP_PKEY_sign_init(made.context.get());
  if (ready != 1) return nullptr;
  made.owner = key;
  if (contexts.size() >= kMaxPerThread) contexts.clear();
  return &contexts.emplace(key.get(), std::move(made)).first->second;
}

}  // namespace

Status verify_signature(const PublicKey& key, std::string_view payload,
                        std::string_view signature) {
  KeyContext* verifier = key_context(key.key_, Operation::kVerify);
  if (verifier == nullptr) {
    return Error{"public key is not on P-256 or P-384: " + detail::take_openssl_errors()};
  }
  const auto parsed = detail::parse_signature(signature);
  if (!parsed) {
    return Error{
        fmt::format("signature: {} bytes are not a canonical DER ECDSA signature with "
                    "r, s > 0",
                    signature.size())};
  }
  if (!detail::is_low_s(parsed.get(), verifier->order)) {
    return Error{"signature: s > N/2 (high-S); expected a low-S signature"};
  }
  const std::string digest = detail::sha256(payload);
  if (++verifier->verifies == kVerifiesBeforeTable) {
    verifier->fixed = detail::shared_fixed_key_verifier(key.key_.get());
  }
  if (verifier->fixed) {
    if (!verifier->fixed->verify(digest, parsed.get())) {
      return Error{"signature: does not verify over SHA-256(payload)"};
    }
    return {};
  }
  // EVP_PKEY_verify may be called again and again on one initialised context.
  const int verdict = EVP_PKEY_verify(verifier->context.get(), detail::bytes_of(signature),
                                      signature.size(), detail::bytes_of(digest), digest.size());
  detail::take_openssl_errors();
  if (verdict != 1) return Error{"signature: does not verify over SHA-256(payload)"};
  return {};
}

Result<Signer> Signer::from_pkcs8_pem(std::string_view pem) {
  detail::BioPtr in = detail::memory_bio(pem);
  // An encrypted key fails instead of prompting on the terminal for a passphrase.
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  detail::PkeyPtr key(PEM_read_bio_PrivateKey(in.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    return Error{
        fmt::format("does not hold a PEM private key ({}); expected "
                    "\"-----BEGIN PRIVATE KEY-----\" (PKCS#8)",
                    detail::take_openssl_errors())};
  }
  if (!detail::is_p256(key.get())) {
    return Error{"holds a private key that is not ECDSA P-256; expected an ECDSA P-256 key"};
  }
  return Signer(share(std::move(key)));
}

std::string Signer::sign(std::string_view payload) const {
  const KeyContext* signer = key_context(key_, Operation::kSign);
  if (signer == nullptr) {
    throw std::runtime_error("ECDSA signing setup failed: " + detail::take_openssl_errors());
  }
  const std::string digest = detail::sha256(payload);
  std::size_t length = 0;
  // EVP_PKEY_sign may be called again and again on one initialised context.
  if (EVP_PKEY_sign(signer->context.get(), nullptr, &length, detail::bytes_of(digest),
                    digest.size()) != 1) {
    throw std::runtime_error("ECDSA signing setup failed: " + detail::take_openssl_errors());
  }
  std::string der(length, '\0');
  if (EVP_PKEY_sign(signer->context.get(), reinterpret_cast<unsigned char*>(der.data()), &length,
                    detail::bytes_of(digest), digest.size()) != 1) {
    throw std::runtime_error("ECDSA signing failed: " + detail::take_openssl_errors());
  }
  der.resize(length);
  const auto parsed = detail::parse_signature(der);
  if (!parsed) throw std::runtime_error("OpenSSL produced a non-canonical ECDSA signature");
  return detail::to_low_s_der(parsed.get(), signer->order);
}

bool Signer::matches(const Certificate& certificate) const {
  const EVP_PKEY* certified = X509_get0_pubkey(certificate.get());
  const bool same = certified != nullptr && EVP_PKEY_eq(key_.get(), certified) == 1;
  detail::take_openssl_errors();
  return same;
}

}  // namespace fabnet::crypto
