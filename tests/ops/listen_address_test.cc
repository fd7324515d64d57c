// Go-style listen addresses as in operations.listenAddress.

#include "ops/listen_address.h"

#include <gtest/gtest.h>

namespace fabnet::ops {
namespace {

ListenAddress ok(std::string_view text) {
  auto parsed = parse_listen_address(text);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    ADD_FAILURE() << *error;
    return {};
  }
  return std::get<ListenAddress>(parsed);
}

std::string error(std::string_view text) {
  auto parsed = parse_listen_address(text);
  if (auto* e = std::get_if<std::string>(&parsed)) return *e;
  ADD_FAILURE() << "accepted " << text;
  return "";
}

TEST(ListenAddress, HostAndPort) {
  EXPECT_EQ(ok("127.0.0.1:9443").host, "127.0.0.1");
  EXPECT_EQ(ok("127.0.0.1:9443").port, 9443);
  EXPECT_EQ(ok("localhost:0").host, "localhost");
  EXPECT_EQ(ok("localhost:0").port, 0);
}

TEST(ListenAddress, EmptyHostMeansAllInterfaces) {
  EXPECT_EQ(ok(":9443").host, "0.0.0.0");
  EXPECT_EQ(ok(":9443").port, 9443);
}

TEST(ListenAddress, BracketedIpv6) {
  EXPECT_EQ(ok("[::1]:9443").host, "::1");
  EXPECT_EQ(ok("[::1]:9443").port, 9443);
}

TEST(ListenAddress, BadAddressesNameTheValue) {
  EXPECT_EQ(error("9443"),
            "listen address \"9443\": no port; expected host:port such as 127.0.0.1:9443, "
            "[::1]:9443 or :9443");
  EXPECT_NE(error("host:").find("port \"\" is not a number"), std::string::npos);
  EXPECT_NE(error("host:99999").find("port \"99999\" is not a number from 0 to 65535"),
            std::string::npos);
  EXPECT_NE(error("host:94x").find("port \"94x\""), std::string::npos);
  EXPECT_NE(error("host:-1").find("port \"-1\""), std::string::npos);
  EXPECT_NE(error("::1:9443").find("must be in brackets"), std::string::npos);
  EXPECT_NE(error("[::1:9443").find("brackets"), std::string::npos);
  EXPECT_NE(error("[]:9443").find("empty IPv6 host"), std::string::npos);
}

}  // namespace
}  // namespace fabnet::ops
