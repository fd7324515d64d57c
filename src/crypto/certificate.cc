#include "crypto/certificate.h"

#include <ctime>

#include <fmt/format.h>
#include <openssl/x509v3.h>

#include "crypto/openssl_handles.h"
#include "crypto/pem.h"

namespace fabnet::crypto {

std::chrono::system_clock::time_point time_point_of(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    detail::take_openssl_errors();
    return {};
  }
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

Result<Certificate> Certificate::from_der(std::string_view der) {
  const unsigned char* cursor = detail::bytes_of(der);
  detail::X509Ptr x509(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!x509) {
    return Error{fmt::format("{} bytes of DER do not parse as an X.509 certificate ({})",
                             der.size(), detail::take_openssl_errors())};
  }
  if (cursor != detail::bytes_of(der) + der.size()) {
    return Error{fmt::format("{} bytes follow the certificate's DER encoding; expected none",
                             detail::bytes_of(der) + der.size() - cursor)};
  }
  return Certificate(std::shared_ptr<X509>(x509.release(), X509_free));
}

Result<std::vector<Certificate>> Certificate::all_from_pem(std::string_view pem) {
  std::vector<Certificate> certificates;
  std::string_view rest = pem;
  while (auto block = decode_pem(rest)) {
    rest = block->rest;
    if (block->type != "CERTIFICATE") continue;
    auto certificate = from_der(block->bytes);
    if (!certificate) return Error{certificate.error()};
    certificates.push_back(std::move(certificate).value());
  }
  if (certificates.empty()) {
    return Error{
        "no PEM block of type CERTIFICATE found; expected \"-----BEGIN CERTIFICATE-----\""};
  }
  return certificates;
}

std::string Certificate::der() const {
  unsigned char* encoded = nullptr;
  const int length = i2d_X509(x509_.get(), &encoded);
  if (length <= 0)
    throw std::runtime_error("DER encoding failed: " + detail::take_openssl_errors());
  std::string out(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length));
  OPENSSL_free(encoded);
  return out;
}

std::string Certificate::pem() const {
  return encode_pem("CERTIFICATE", der());
}

std::string Certificate::subject() const {
  detail::BioPtr out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), X509_get_subject_name(x509_.get()), 0, XN_FLAG_ONELINE);
  return detail::bio_contents(out.get());
}

std::chrono::system_clock::time_point Certificate::not_before() const {
  return time_point_of(X509_get0_notBefore(x509_.get()));
}

std::chrono::system_clock::time_point Certificate::not_after() const {
  return time_point_of(X509_get0_notAfter(x509_.get()));
}

bool Certificate::is_ca() const {
  return (X509_get_extension_flags(x509_.get()) & EXFLAG_CA) != 0;
}

std::string tls_cert_hash(const Certificate& certificate) {
  return detail::sha256(certificate.der());
}

}  // namespace fabnet::crypto
