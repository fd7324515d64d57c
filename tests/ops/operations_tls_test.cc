// The operations endpoint over HTTPS (operations.tls.* / Operations.TLS.*).

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>

#include "ops/operations_server.h"
#include "tls_test_material.h"

namespace fabnet::ops {
namespace {

namespace fs = std::filesystem;
using comm::testing::TestCa;
using comm::testing::write_text;

class OperationsTlsTest : public ::testing::Test {
 protected:
  OperationsTlsTest()
      : dir_(fs::temp_directory_path() / ("fabnet-ops-tls-" + std::to_string(::getpid()))) {
    const auto server = ca_.issue("operations");
    const auto client = ca_.issue("client");
    const auto stranger = other_ca_.issue("stranger");
    write_text(dir_, "server.crt", server.cert_pem);
    write_text(dir_, "server.key", server.key_pem);
    write_text(dir_, "ca.crt", ca_.cert_pem());
    write_text(dir_, "client.crt", client.cert_pem);
    write_text(dir_, "client.key", client.key_pem);
    write_text(dir_, "stranger.crt", stranger.cert_pem);
    write_text(dir_, "stranger.key", stranger.key_pem);
  }
  ~OperationsTlsTest() override { fs::remove_all(dir_); }

  OperationsTls tls(bool client_auth) const {
    OperationsTls t;
    t.cert_file = (dir_ / "server.crt").string();
    t.key_file = (dir_ / "server.key").string();
    t.client_auth_required = client_auth;
    t.client_ca_files = {(dir_ / "ca.crt").string()};
    return t;
  }

  static OperationsRoutes routes() {
    OperationsRoutes r;
    r.health_checks.push_back({"test", [] { return std::string(); }});
    return r;
  }

  std::unique_ptr<httplib::SSLClient> client(std::uint16_t port, const std::string& cert = "") {
    auto c = cert.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                          : std::make_unique<httplib::SSLClient>("127.0.0.1", port,
                                                                 (dir_ / (cert + ".crt")).string(),
                                                                 (dir_ / (cert + ".key")).string());
    c->set_ca_cert_path((dir_ / "ca.crt").c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(2, 0);
    c->set_read_timeout(2, 0);
    return c;
  }

  const TestCa ca_{"ops-tlsca"};
  const TestCa other_ca_{"other-tlsca"};
  fs::path dir_;
};

TEST_F(OperationsTlsTest, ServesHttpsAndNotPlainHttp) {
  OperationsServer server(routes());
  server.use_tls(tls(false));
  ASSERT_EQ(server.start("127.0.0.1:0"), "");
  auto https = client(server.bound_port());
  auto response = https->Get("/healthz");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);

  httplib::Client plain("127.0.0.1", server.bound_port());
  plain.set_connection_timeout(2, 0);
  plain.set_read_timeout(2, 0);
  auto refused = plain.Get("/healthz");
  EXPECT_FALSE(refused && refused->status == 200) << "plain HTTP answered by an HTTPS endpoint";
}

TEST_F(OperationsTlsTest, ClientAuthRequiredRefusesClientsWithoutACertificateOfTheCa) {
  OperationsServer server(routes());
  server.use_tls(tls(true));
  ASSERT_EQ(server.start("127.0.0.1:0"), "");
  auto with_cert = client(server.bound_port(), "client");
  auto ok = with_cert->Get("/healthz");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  EXPECT_FALSE(client(server.bound_port())->Get("/healthz"));
  EXPECT_FALSE(client(server.bound_port(), "stranger")->Get("/healthz"));
}

TEST_F(OperationsTlsTest, MissingFilesFailStartNamingTheSetting) {
  OperationsServer server(routes());
  OperationsTls broken = tls(false);
  broken.cert_file = (dir_ / "absent.crt").string();
  server.use_tls(broken);
  const std::string error = server.start("127.0.0.1:0");
  EXPECT_NE(error.find("tls.cert.file"), std::string::npos) << error;
  EXPECT_NE(error.find("absent.crt"), std::string::npos) << error;
  EXPECT_EQ(server.bound_port(), 0);
}

}  // namespace
}  // namespace fabnet::ops
