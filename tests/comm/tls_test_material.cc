#include "tls_test_material.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <stdexcept>

namespace fabnet::comm::testing {

namespace {

using Clock = std::chrono::system_clock;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test TLS material: ") + what);
}

std::unique_ptr<EVP_PKEY, Free> new_key() {
  std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

std::string to_pem(X509* cert) {
  std::unique_ptr<BIO, Free> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string to_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, Free> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

std::unique_ptr<X509, Free> new_certificate(const std::string& common_name, EVP_PKEY* subject_key,
                                            Clock::time_point not_before,
                                            Clock::time_point not_after) {
  std::unique_ptr<X509, Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(
      X509_getm_notBefore(cert.get()),
      std::chrono::duration_cast<std::chrono::seconds>(not_before - Clock::now()).count());
  X509_gmtime_adj(
      X509_getm_notAfter(cert.get()),
      std::chrono::duration_cast<std::chrono::seconds>(not_after - Clock::now()).count());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("fabnet tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_pubkey(cert.get(), subject_key);
  return cert;
}

}  // namespace

struct TestCa::Impl {
  std::unique_ptr<EVP_PKEY, Free> key;
  std::unique_ptr<X509, Free> cert;
};

TestCa::TestCa(const std::string& common_name) : impl_(std::make_unique<Impl>()) {
  impl_->key = new_key();
  const auto now = Clock::now();
  impl_->cert = new_certificate(common_name, impl_->key.get(), now - std::chrono::hours(1),
                                now + std::chrono::hours(24 * 365));
  X509_set_issuer_name(impl_->cert.get(), X509_get_subject_name(impl_->cert.get()));
  add_extension(impl_->cert.get(), impl_->cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(impl_->cert.get(), impl_->cert.get(), NID_key_usage,
                "critical,keyCertSign,cRLSign,digitalSignature");
  add_extension(impl_->cert.get(), impl_->cert.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(impl_->cert.get(), impl_->key.get(), EVP_sha256()) > 0, "X509_sign CA");
  cert_pem_ = to_pem(impl_->cert.get());
}

TestCa::~TestCa() = default;

TlsKeyPair TestCa::issue(const std::string& common_name,
                         const std::vector<std::string>& sans) const {
  const auto now = Clock::now();
  return issue(common_name, sans, now - std::chrono::hours(1), now + std::chrono::hours(24));
}

TlsKeyPair TestCa::issue(const std::string& common_name, const std::vector<std::string>& sans,
                         Clock::time_point not_before, Clock::time_point not_after) const {
  auto key = new_key();
  auto cert = new_certificate(common_name, key.get(), not_before, not_after);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(impl_->cert.get()));
  add_extension(cert.get(), impl_->cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), impl_->cert.get(), NID_key_usage,
                "critical,digitalSignature,keyEncipherment");
  add_extension(cert.get(), impl_->cert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  add_extension(cert.get(), impl_->cert.get(), NID_authority_key_identifier, "keyid:always");
  if (!sans.empty()) {
    std::string list;
    for (const auto& san : sans) list += (list.empty() ? "" : ",") + san;
    add_extension(cert.get(), impl_->cert.get(), NID_subject_alt_name, list);
  }
  check(X509_sign(cert.get(), impl_->key.get(), EVP_sha256()) > 0, "X509_sign leaf");
  return {to_pem(cert.get()), to_pem(key.get())};
}

std::filesystem::path write_text(const std::filesystem::path& dir, const std::string& name,
                                 const std::string& text) {
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return path;
}

}  // namespace fabnet::comm::testing
