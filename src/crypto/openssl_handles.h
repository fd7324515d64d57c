#pragma once

// Owning handles for OpenSSL objects and small helpers shared by this folder.
// Internal to src/crypto: the public headers only name opaque OpenSSL types.

#include <memory>
#include <string>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace fabnet::crypto::detail {

template <auto Free>
struct FreeWith {
  template <class T>
  void operator()(T* pointer) const {
    Free(pointer);
  }
};

using BioPtr = std::unique_ptr<BIO, FreeWith<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, FreeWith<BN_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, FreeWith<BN_CTX_free>>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, FreeWith<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, FreeWith<EC_POINT_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, FreeWith<ECDSA_SIG_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, FreeWith<EVP_MD_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, FreeWith<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, FreeWith<X509_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, FreeWith<X509_EXTENSION_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, FreeWith<X509_NAME_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, FreeWith<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, FreeWith<X509_STORE_CTX_free>>;

// Drains OpenSSL's thread-local error queue into one line ("" if it was empty),
// so one failure never leaks into the message of the next.
std::string take_openssl_errors();

// A read-only memory BIO over `bytes` (which must outlive it).
BioPtr memory_bio(std::string_view bytes);

// Everything written so far to a memory BIO.
std::string bio_contents(BIO* bio);

// SHA-256 of the concatenation first ‖ second: 32 raw bytes.
std::string sha256(std::string_view first, std::string_view second = {});

inline const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace fabnet::crypto::detail
