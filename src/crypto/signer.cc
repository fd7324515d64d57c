#include "crypto/signer.h"

#include <stdexcept>

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "crypto/ecdsa_signature.h"
#include "crypto/openssl_handles.h"

namespace fabnet::crypto {

namespace {

std::shared_ptr<EVP_PKEY> share(detail::PkeyPtr key) {
  return std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
}

bool is_p256(const EVP_PKEY* key) {
  char name[64] = {};
  std::size_t length = 0;
  const bool ok = EVP_PKEY_is_a(key, "EC") &&
                  EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
                                                 &length) == 1 &&
                  std::string_view(name, length) == "prime256v1";
  detail::take_openssl_errors();
  return ok;
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

Status verify_signature(const PublicKey& key, std::string_view payload,
                        std::string_view signature) {
  const BIGNUM* order = detail::curve_order(key.get());
  if (order == nullptr) return Error{"public key is not on P-256 or P-384"};
  const auto parsed = detail::parse_signature(signature);
  if (!parsed) {
    return Error{
        fmt::format("signature: {} bytes are not a canonical DER ECDSA signature with "
                    "r, s > 0",
                    signature.size())};
  }
  if (!detail::is_low_s(parsed.get(), order)) {
    return Error{"signature: s > N/2 (high-S); expected a low-S signature"};
  }
  detail::MdCtxPtr context(EVP_MD_CTX_new());
  if (!context ||
      EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    return Error{"signature: verifier setup failed: " + detail::take_openssl_errors()};
  }
  const int verdict = EVP_DigestVerify(context.get(), detail::bytes_of(signature), signature.size(),
                                       detail::bytes_of(payload), payload.size());
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
  if (!is_p256(key.get())) {
    return Error{"holds a private key that is not ECDSA P-256; expected an ECDSA P-256 key"};
  }
  return Signer(share(std::move(key)));
}

std::string Signer::sign(std::string_view payload) const {
  detail::MdCtxPtr context(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length, detail::bytes_of(payload), payload.size()) !=
          1) {
    throw std::runtime_error("ECDSA signing setup failed: " + detail::take_openssl_errors());
  }
  std::string der(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(der.data()), &length,
                     detail::bytes_of(payload), payload.size()) != 1) {
    throw std::runtime_error("ECDSA signing failed: " + detail::take_openssl_errors());
  }
  der.resize(length);
  const auto parsed = detail::parse_signature(der);
  if (!parsed) throw std::runtime_error("OpenSSL produced a non-canonical ECDSA signature");
  return detail::to_low_s_der(parsed.get(), detail::curve_order(key_.get()));
}

bool Signer::matches(const Certificate& certificate) const {
  const EVP_PKEY* certified = X509_get0_pubkey(certificate.get());
  const bool same = certified != nullptr && EVP_PKEY_eq(key_.get(), certified) == 1;
  detail::take_openssl_errors();
  return same;
}

}  // namespace fabnet::crypto
