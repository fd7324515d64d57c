#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "crypto/result.h"

namespace fabnet::crypto {

// A parsed X.509 certificate. Immutable; copies share the OpenSSL object.
class Certificate {
 public:
  // Exactly one DER certificate, nothing after it.
  static Result<Certificate> from_der(std::string_view der);
  // Every CERTIFICATE block of a PEM text (a file may hold a bundle); an error if
  // there is none or one does not parse.
  static Result<std::vector<Certificate>> all_from_pem(std::string_view pem);

  std::string der() const;
  // Go's PEM encoding of der(), as Fabric serializes an identity's certificate.
  std::string pem() const;
  std::string subject() const;  // one line, for messages: "CN=peer0.org1.example.com, ..."
  std::chrono::system_clock::time_point not_before() const;
  std::chrono::system_clock::time_point not_after() const;
  bool is_ca() const;  // basicConstraints cA = TRUE

  X509* get() const { return x509_.get(); }

 private:
  explicit Certificate(std::shared_ptr<X509> x509) : x509_(std::move(x509)) {}
  std::shared_ptr<X509> x509_;
};

// An ASN.1 time (a certificate's notBefore/notAfter); the epoch when it does not parse.
std::chrono::system_clock::time_point time_point_of(const ASN1_TIME* time);

// TLS certificate hash of protocol.md §3.4: SHA-256 of the certificate's DER bytes.
std::string tls_cert_hash(const Certificate& certificate);

}  // namespace fabnet::crypto
